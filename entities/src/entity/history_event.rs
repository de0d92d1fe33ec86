//! The history of releases, their milestones and, as they arrive, other
//! subjects (change requests, configuration items): one row per change.

use sea_orm::entity::prelude::*;

/// What kind of change an event records.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum EventKind {
    #[sea_orm(string_value = "RELEASE_CREATED")]
    ReleaseCreated,
    #[sea_orm(string_value = "RELEASE_UPDATED")]
    ReleaseUpdated,
    #[sea_orm(string_value = "RELEASE_STATUS_CHANGED")]
    ReleaseStatusChanged,
    #[sea_orm(string_value = "REVIEW_RECORDED")]
    ReviewRecorded,
    #[sea_orm(string_value = "MILESTONE_ADDED")]
    MilestoneAdded,
    #[sea_orm(string_value = "MILESTONE_UPDATED")]
    MilestoneUpdated,
    #[sea_orm(string_value = "MILESTONE_STATUS_CHANGED")]
    MilestoneStatusChanged,
    #[sea_orm(string_value = "STAKEHOLDER_ADDED")]
    StakeholderAdded,
    #[sea_orm(string_value = "STAKEHOLDER_REMOVED")]
    StakeholderRemoved,
    #[sea_orm(string_value = "CHANGE_CREATED")]
    ChangeCreated,
    #[sea_orm(string_value = "CHANGE_UPDATED")]
    ChangeUpdated,
    #[sea_orm(string_value = "CHANGE_LINKED")]
    ChangeLinked,
    #[sea_orm(string_value = "CHANGE_UNLINKED")]
    ChangeUnlinked,
    /// The change's schedule followed its release's window.
    #[sea_orm(string_value = "CHANGE_RESCHEDULED")]
    ChangeRescheduled,
    /// The Review Board was asked to decide (`note` names the request and rule).
    #[sea_orm(string_value = "APPROVAL_REQUESTED")]
    ApprovalRequested,
    /// An approver voted (`to_value` is the decision, `note` the comment).
    #[sea_orm(string_value = "VOTE_CAST")]
    VoteCast,
    /// A request ended (`to_value` is APPROVED, REJECTED, TIMED_OUT or CANCELLED).
    #[sea_orm(string_value = "APPROVAL_DECIDED")]
    ApprovalDecided,
    /// A cost line was entered (`to_value` is the amount, `note` the description).
    #[sea_orm(string_value = "COST_ADDED")]
    CostAdded,
    /// A cost line was reversed by a negative one.
    #[sea_orm(string_value = "COST_REVERSED")]
    CostReversed,
    #[sea_orm(string_value = "BUDGET_CHANGED")]
    BudgetChanged,
    /// The running cost became final (milestone completed, release closed).
    #[sea_orm(string_value = "COST_FROZEN")]
    CostFrozen,
    /// An administrator reopened a final cost for more lines.
    #[sea_orm(string_value = "COST_REOPENED")]
    CostReopened,
    /// A release manager went ahead inside a hard freeze (`to_value` names
    /// the freezes, `note` the action and the reason).
    #[sea_orm(string_value = "FREEZE_OVERRIDDEN")]
    FreezeOverridden,
    /// The board approved a release inside a hard freeze; it stays REQUESTED.
    #[sea_orm(string_value = "FREEZE_HELD")]
    FreezeHeld,
}

/// What kind of thing an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SubjectType {
    /// A release, or one of its milestones or stakeholders.
    #[sea_orm(string_value = "RELEASE")]
    Release,
    /// A change request.
    #[sea_orm(string_value = "CHANGE")]
    Change,
}

/// A row of `history_events`; `field`, `from_value` and `to_value` describe one change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "history_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subject_type: SubjectType,
    pub subject_id: i32,
    /// The release involved, if any.
    pub release_id: Option<i32>,
    pub milestone_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub kind: EventKind,
    pub field: Option<String>,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
