//! The e-mail outbox. Rows are written inside the unit of work of the change
//! they tell about, under a unique idempotency key, so a retried change or a
//! second replica never queues the same e-mail twice; dispatchers claim rows
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single-writer transaction on
//! SQLite), send them, and mark them sent or schedule a retry.

use crate::entity::{outbox_message, OutboxStatus};
use crate::policy::Capability;
use crate::{DomainError, DomainResult, Tx};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict};
use sea_orm::{
    prelude::*, ActiveValue::Set, Condition, DatabaseBackend, QueryOrder, QuerySelect,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Longest error text kept on a row.
const MAX_ERROR_CHARS: usize = 2_000;

/// A file sent with an e-mail; with a `content_id` it is shown inline
/// (`<img src="cid:…">` in the HTML), else offered as an attachment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content_id: Option<String>,
    /// The content, base64.
    pub data: String,
}

impl Attachment {
    /// An attachment of `bytes`.
    pub fn new(filename: &str, content_type: &str, content_id: Option<&str>, bytes: &[u8]) -> Self {
        use base64::Engine;
        Self {
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            content_id: content_id.map(str::to_owned),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The attachments stored on `row`.
    pub fn of(row: &outbox_message::Model) -> Vec<Attachment> {
        row.attachments
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }
}

/// Marks every queued e-mail as sent when it was queued. For a past loaded in
/// one unit of work ([`Tx::travel_to`], the demo), whose e-mails went out back
/// then; the service's own changes never call it. Answers how many.
pub async fn settle_queued(tx: &mut Tx) -> DomainResult<u64> {
    Ok(outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Sent),
        )
        .col_expr(
            outbox_message::Column::SentAt,
            Expr::col(outbox_message::Column::CreatedAt),
        )
        .col_expr(outbox_message::Column::Attempts, Expr::value(1))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Queued))
        .exec(tx.db())
        .await?
        .rows_affected)
}

/// One e-mail to queue.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Unique per e-mail, e.g. `approval-request:7:3:0`.
    pub key: String,
    pub kind: &'static str,
    pub release_id: Option<i32>,
    pub recipient_id: Option<i32>,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

