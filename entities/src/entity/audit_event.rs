//! One row per mutation attempt: who, with which token, in which request, and how it ended.

use sea_orm::entity::prelude::*;

/// A row of `audit_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<i32>,
    pub token_id: Option<i32>,
    pub request_id: String,
    /// The mutation field, e.g. `transitionRelease`.
    pub operation: String,
    /// `OK`, or the error code the caller received.
    pub outcome: String,
    /// The arguments as sent, with secrets left out.
    pub arguments: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
