//! One approver's vote on an approval request.

use sea_orm::entity::prelude::*;

/// An approver's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VoteDecision {
    /// Not decided yet.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Handed to `delegated_to`, whose own vote counts instead.
    #[sea_orm(string_value = "DELEGATED")]
    Delegated,
    /// Void: its approver lost their standing (the board role, or the
    /// APPROVER stake) before voting; it no longer counts.
    #[sea_orm(string_value = "VOID")]
    Void,
}

/// A row of `approval_votes`; unique per (request, approver).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_votes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: i32,
    pub approver_id: i32,
    pub decision: VoteDecision,
    pub comment: Option<String>,
    /// Who cast it: the approver, or the member covering for them.
    pub decided_by: Option<i32>,
    pub delegated_to: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    /// Request e-mails queued for this vote (the first, then reminders).
    pub emails_sent: i32,
    pub last_emailed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
