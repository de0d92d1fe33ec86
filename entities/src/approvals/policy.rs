//! The board's decision rule, due time and reminder interval, and which
//! releases it decides beyond those whose template asks for it.

use crate::entity::{review_board_policy, DecisionRule};
use crate::policy::Capability;
use crate::{DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, ActiveValue::Set};

/// Longest time a request may stay open: 30 days.
pub const MAX_DUE_HOURS: i32 = 24 * 30;
/// Longest interval between reminders: a week.
pub const MAX_REMINDER_HOURS: i32 = 24 * 7;
/// Largest quorum accepted.
pub const MAX_QUORUM: i32 = 100;

/// Input of [`set_policy`].
#[derive(Debug, Clone)]
pub struct PolicyInput {
    pub rule: DecisionRule,
    /// Required for `QUORUM`, refused otherwise.
    pub quorum: Option<i32>,
    pub due_hours: i32,
    pub reminder_hours: i32,
    /// Every MAJOR release goes to the board; `None` keeps the current setting.
    pub every_major: Option<bool>,
    /// Every EMERGENCY release goes to the board, decided by any one member;
    /// `None` keeps the current setting.
    pub emergency_by_any_member: Option<bool>,
}

/// The board's policy (the migrations write the default: ALL, 72 h, reminders
/// every 24 h, only releases whose template asks for the board).
pub async fn policy<C: ConnectionTrait>(db: &C) -> DomainResult<review_board_policy::Model> {
    review_board_policy::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("review board policy", 1))
}

/// Replaces the board's policy; requests already open keep theirs. Administrators only.
pub async fn set_policy(
    tx: &mut Tx,
    input: PolicyInput,
) -> DomainResult<review_board_policy::Model> {
    tx.stamp().actor.require(Capability::Administer)?;
    match (input.rule, input.quorum) {
        (DecisionRule::Quorum, None) => {
            return Err(DomainError::validation(
                "quorum",
                "the QUORUM rule needs a quorum",
            ))
        }
        (DecisionRule::Quorum, Some(q)) if !(1..=MAX_QUORUM).contains(&q) => {
            return Err(DomainError::validation(
                "quorum",
                format!("quorum must be between 1 and {MAX_QUORUM}"),
            ))
        }
        (DecisionRule::Quorum, Some(_)) => {}
        (_, Some(_)) => {
            return Err(DomainError::validation(
                "quorum",
                "a quorum applies only to the QUORUM rule",
            ))
        }
        (_, None) => {}
    }
    if !(1..=MAX_DUE_HOURS).contains(&input.due_hours) {
        return Err(DomainError::validation(
            "dueHours",
            format!("dueHours must be between 1 and {MAX_DUE_HOURS}"),
        ));
    }
    if !(1..=MAX_REMINDER_HOURS).contains(&input.reminder_hours) {
        return Err(DomainError::validation(
            "reminderHours",
            format!("reminderHours must be between 1 and {MAX_REMINDER_HOURS}"),
        ));
    }
    let current = policy(tx.db()).await?;
    let mut row: review_board_policy::ActiveModel = current.into();
    row.rule = Set(input.rule);
    row.quorum = Set(input.quorum);
    row.due_hours = Set(input.due_hours);
    row.reminder_hours = Set(input.reminder_hours);
    if let Some(every_major) = input.every_major {
        row.every_major = Set(every_major);
    }
    if let Some(emergency) = input.emergency_by_any_member {
        row.emergency_by_any_member = Set(emergency);
    }
    row.updated_by = Set(tx.stamp().actor.person_id());
    row.updated_at = Set(tx.now());
    Ok(row.update(tx.db()).await?)
}
