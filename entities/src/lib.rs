//! Releasedesk's data model and the domain rules that belong to the data.
//!
//! The API and the jobs both call the operations here; nothing in this crate
//! knows about HTTP, GraphQL or SMTP.

pub mod access;
pub mod audit;
pub mod clock;
pub mod entity;
pub mod error;
pub mod history;
pub mod lifecycle;
pub mod milestones;
pub mod people;
pub mod release_query;
pub mod releases;
pub mod stakeholders;
pub mod templates;
pub mod tokens;
mod validate;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, DomainResult};

/// Starts a write transaction. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue behind the busy timeout
/// instead of failing when they first write; PostgreSQL ignores the mode.
pub(crate) async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Who made a change and when: stamped on every row and history event a change
/// writes, and, for API calls, the audit event written in the same transaction.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// The moment of the change, in UTC.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The person acting, when known.
    pub actor_id: Option<i32>,
    /// The audit record to commit with the change; `None` outside the API.
    pub audit: Option<std::sync::Arc<audit::AuditContext>>,
}

impl Stamp {
    /// A change by nobody in particular (demo data, command line, tests).
    pub fn system(at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            at,
            actor_id: None,
            audit: None,
        }
    }
}
