//! A change request from change management. While linked to a release (or a
//! phase), its schedule follows that release's planned window and is read only.

use sea_orm::entity::prelude::*;

/// Where a change stands in change management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ChangeState {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "ASSESS")]
    Assess,
    #[sea_orm(string_value = "AUTHORIZE")]
    Authorize,
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "IMPLEMENT")]
    Implement,
    #[sea_orm(string_value = "REVIEW")]
    Review,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// How much could go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum ChangeRisk {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "MEDIUM")]
    Medium,
    #[sea_orm(string_value = "HIGH")]
    High,
}

/// A row of `change_requests`; `number` (`CHG-000123`) is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub number: String,
    pub title: String,
    pub description: String,
    pub state: ChangeState,
    pub risk: ChangeRisk,
    pub scheduled_start: Option<DateTimeUtc>,
    pub scheduled_end: Option<DateTimeUtc>,
    pub requester_id: i32,
    /// The release (or phase) whose window drives the schedule, while linked.
    pub release_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
