//! The lifecycle actions each milestone would allow, for many at once.

use crate::entity::{milestone, release, MilestoneStatus, ReleaseStatus};
use crate::lifecycle::milestone::{self as lifecycle, MilestoneAction, MilestoneFacts};
use crate::{approvals, DomainResult};
use sea_orm::{prelude::*, QuerySelect};
use std::collections::HashMap;

/// The actions that would succeed on each milestone, in a fixed number of queries.
pub async fn available_actions<C: ConnectionTrait>(
    db: &C,
    milestones: &[milestone::Model],
) -> DomainResult<HashMap<i32, Vec<MilestoneAction>>> {
    let release_ids: Vec<i32> = milestones.iter().map(|m| m.release_id).collect();
    let statuses: HashMap<i32, ReleaseStatus> = release::Entity::find()
        .select_only()
        .column(release::Column::Id)
        .column(release::Column::Status)
        .filter(release::Column::Id.is_in(release_ids.clone()))
        .into_tuple::<(i32, ReleaseStatus)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let first_open: HashMap<i32, i32> = milestone::Entity::find()
        .select_only()
        .column(milestone::Column::ReleaseId)
        .column_as(milestone::Column::Sequence.min(), "s")
        .filter(milestone::Column::ReleaseId.is_in(release_ids))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .group_by(milestone::Column::ReleaseId)
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let pending: Vec<String> = milestones
        .iter()
        .filter(|m| m.status == MilestoneStatus::PendingApproval)
        .map(|m| approvals::milestone_key(m.id))
        .collect();
    let awaiting = approvals::awaiting_board(db, &pending).await?;
    Ok(milestones
        .iter()
        .map(|m| {
            let facts = MilestoneFacts {
                release_status: statuses
                    .get(&m.release_id)
                    .copied()
                    .unwrap_or(ReleaseStatus::Cancelled),
                requires_approval: m.requires_approval,
                is_next_in_sequence: first_open
                    .get(&m.release_id)
                    .is_none_or(|s| *s >= m.sequence),
                awaiting_board: awaiting.contains(&approvals::milestone_key(m.id)),
            };
            (m.id, lifecycle::available_actions(m.status, &facts))
        })
        .collect())
}