/// Queues `mails` in the unit of work; a key already queued is skipped.
/// Returns how many rows were new.
pub async fn enqueue(tx: &mut Tx, mails: Vec<Mail>) -> DomainResult<u64> {
    if mails.is_empty() {
        return Ok(0);
    }
    let now = tx.now();
    let mut inserted = 0;
    for chunk in mails.chunks(500) {
        let rows = chunk
            .iter()
            .cloned()
            .map(|mail| outbox_message::ActiveModel {
                idempotency_key: Set(mail.key),
                kind: Set(mail.kind.to_owned()),
                release_id: Set(mail.release_id),
                recipient_id: Set(mail.recipient_id),
                recipient: Set(mail.recipient),
                subject: Set(one_line(&mail.subject)),
                text_body: Set(mail.text),
                html_body: Set(mail.html),
                attachments: Set((!mail.attachments.is_empty())
                    .then(|| serde_json::to_string(&mail.attachments).unwrap_or_default())),
                status: Set(OutboxStatus::Queued),
                attempts: Set(0),
                next_attempt_at: Set(now),
                claimed_by: Set(None),
                claimed_until: Set(None),
                last_error: Set(None),
                created_at: Set(now),
                sent_at: Set(None),
                ..Default::default()
            });
        inserted += outbox_message::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(outbox_message::Column::IdempotencyKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(tx.db())
            .await?;
    }
    Ok(inserted)
}

/// A header-safe subject: control characters (CR and LF above all) become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Claims up to `limit` messages that are due (queued and due, or claimed by a
/// dispatcher whose claim ran out) for `runner` until `now + lease`, counting
/// the attempt. Concurrent dispatchers never claim the same row.
pub async fn claim(
    db: &DatabaseConnection,
    runner: &str,
    now: DateTimeUtc,
    lease: chrono::Duration,
    limit: u64,
) -> DomainResult<Vec<outbox_message::Model>> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    let mut query = outbox_message::Entity::find()
        .filter(
            Condition::any()
                .add(
                    outbox_message::Column::Status
                        .eq(OutboxStatus::Queued)
                        .and(outbox_message::Column::NextAttemptAt.lte(now)),
                )
                .add(
                    outbox_message::Column::Status
                        .eq(OutboxStatus::Sending)
                        .and(outbox_message::Column::ClaimedUntil.lte(now)),
                ),
        )
        .order_by_asc(outbox_message::Column::Id)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let due = query.all(&txn).await?;
    if due.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    let until = now + lease;
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Sending),
        )
        .col_expr(
            outbox_message::Column::ClaimedBy,
            Expr::value(Some(runner.to_owned())),
        )
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Some(until)),
        )
        .col_expr(
            outbox_message::Column::Attempts,
            Expr::col(outbox_message::Column::Attempts).add(1),
        )
        .filter(outbox_message::Column::Id.is_in(due.iter().map(|m| m.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(due
        .into_iter()
        .map(|m| outbox_message::Model {
            status: OutboxStatus::Sending,
            claimed_by: Some(runner.to_owned()),
            claimed_until: Some(until),
            attempts: m.attempts + 1,
            ..m
        })
        .collect())
}

/// True while `message` is still claimed by its dispatcher and the claim
/// lasts beyond `until`: checked right before each send, so a dispatcher
/// resumed after its lease sends nothing another may have taken over.
pub async fn still_claimed<C: ConnectionTrait>(
    db: &C,
    message: &outbox_message::Model,
    until: DateTimeUtc,
) -> DomainResult<bool> {
    Ok(outbox_message::Entity::find()
        .filter(claimed_by_me(message))
        .filter(outbox_message::Column::ClaimedUntil.gt(until))
        .count(db)
        .await?
        == 1)
}

/// Marks a claimed message sent; false when the claim was lost meanwhile.
pub async fn mark_sent<C: ConnectionTrait>(
    db: &C,
    message: &outbox_message::Model,
    now: DateTimeUtc,
) -> DomainResult<bool> {
    let result = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Sent),
        )
        .col_expr(outbox_message::Column::SentAt, Expr::value(Some(now)))
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Option::<DateTimeUtc>::None),
        )
        .col_expr(
            outbox_message::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(claimed_by_me(message))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records a failed attempt: queued again after `backoff × 2^(attempts-1)`
/// (at most a day), or parked as FAILED after `max_attempts`.
pub async fn mark_failed<C: ConnectionTrait>(
    db: &C,
    message: &outbox_message::Model,
    now: DateTimeUtc,
    error: &str,
    max_attempts: i32,
    backoff: chrono::Duration,
) -> DomainResult<OutboxStatus> {
    let status = if message.attempts >= max_attempts {
        OutboxStatus::Failed
    } else {
        OutboxStatus::Queued
    };
    let exponent = u32::try_from(message.attempts.clamp(1, 20) - 1).unwrap_or(0);
    let delay = (backoff * 2i32.pow(exponent)).min(chrono::Duration::days(1));
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(status))
        .col_expr(
            outbox_message::Column::NextAttemptAt,
            Expr::value(now + delay),
        )
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Option::<DateTimeUtc>::None),
        )
        .col_expr(outbox_message::Column::LastError, Expr::value(Some(error)))
        .filter(claimed_by_me(message))
        .exec(db)
        .await?;
    Ok(status)
}

fn claimed_by_me(message: &outbox_message::Model) -> Condition {
    Condition::all()
        .add(outbox_message::Column::Id.eq(message.id))
        .add(outbox_message::Column::Status.eq(OutboxStatus::Sending))
        .add(outbox_message::Column::ClaimedBy.eq(message.claimed_by.clone()))
        .add(outbox_message::Column::Attempts.eq(message.attempts))
}

/// Messages for administrators, newest first; all statuses when `statuses` is empty.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &crate::Actor,
    statuses: &[OutboxStatus],
    limit: u64,
) -> DomainResult<Vec<outbox_message::Model>> {
    actor.require(Capability::Administer)?;
    let mut query = outbox_message::Entity::find();
    if !statuses.is_empty() {
        query = query.filter(outbox_message::Column::Status.is_in(statuses.iter().copied()));
    }
    Ok(query
        .order_by_desc(outbox_message::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Queues a parked (FAILED) message again with fresh attempts. Administrators only.
pub async fn retry(tx: &mut Tx, id: i32) -> DomainResult<outbox_message::Model> {
    tx.stamp().actor.require(Capability::Administer)?;
    let found = outbox_message::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("outbox message", id))?;
    if found.status != OutboxStatus::Failed {
        return Err(DomainError::Conflict(format!(
            "outbox message {id} is not FAILED; only parked messages are retried"
        )));
    }
    let mut row: outbox_message::ActiveModel = found.into();
    row.status = Set(OutboxStatus::Queued);
    row.attempts = Set(0);
    row.next_attempt_at = Set(tx.now());
    Ok(row.update(tx.db()).await?)
}
