//! A board member's cover for a period (holiday cover).

use sea_orm::entity::prelude::*;

/// A row of `approval_delegations`: `delegate_id` votes for `delegator_id`
/// from `starts_at` until `ends_at`, unless revoked.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_delegations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub delegator_id: i32,
    pub delegate_id: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub reason: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
