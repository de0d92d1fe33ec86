//! Opening the database pool and applying migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// How long an SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a pooled connection before it is told the
/// database is unavailable (HTTP 503), instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// Rows an SQLite connection's worker thread may hand over before it waits for
/// the request to take them: enough for a full page with its milestones, so a
/// page is read without the worker and the request taking turns (sqlx: 50).
const SQLITE_ROW_BUFFER: usize = 1024;

/// How long a PostgreSQL session may wait or idle, set on every connection
/// of the pool. Past a bound the statement fails: a lock wait or a slow
/// statement answers `CONFLICT` (retryable), and a transaction left open by
/// a frozen or lost client is ended by the server, releasing its locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// `lock_timeout`: the longest wait for a row or table lock.
    pub lock: Duration,
    /// `statement_timeout`: the longest any one statement runs.
    pub statement: Duration,
    /// `idle_in_transaction_session_timeout`: the longest a transaction may
    /// sit open with no statement running.
    pub idle_in_transaction: Duration,
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        Self {
            lock: Duration::from_secs(3),
            statement: Duration::from_secs(10),
            idle_in_transaction: Duration::from_secs(10),
        }
    }
}

/// Opens a pool on `url` with the default [`SessionTimeouts`].
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, SessionTimeouts::default()).await
}

/// Opens a pool on `url`. SQLite gets WAL, a busy timeout and enforced foreign
/// keys; PostgreSQL sessions get `timeouts`.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    timeouts: SessionTimeouts,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // no ping before every checkout: a round trip per statement for nothing;
        // a dead connection fails its statement and the pool replaces it
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .row_buffer_size(SQLITE_ROW_BUFFER)
        })
        .map_sqlx_postgres_opts(move |opts| {
            let ms = |d: Duration| format!("{}ms", d.as_millis());
            opts.options([
                ("lock_timeout", ms(timeouts.lock)),
                ("statement_timeout", ms(timeouts.statement)),
                (
                    "idle_in_transaction_session_timeout",
                    ms(timeouts.idle_in_transaction),
                ),
            ])
        });
    Database::connect(options).await
}

/// The advisory lock replicas take to migrate one at a time: "RDMG".
const MIGRATION_LOCK: i64 = 0x5244_4D47;

/// Applies every pending migration. On PostgreSQL replicas starting together
/// take turns under a session advisory lock held on a connection of its own,
/// so one applies a new migration and the others find it applied; a replica
/// that dies while migrating loses the lock with its session. A pool of one
/// connection cannot hold the lock beside the migration, and migrates alone.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let pool = db.get_postgres_connection_pool();
    if pool.options().get_max_connections() < 2 {
        return Migrator::up(db, None).await;
    }
    let failed = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("migration lock: {e}"));
    let mut holder = pool.acquire().await.map_err(failed)?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *holder)
        .await
        .map_err(failed)?;
    let migrated = Migrator::up(db, None).await;
    sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *holder)
        .await
        .map_err(failed)?;
    migrated
}
