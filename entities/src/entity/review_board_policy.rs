//! How the Release Review Board decides: one row, changed by administrators.

use super::approval_request::DecisionRule;
use sea_orm::entity::prelude::*;

/// The row of `review_board_policies` (its id is always 1). Requests copy it
/// when they open, so a change applies to later requests only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_board_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub rule: DecisionRule,
    /// Approvals needed under `QUORUM`.
    pub quorum: Option<i32>,
    /// Hours from opening until a request times out.
    pub due_hours: i32,
    /// Hours between reminders to approvers who have not voted.
    pub reminder_hours: i32,
    /// The board decides every MAJOR release, not only those made from a
    /// template that asks for it.
    pub every_major: bool,
    /// The board decides every EMERGENCY release, by any one member.
    pub emergency_by_any_member: bool,
    pub updated_by: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
