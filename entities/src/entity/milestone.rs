//! A milestone of a release; milestones run in sequence.

use sea_orm::entity::prelude::*;

/// Lifecycle state; the rules live in [`crate::lifecycle::milestone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum MilestoneStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PENDING_APPROVAL")]
    PendingApproval,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

impl MilestoneStatus {
    /// States in which the milestone still has work (or a decision) ahead.
    pub const OPEN: [MilestoneStatus; 3] = [Self::Planned, Self::Active, Self::PendingApproval];

    /// True while the milestone is not finished.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// A row of `milestones`; unique per (release, sequence).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub release_id: i32,
    pub sequence: i32,
    pub title: String,
    pub description: String,
    pub status: MilestoneStatus,
    pub requires_approval: bool,
    pub planned_start: Option<DateTimeUtc>,
    pub planned_end: Option<DateTimeUtc>,
    pub actual_start: Option<DateTimeUtc>,
    pub actual_end: Option<DateTimeUtc>,
    /// Its cost lines' total (minor units).
    pub cost_running: i64,
    /// The running cost frozen when it completed.
    pub cost_final: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::release::Entity",
        from = "Column::ReleaseId",
        to = "super::release::Column::Id"
    )]
    Release,
}

impl Related<super::release::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Release.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
