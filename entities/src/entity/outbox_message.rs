//! An e-mail waiting to be sent, written in the transaction of the change it is about.

use sea_orm::entity::prelude::*;

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutboxStatus {
    /// Waiting for `next_attempt_at`.
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    /// Claimed by a dispatcher until `claimed_until`; retried after that if it dies.
    #[sea_orm(string_value = "SENDING")]
    Sending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Parked after the last attempt; an administrator may queue it again.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// A row of `outbox_messages`; `idempotency_key` is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What makes this e-mail this one (e.g. `approval-request:7:3:0`); the
    /// `Message-ID` is derived from it.
    pub idempotency_key: String,
    /// `APPROVAL_REQUEST`, `APPROVAL_REMINDER`, `APPROVAL_TIMED_OUT`, `STATUS_CHANGED`…
    pub kind: String,
    pub release_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// JSON list of attachments (see `entities::outbox::Attachment`).
    pub attachments: Option<String>,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
