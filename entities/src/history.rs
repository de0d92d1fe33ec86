//! Reading the event rows that make up `Release.history`; they are written by
//! the unit of work ([`crate::Tx::record`]).

use crate::entity::history_event;
use crate::kit::group_by;
use crate::DomainResult;
use sea_orm::{prelude::*, QueryOrder};
use std::collections::HashMap;

/// The history of each release in `release_ids`, oldest first, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<history_event::Model>>> {
    let rows = history_event::Entity::find()
        .filter(history_event::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(history_event::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |row| row.release_id))
}
