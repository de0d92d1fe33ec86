//! The facts the release lifecycle needs, for many releases at once.

use crate::entity::{milestone, release, MilestoneStatus, ReleaseScope, ReleaseStatus};
use crate::lifecycle::release::ReleaseFacts;
use crate::{approvals, DomainResult};
use sea_orm::{prelude::*, QuerySelect};
use std::collections::HashMap;

/// The facts the lifecycle needs for each of `releases`, in a fixed number of queries.
pub async fn facts<C: ConnectionTrait>(
    db: &C,
    releases: &[release::Model],
) -> DomainResult<HashMap<i32, ReleaseFacts>> {
    let ids: Vec<i32> = releases.iter().map(|r| r.id).collect();
    let open_milestones: HashMap<i32, i64> = milestone::Entity::find()
        .select_only()
        .column(milestone::Column::ReleaseId)
        .column_as(milestone::Column::Id.count(), "n")
        .filter(milestone::Column::ReleaseId.is_in(ids.clone()))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .group_by(milestone::Column::ReleaseId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let master_ids: Vec<i32> = releases
        .iter()
        .filter(|r| r.scope == ReleaseScope::Master)
        .map(|r| r.id)
        .collect();
    let open_phases: HashMap<i32, i64> = if master_ids.is_empty() {
        HashMap::new()
    } else {
        release::Entity::find()
            .select_only()
            .column(release::Column::MasterId)
            .column_as(release::Column::Id.count(), "n")
            .filter(release::Column::MasterId.is_in(master_ids))
            .filter(release::Column::Status.is_not_in(ReleaseStatus::FINAL))
            .group_by(release::Column::MasterId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let parent_ids: Vec<i32> = releases.iter().filter_map(|r| r.master_id).collect();
    let master_status: HashMap<i32, ReleaseStatus> = if parent_ids.is_empty() {
        HashMap::new()
    } else {
        release::Entity::find()
            .select_only()
            .column(release::Column::Id)
            .column(release::Column::Status)
            .filter(release::Column::Id.is_in(parent_ids))
            .into_tuple::<(i32, ReleaseStatus)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let requested: Vec<String> = releases
        .iter()
        .filter(|r| r.status == ReleaseStatus::Requested)
        .map(|r| approvals::release_key(r.id))
        .collect();
    let awaiting = approvals::awaiting_board(db, &requested).await?;
    Ok(releases
        .iter()
        .map(|r| {
            let facts = ReleaseFacts {
                has_planned_window: r.planned_window().is_some(),
                open_milestones: count(open_milestones.get(&r.id)),
                review_recorded: r.review_outcome.is_some() && r.lessons_learned.is_some(),
                open_phases: count(open_phases.get(&r.id)),
                master_status: r.master_id.and_then(|m| master_status.get(&m).copied()),
                awaiting_board: awaiting.contains(&approvals::release_key(r.id)),
            };
            (r.id, facts)
        })
        .collect())
}

fn count(n: Option<&i64>) -> u32 {
    n.map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX))
}
