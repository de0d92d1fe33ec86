//! A release and the enums that describe it.

use sea_orm::entity::prelude::*;

/// How big a release is; only MAJOR releases get template milestones by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReleaseType {
    #[sea_orm(string_value = "MAJOR")]
    Major,
    #[sea_orm(string_value = "MINOR")]
    Minor,
    #[sea_orm(string_value = "EMERGENCY")]
    Emergency,
}

/// Where a release sits: alone, as a master of phases, or as a phase of a master.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReleaseScope {
    #[sea_orm(string_value = "STANDALONE")]
    Standalone,
    #[sea_orm(string_value = "MASTER")]
    Master,
    #[sea_orm(string_value = "PHASE")]
    Phase,
}

/// Lifecycle state; the rules live in [`crate::lifecycle::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReleaseStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ON_HOLD")]
    OnHold,
    #[sea_orm(string_value = "REVIEW")]
    Review,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl ReleaseStatus {
    /// States from which nothing moves any more.
    pub const FINAL: [ReleaseStatus; 3] = [Self::Rejected, Self::Closed, Self::Cancelled];

    /// True while the release can still change state.
    pub fn is_open(self) -> bool {
        !Self::FINAL.contains(&self)
    }
}

/// How the post-implementation review judged the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ReviewOutcome {
    #[sea_orm(string_value = "SUCCESSFUL")]
    Successful,
    #[sea_orm(string_value = "PARTIALLY_SUCCESSFUL")]
    PartiallySuccessful,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// A row of `releases`. `id` is the number users see; `version` guards concurrent edits.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "releases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub description: String,
    pub release_type: ReleaseType,
    pub scope: ReleaseScope,
    pub master_id: Option<i32>,
    pub status: ReleaseStatus,
    pub owner_id: i32,
    pub template_id: Option<i32>,
    pub planned_start: Option<DateTimeUtc>,
    pub planned_end: Option<DateTimeUtc>,
    pub actual_start: Option<DateTimeUtc>,
    pub actual_end: Option<DateTimeUtc>,
    pub review_outcome: Option<ReviewOutcome>,
    pub lessons_learned: Option<String>,
    pub cancel_reason: Option<String>,
    /// Budget in minor units of the deployment's currency.
    pub budget: Option<i64>,
    /// Its cost lines, its milestones' and (for a master) its phases', kept by
    /// every cost write and repaired by the `cost-rollup` job.
    pub cost_running: i64,
    /// The running cost frozen when the release closed.
    pub cost_final: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

impl Model {
    /// The planned window, when both ends are set.
    pub fn planned_window(&self) -> Option<(DateTimeUtc, DateTimeUtc)> {
        self.planned_start.zip(self.planned_end)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Its milestones, for reading a release with them in one statement.
    #[sea_orm(has_many = "super::milestone::Entity")]
    Milestones,
}

impl Related<super::milestone::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Milestones.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
