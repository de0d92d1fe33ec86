//! The schedule lock: what keeps a freeze and a release from passing each
//! other. A unit of work that decides on a release by the freezes over it
//! (APPROVE, START, a board's verdict, a moved window) takes it shared after
//! its release locks; one that writes a window takes it exclusively before it
//! reads the releases the window bears on. Whichever commits first, the other
//! sees it: a freeze created while a release is approved either refuses the
//! approval or finds the approved release and tells its owner.
//!
//! On PostgreSQL it is a transaction-scoped advisory lock, released at commit
//! or rollback. SQLite runs one writer at a time, which already orders them.

use crate::{DomainResult, Tx};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// The advisory lock key: "RDSC" as a number.
pub const KEY: i64 = 0x5244_5343;

/// Takes the schedule lock shared: freeze writes wait for this unit of work,
/// other readers do not.
pub async fn shared(tx: &Tx) -> DomainResult<()> {
    take(tx, "pg_advisory_xact_lock_shared").await
}

/// Takes the schedule lock exclusively: units of work deciding by freezes
/// wait for this one.
pub async fn exclusive(tx: &Tx) -> DomainResult<()> {
    take(tx, "pg_advisory_xact_lock").await
}

async fn take(tx: &Tx, function: &str) -> DomainResult<()> {
    if tx.db().get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    tx.db()
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT {function}({KEY})"),
        ))
        .await?;
    Ok(())
}
