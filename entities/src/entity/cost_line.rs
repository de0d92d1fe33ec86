//! One line of a release's cost ledger; lines are never changed or deleted.

use sea_orm::entity::prelude::*;

/// What a cost was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CostCategory {
    #[sea_orm(string_value = "LABOUR")]
    Labour,
    #[sea_orm(string_value = "HARDWARE")]
    Hardware,
    #[sea_orm(string_value = "SOFTWARE")]
    Software,
    #[sea_orm(string_value = "SERVICES")]
    Services,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// A row of `cost_lines`. A mistake is corrected by a reversing line
/// (`reverses_id`, negative amount), at most one per line.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub release_id: i32,
    pub milestone_id: Option<i32>,
    pub category: CostCategory,
    pub description: String,
    /// Minor units (cents); negative only on a reversal.
    pub amount: i64,
    /// ISO 4217 code, the deployment's currency.
    pub currency: String,
    pub incurred_on: Date,
    pub entered_by: Option<i32>,
    pub entered_at: DateTimeUtc,
    pub reverses_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
