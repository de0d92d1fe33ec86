//! Moving a release through its lifecycle (the cascades are the workflow's).

use super::facts::facts;

use crate::entity::{release, EventKind, ReleaseStatus};
use crate::kit::save;
use crate::lifecycle::release::{self as lifecycle, ReleaseAction};
use crate::validate;
use crate::{DomainError, DomainResult, Event, Subject, Tx};
use sea_orm::{prelude::*, ActiveValue::Set};

/// Checks a user-given reason: required to reject or cancel, trimmed, bounded.
pub fn reason_for(action: ReleaseAction, reason: Option<String>) -> DomainResult<Option<String>> {
    let reason = validate::optional_note("reason", reason)?;
    if matches!(action, ReleaseAction::Reject | ReleaseAction::Cancel) && reason.is_none() {
        return Err(DomainError::validation(
            "reason",
            format!("a reason is required to {}", action.name()),
        ));
    }
    Ok(reason)
}

/// Moves `before` by `action` and records it; the cascades that follow the new
/// status are [`crate::workflow`]'s to run.
pub(crate) async fn apply(
    tx: &mut Tx,
    before: release::Model,
    action: ReleaseAction,
    reason: Option<String>,
) -> DomainResult<release::Model> {
    let facts = facts(tx.db(), std::slice::from_ref(&before))
        .await?
        .remove(&before.id)
        .unwrap_or_default();
    let to = lifecycle::next_status(before.status, action, &facts).map_err(|refusal| {
        DomainError::invalid_transition(
            lifecycle::status_name(before.status),
            action.name(),
            lifecycle::available_actions(before.status, &facts)
                .into_iter()
                .map(ReleaseAction::name),
            refusal,
        )
    })?;
    let mut row = release::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    match to {
        ReleaseStatus::Active if before.actual_start.is_none() => {
            row.actual_start = Set(Some(tx.now()))
        }
        ReleaseStatus::Closed => row.actual_end = Set(Some(tx.now())),
        ReleaseStatus::Cancelled => row.cancel_reason = Set(reason.clone()),
        _ => {}
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(
        Subject::Release(before.id),
        [Event::change(
            EventKind::ReleaseStatusChanged,
            "status",
            Some(lifecycle::status_name(before.status).to_owned()),
            Some(lifecycle::status_name(to).to_owned()),
        )
        .with_note(reason)],
    );
    crate::notifications::status_changed(tx, before.status, &saved).await?;
    Ok(saved)
}

/// The open phases of a master, to cancel with it.
pub(crate) async fn open_phases(tx: &Tx, master_id: i32) -> DomainResult<Vec<release::Model>> {
    Ok(release::Entity::find()
        .filter(release::Column::MasterId.eq(master_id))
        .filter(release::Column::Status.is_not_in(ReleaseStatus::FINAL))
        .all(tx.db())
        .await?)
}
