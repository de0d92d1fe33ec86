//! The Release Review Board's approvals: the board's policy, requests opened
//! when a governed release or milestone asks for a decision, votes, delegation,
//! and the verdict applied to the release or milestone in the same unit of work.
//!
//! The board governs a release made from a template with `board_approval` (the
//! default major template has it), and, when the policy says so, every MAJOR
//! release (`every_major`) and every EMERGENCY one (`emergency_by_any_member`),
//! provided it has members at submit time: people with the `REVIEW_BOARD` role
//! plus the release's `APPROVER` stakeholders. EMERGENCY requests take the
//! `ANY` rule (one member decides). Otherwise a release manager's direct
//! APPROVE/REJECT decides. Each approver's first e-mail is queued with the
//! request; the `approval-requests` job sends reminders and timeouts.

mod decide;
mod delegations;
pub mod emails;
pub mod links;
mod policy;

pub use decide::{
    cast_vote, cast_vote_for, reopen, rule_name, status_name, tally, time_out_due, VoteInput,
};
pub use delegations::{delegate, delegations_of, revoke_delegation, NewDelegation};
pub use policy::{policy, set_policy, PolicyInput};

pub(crate) use decide::{cancel_open, open_for, pending_votes_of, void_without_standing};
pub(crate) use delegations::is_board_member;

use crate::entity::{approval_request, approval_vote, ApprovalStatus};
use crate::kit::group_by;
use crate::policy::Actor;
use crate::{DomainError, DomainResult};
use sea_orm::{prelude::*, QueryOrder, QuerySelect, QueryTrait};
use std::collections::{HashMap, HashSet};

/// The subject key of a release's own request.
pub fn release_key(release_id: i32) -> String {
    format!("release:{release_id}")
}

/// The subject key of a milestone's request.
pub fn milestone_key(milestone_id: i32) -> String {
    format!("milestone:{milestone_id}")
}

/// The subjects among `keys` whose latest request is open or timed out: the
/// board decides them, not a release manager.
pub async fn awaiting_board<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
) -> DomainResult<HashSet<String>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(String, i32, ApprovalStatus)> = approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::SubjectKey)
        .column(approval_request::Column::Round)
        .column(approval_request::Column::Status)
        .filter(approval_request::Column::SubjectKey.is_in(keys.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    let mut latest: HashMap<String, (i32, ApprovalStatus)> = HashMap::new();
    for (key, round, status) in rows {
        let entry = latest.entry(key).or_insert((round, status));
        if round >= entry.0 {
            *entry = (round, status);
        }
    }
    Ok(latest
        .into_iter()
        .filter(|(_, (_, status))| {
            matches!(status, ApprovalStatus::Open | ApprovalStatus::TimedOut)
        })
        .map(|(key, _)| key)
        .collect())
}

/// The releases that have an open request, in ascending id.
pub async fn releases_with_open_requests<C: ConnectionTrait>(db: &C) -> DomainResult<Vec<i32>> {
    Ok(approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::ReleaseId)
        .distinct()
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
        .order_by_asc(approval_request::Column::ReleaseId)
        .into_tuple()
        .all(db)
        .await?)
}

/// The open request of a subject (see [`release_key`], [`milestone_key`]), if any.
pub async fn open_request<C: ConnectionTrait>(
    db: &C,
    subject_key: &str,
) -> DomainResult<Option<approval_request::Model>> {
    Ok(approval_request::Entity::find()
        .filter(approval_request::Column::SubjectKey.eq(subject_key))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
        .one(db)
        .await?)
}

/// The condition on `approval_requests` selecting those the actor may read:
/// the requests of the releases they may see (a hidden release's requests
/// answer like missing ones); `None` is all.
fn visible_requests(actor: &Actor) -> Option<sea_orm::Condition> {
    let visibility = actor.visibility()?;
    let releases = sea_orm::sea_query::Query::select()
        .column(crate::entity::release::Column::Id)
        .from(crate::entity::release::Entity)
        .cond_where(visibility.condition())
        .to_owned();
    Some(sea_orm::Condition::all().add(approval_request::Column::ReleaseId.in_subquery(releases)))
}

/// What [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct ApprovalFilter {
    /// Only requests where the actor (or someone they cover) has a pending vote.
    pub mine: bool,
    pub statuses: Vec<ApprovalStatus>,
    pub release_id: Option<i32>,
}

/// Whether `person_id` holds a vote on request `request_id`: as its approver,
/// or as the member a vote was handed to.
pub async fn holds_vote<C: ConnectionTrait>(
    db: &C,
    request_id: i32,
    person_id: i32,
) -> DomainResult<bool> {
    use sea_orm::{Condition, PaginatorTrait};
    let votes = approval_vote::Entity::find()
        .filter(approval_vote::Column::RequestId.eq(request_id))
        .filter(
            Condition::any()
                .add(approval_vote::Column::ApproverId.eq(person_id))
                .add(approval_vote::Column::DelegatedTo.eq(person_id)),
        )
        .count(db)
        .await?;
    Ok(votes > 0)
}

