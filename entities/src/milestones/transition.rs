//! Moving milestones through their lifecycle and in sequence.

use crate::entity::{milestone, release, EventKind, MilestoneStatus};
use crate::kit::save;
use crate::lifecycle::milestone::{self as lifecycle, MilestoneAction, MilestoneFacts};
use crate::{approvals, DomainError, DomainResult, Event, Subject, Tx};
use sea_orm::{
    prelude::*,
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    QueryOrder,
};

/// Moves milestone `before` of `release` by `action` and records it; what follows
/// (the next milestone, the release to REVIEW) is [`crate::workflow`]'s to run.
pub(crate) async fn apply(
    tx: &mut Tx,
    release: &release::Model,
    before: milestone::Model,
    action: MilestoneAction,
) -> DomainResult<milestone::Model> {
    let earlier_open = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release.id))
        .filter(milestone::Column::Sequence.lt(before.sequence))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .count(tx.db())
        .await?;
    let awaiting_board = before.status == MilestoneStatus::PendingApproval
        && !approvals::awaiting_board(tx.db(), &[approvals::milestone_key(before.id)])
            .await?
            .is_empty();
    let facts = MilestoneFacts {
        release_status: release.status,
        requires_approval: before.requires_approval,
        is_next_in_sequence: earlier_open == 0,
        awaiting_board,
    };
    let to = lifecycle::next_status(before.status, action, &facts).map_err(|refusal| {
        DomainError::invalid_transition(
            lifecycle::status_name(before.status),
            action.name(),
            lifecycle::available_actions(before.status, &facts)
                .into_iter()
                .map(MilestoneAction::name),
            refusal,
        )
    })?;
    let mut row = milestone::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    if to == MilestoneStatus::Active && before.actual_start.is_none() {
        row.actual_start = Set(Some(tx.now()));
    }
    if !to.is_open() {
        row.actual_end = Set(Some(tx.now()));
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(Subject::Release(release.id), [status_event(&before, to)]);
    Ok(saved)
}

/// Starts the first PLANNED milestone of a release unless one is already running.
pub(crate) async fn activate_next(
    tx: &mut Tx,
    release_id: i32,
) -> DomainResult<Option<milestone::Model>> {
    let txn = tx.db();
    let running = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(
            milestone::Column::Status
                .is_in([MilestoneStatus::Active, MilestoneStatus::PendingApproval]),
        )
        .count(txn)
        .await?;
    if running > 0 {
        return Ok(None);
    }
    let Some(next) = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(milestone::Column::Status.eq(MilestoneStatus::Planned))
        .order_by_asc(milestone::Column::Sequence)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let row = milestone::ActiveModel {
        status: Set(MilestoneStatus::Active),
        actual_start: Set(Some(tx.now())),
        ..Default::default()
    };
    let saved = save(txn, tx.now(), &next, row).await?;
    tx.record(
        Subject::Release(release_id),
        [status_event(&next, MilestoneStatus::Active).with_note(Some("next in sequence".into()))],
    );
    Ok(Some(saved))
}

/// Cancels every open milestone of a cancelled release in one statement.
pub(crate) async fn cancel_open(tx: &mut Tx, release_id: i32) -> DomainResult<()> {
    let (txn, at) = (tx.db(), tx.now());
    let open = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .all(txn)
        .await?;
    if open.is_empty() {
        return Ok(());
    }
    milestone::Entity::update_many()
        .col_expr(
            milestone::Column::Status,
            Expr::value(MilestoneStatus::Cancelled),
        )
        .col_expr(milestone::Column::ActualEnd, Expr::value(Some(at)))
        .col_expr(milestone::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            milestone::Column::Version,
            Expr::col(milestone::Column::Version).add(1),
        )
        .filter(milestone::Column::Id.is_in(open.iter().map(|m| m.id)))
        .exec(txn)
        .await?;
    let events = open.iter().map(|m| {
        status_event(m, MilestoneStatus::Cancelled).with_note(Some("release cancelled".into()))
    });
    tx.record(Subject::Release(release_id), events.collect::<Vec<_>>());
    Ok(())
}

fn status_event(before: &milestone::Model, to: MilestoneStatus) -> Event {
    Event::change(
        EventKind::MilestoneStatusChanged,
        "status",
        Some(lifecycle::status_name(before.status).to_owned()),
        Some(lifecycle::status_name(to).to_owned()),
    )
    .on_milestone(before.id)
}
