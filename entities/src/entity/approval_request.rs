//! A request for the Release Review Board's decision on a release or a milestone.

use sea_orm::entity::prelude::*;

/// How a request's votes decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DecisionRule {
    /// Every approver approves; any rejection rejects.
    #[sea_orm(string_value = "ALL")]
    All,
    /// More than half approve; rejected once that cannot happen.
    #[sea_orm(string_value = "MAJORITY")]
    Majority,
    /// At least `quorum` approve; rejected once that cannot happen.
    #[sea_orm(string_value = "QUORUM")]
    Quorum,
    /// The first decision of any approver decides (the emergency fast path).
    #[sea_orm(string_value = "ANY")]
    Any,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ApprovalStatus {
    /// Votes are being collected.
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Its due time passed without a decision; the release manager was told.
    #[sea_orm(string_value = "TIMED_OUT")]
    TimedOut,
    /// The release or milestone was cancelled first.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// A row of `approval_requests`; unique per (subject, round).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub release_id: i32,
    /// Set when the request is about one milestone of the release.
    pub milestone_id: Option<i32>,
    /// `release:<id>` or `milestone:<id>`.
    pub subject_key: String,
    /// 1 for the first request about the subject, then one more per new request.
    pub round: i32,
    pub rule: DecisionRule,
    pub quorum: Option<i32>,
    /// Opened on the emergency fast path: one member decides.
    pub emergency: bool,
    pub status: ApprovalStatus,
    /// Hours between reminders to approvers who have not voted.
    pub reminder_hours: i32,
    pub opened_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it ended the way it did, in words.
    pub note: Option<String>,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// Whose action opened it (a submit, a milestone's completion); like the
    /// release's owner, they never vote on it.
    pub requested_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