/// Approval requests the actor may see, newest first, at most `limit`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &ApprovalFilter,
    at: DateTimeUtc,
    limit: u64,
) -> DomainResult<Vec<approval_request::Model>> {
    let mut query = approval_request::Entity::find();
    if !filter.statuses.is_empty() {
        query = query.filter(approval_request::Column::Status.is_in(filter.statuses.clone()));
    }
    if let Some(release_id) = filter.release_id {
        query = query.filter(approval_request::Column::ReleaseId.eq(release_id));
    }
    if let Some(visible) = visible_requests(actor) {
        query = query.filter(visible);
    }
    if filter.mine {
        let Some(person_id) = actor.person_id() else {
            return Ok(Vec::new());
        };
        let mut voters = vec![person_id];
        voters.extend(delegations::covered_by(db, person_id, at).await?);
        let votes = approval_vote::Entity::find()
            .select_only()
            .column(approval_vote::Column::RequestId)
            .filter(approval_vote::Column::ApproverId.is_in(voters))
            .filter(approval_vote::Column::Decision.eq(crate::entity::VoteDecision::Pending));
        query = query.filter(approval_request::Column::Id.in_subquery(votes.into_query()));
    }
    Ok(query
        .order_by_desc(approval_request::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One request the actor may see, or `NOT_FOUND`.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> DomainResult<approval_request::Model> {
    let mut query = approval_request::Entity::find_by_id(id);
    if let Some(visible) = visible_requests(actor) {
        query = query.filter(visible);
    }
    query
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("approval", id))
}

/// The requests of each release in `release_ids` (its milestones' included), oldest first.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<approval_request::Model>>> {
    let rows = approval_request::Entity::find()
        .filter(approval_request::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(approval_request::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |r| r.release_id))
}

/// The latest request of each milestone in `milestone_ids`.
pub async fn latest_for_milestones<C: ConnectionTrait>(
    db: &C,
    milestone_ids: &[i32],
) -> DomainResult<HashMap<i32, approval_request::Model>> {
    let rows = approval_request::Entity::find()
        .filter(approval_request::Column::MilestoneId.is_in(milestone_ids.iter().copied()))
        .order_by_asc(approval_request::Column::Round)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.milestone_id.map(|m| (m, r)))
        .collect())
}

/// The pending votes of open requests that are owed an e-mail at `now`: never
/// e-mailed, or last e-mailed a reminder interval ago. Also answers how many
/// requests are open.
pub async fn votes_due_for_mail<C: ConnectionTrait>(
    db: &C,
    now: DateTimeUtc,
) -> DomainResult<(usize, Vec<(approval_request::Model, approval_vote::Model)>)> {
    let open = approval_request::Entity::find()
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
        .order_by_asc(approval_request::Column::Id)
        .all(db)
        .await?;
    let mut votes = votes_for(db, &open.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let mut due = Vec::new();
    for request in &open {
        let interval = chrono::Duration::hours(i64::from(Ord::max(request.reminder_hours, 1)));
        for vote in votes.remove(&request.id).unwrap_or_default() {
            let owed = vote.decision == crate::entity::VoteDecision::Pending
                && vote
                    .last_emailed_at
                    .is_none_or(|last| last + interval <= now);
            if owed {
                due.push((request.clone(), vote));
            }
        }
    }
    Ok((open.len(), due))
}

/// Counts an e-mail for each vote in `vote_ids`, now.
pub async fn mark_emailed(tx: &mut crate::Tx, vote_ids: &[i32]) -> DomainResult<()> {
    if vote_ids.is_empty() {
        return Ok(());
    }
    approval_vote::Entity::update_many()
        .col_expr(
            approval_vote::Column::EmailsSent,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(approval_vote::Column::EmailsSent),
                1,
            ),
        )
        .col_expr(
            approval_vote::Column::LastEmailedAt,
            sea_orm::sea_query::Expr::value(Some(tx.now())),
        )
        .filter(approval_vote::Column::Id.is_in(vote_ids.iter().copied()))
        .exec(tx.db())
        .await?;
    Ok(())
}

/// The votes of each request in `request_ids`, in the order they were added.
pub async fn votes_for<C: ConnectionTrait>(
    db: &C,
    request_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<approval_vote::Model>>> {
    let rows = approval_vote::Entity::find()
        .filter(approval_vote::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(approval_vote::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |v| v.request_id))
}
