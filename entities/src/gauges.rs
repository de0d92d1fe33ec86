//! What an operator's dashboard shows about the stored state: the outbox's
//! depth, the oldest e-mail still waiting, open and overdue approvals; and how
//! long units of work wait to begin. Read with a fixed number of statements,
//! whatever the size of the tables.

use crate::entity::{approval_request, outbox_message, ApprovalStatus, OutboxStatus};
use crate::DomainResult;
use chrono::{DateTime, Utc};
use prometheus::{Histogram, HistogramOpts};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::sync::LazyLock;

/// The figures at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState {
    /// Messages of the outbox by status; a status with none is absent.
    pub outbox: Vec<(OutboxStatus, i64)>,
    /// When the oldest message still waiting to be sent (queued or being sent) was written.
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    pub approvals_open: u64,
    /// Open approvals whose due time has passed.
    pub approvals_overdue: u64,
}

/// Reads the figures as they stand at `now`.
pub async fn stored_state(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> DomainResult<StoredState> {
    let outbox = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Status)
        .column_as(Expr::col(outbox_message::Column::Id).count(), "messages")
        .group_by(outbox_message::Column::Status)
        .into_tuple::<(OutboxStatus, i64)>()
        .all(db)
        .await?;
    let oldest_unsent_at = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::CreatedAt)
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Queued, OutboxStatus::Sending]))
        .order_by_asc(outbox_message::Column::CreatedAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    let open = || {
        approval_request::Entity::find()
            .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
    };
    let approvals_open = open().count(db).await?;
    let approvals_overdue = open()
        .filter(approval_request::Column::DueAt.lt(now))
        .count(db)
        .await?;
    Ok(StoredState {
        outbox,
        oldest_unsent_at,
        approvals_open,
        approvals_overdue,
    })
}

/// Seconds a unit of work waited to open its transaction: for a pooled
/// connection and, on SQLite, for the one writer's lock. Process-wide, since
/// the pool is shared by everything the process runs.
pub fn begin_wait() -> &'static Histogram {
    static BEGIN_WAIT: LazyLock<Histogram> = LazyLock::new(|| {
        Histogram::with_opts(
            HistogramOpts::new(
                "releasedesk_db_begin_wait_seconds",
                "Time a unit of work waited to open its write transaction (a pooled connection; on SQLite also the writer lock).",
            )
            .buckets(vec![
                0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0,
            ]),
        )
        .expect("the histogram's options are valid")
    });
    &BEGIN_WAIT
}
