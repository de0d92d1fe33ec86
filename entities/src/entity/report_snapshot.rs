//! A stored release report for one period; one per period.

use sea_orm::entity::prelude::*;

/// A row of `report_snapshots`; `(period_from, period_to)` is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub period_from: DateTimeUtc,
    pub period_to: DateTimeUtc,
    /// The report as JSON (`entities::reports::ReleaseReport`).
    pub report: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
