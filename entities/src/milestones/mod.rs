//! Milestones: adding and editing them, moving them in sequence, and the actions
//! each would allow. The cascades (next milestone, release to REVIEW) are
//! [`crate::workflow`]'s.

mod actions;
mod edit;
mod transition;

pub use actions::available_actions;
pub(crate) use edit::insert_from_template;
pub use edit::{add, update, MilestoneChanges, NewMilestone};
pub(crate) use transition::{activate_next, apply, cancel_open};

use crate::entity::{milestone, MilestoneStatus};
use crate::kit::group_by;
use crate::rows::{self, Cell, CellKind, Positional};
use crate::{releases, DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, QueryOrder, QuerySelect, QueryTrait};
use std::collections::HashMap;

/// Loads one milestone or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<milestone::Model> {
    milestone::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("milestone", id))
}

/// The milestones of the releases in `release_ids`, by release, in sequence.
fn of_releases(release_ids: &[i32]) -> Select<milestone::Entity> {
    milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(milestone::Column::ReleaseId)
        .order_by_asc(milestone::Column::Sequence)
}

/// The milestones of each release in `release_ids`, in sequence, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<milestone::Model>>> {
    let rows = of_releases(release_ids)
        .into_model::<Positional<milestone::Model>>()
        .all(db)
        .await?;
    Ok(group_by(rows.into_iter().map(|r| r.0), |row| {
        row.release_id
    }))
}

/// Like [`for_releases`], reading only `columns`: each milestone is the cells
/// of `columns` in order. A page that shows four fields of each milestone
/// reads four columns, not sixteen.
pub async fn cells_for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
    columns: &[(milestone::Column, CellKind)],
) -> DomainResult<HashMap<i32, Vec<Vec<Cell>>>> {
    let mut select = of_releases(release_ids)
        .select_only()
        .column(milestone::Column::ReleaseId);
    for (column, _) in columns {
        select = select.column(*column);
    }
    let read: Vec<_> = std::iter::once((milestone::Column::ReleaseId, CellKind::Int))
        .chain(columns.iter().copied())
        .collect();
    let mut grouped: HashMap<i32, Vec<Vec<Cell>>> = HashMap::new();
    for row in db.query_all(&select.into_query()).await? {
        let mut cells = rows::cells(&row, &read)?;
        let Cell::Int(release_id) = cells.remove(0) else {
            return Err(DbErr::Type("a milestone without its release".into()).into());
        };
        grouped.entry(release_id).or_default().push(cells);
    }
    Ok(grouped)
}

/// Loads a milestone of a release the actor of `tx` may see, or answers `NotFound`.
pub async fn find_visible(tx: &Tx, id: i32) -> DomainResult<milestone::Model> {
    let milestone = find(tx.db(), id).await?;
    releases::find_visible(tx, milestone.release_id)
        .await
        .map_err(|_| DomainError::not_found("milestone", id))?;
    Ok(milestone)
}

/// Locks the milestone's release first (the lock order), then loads the
/// milestone as it is now; `NotFound` unless the actor of `tx` may see it.
pub async fn find_visible_locked(
    tx: &mut Tx,
    id: i32,
) -> DomainResult<(crate::entity::release::Model, milestone::Model)> {
    let release_id = find(tx.db(), id).await?.release_id;
    let release = releases::find_visible_locked(tx, release_id)
        .await
        .map_err(|_| DomainError::not_found("milestone", id))?;
    Ok((release, find(tx.db(), id).await?))
}

/// Milestones of a release still PLANNED, ACTIVE or PENDING_APPROVAL.
pub(crate) async fn count_open<C: ConnectionTrait>(db: &C, release_id: i32) -> DomainResult<u64> {
    Ok(milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .count(db)
        .await?)
}

/// The milestones with the given ids, in one query.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> DomainResult<Vec<milestone::Model>> {
    Ok(milestone::Entity::find()
        .filter(milestone::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}
