//! The one error type of the domain; the API maps it to GraphQL error codes.

use sea_orm::{DbErr, SqlErr};

/// Result of a domain operation.
pub type DomainResult<T> = Result<T, DomainError>;

/// Everything a domain operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The addressed record does not exist.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// The input breaks a rule; `field` names the offending input field.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// The action is not allowed from the current state.
    #[error("{message}")]
    InvalidTransition {
        from: String,
        action: String,
        allowed: Vec<String>,
        message: String,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The record changed since the caller read it, or a unique value is taken.
    #[error("{0}")]
    Conflict(String),
    /// A linked change's schedule follows its release and cannot be edited.
    #[error("{0}")]
    ScheduleReadOnly(String),
    /// A hard freeze holds the release; a release manager may override it
    /// with a reason.
    #[error("{message}")]
    FreezeConflict {
        frozen: Vec<crate::schedule::freeze::Frozen>,
        message: String,
    },
    /// Another unit of work holds what this one needs: a deadlock, a
    /// serialization failure, or a lock or statement wait past its timeout.
    /// Retrying may work.
    #[error("{}", .0.message())]
    Contended(Contention),
    /// A unit of work ran under a job run's lease that another replica has
    /// since taken over; its effect is rolled back.
    #[error("job run {0} no longer holds its lease; its work was rolled back")]
    LeaseLost(i32),
    /// The database cannot be reached now (no connection within the timeout,
    /// or the connection was lost); retrying later may work.
    #[error("the database is unavailable; retry later")]
    Unavailable(DbErr),
    /// The database failed; its text never reaches a client.
    #[error("database error: {0}")]
    Database(DbErr),
}

/// The machine-readable codes of domain errors; the API sends them as
/// `extensions.code` and adds only its transport codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    Validation,
    InvalidTransition,
    Forbidden,
    Conflict,
    ScheduleReadOnly,
    FreezeConflict,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The code as clients see it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::InvalidTransition => "INVALID_TRANSITION",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::ScheduleReadOnly => "SCHEDULE_READ_ONLY",
            ErrorCode::FreezeConflict => "FREEZE_CONFLICT",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl DomainError {
    /// The code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            DomainError::NotFound { .. } => ErrorCode::NotFound,
            DomainError::Validation { .. } => ErrorCode::Validation,
            DomainError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            DomainError::Forbidden(_) => ErrorCode::Forbidden,
            DomainError::Conflict(_) | DomainError::Contended(_) | DomainError::LeaseLost(_) => {
                ErrorCode::Conflict
            }
            DomainError::ScheduleReadOnly(_) => ErrorCode::ScheduleReadOnly,
            DomainError::FreezeConflict { .. } => ErrorCode::FreezeConflict,
            DomainError::Unavailable(_) => ErrorCode::Unavailable,
            DomainError::Database(_) => ErrorCode::Internal,
        }
    }

    /// True when the same request may succeed if sent again unchanged.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            DomainError::Contended(_) | DomainError::Unavailable(_)
        )
    }

    /// True when the unit of work should run again at once: the database
    /// chose it as a deadlock's or serialization conflict's victim.
    pub fn reruns(&self) -> bool {
        matches!(self, DomainError::Contended(Contention::Deadlock(_)))
    }

    /// An `InvalidTransition` refused by a state machine, with the actions that would work.
    pub fn invalid_transition<'a>(
        from: &str,
        action: &str,
        allowed: impl IntoIterator<Item = &'a str>,
        refusal: crate::lifecycle::Refusal,
    ) -> Self {
        Self::InvalidTransition {
            from: from.to_owned(),
            action: action.to_owned(),
            allowed: allowed.into_iter().map(str::to_owned).collect(),
            message: refusal.0,
        }
    }

    /// A `FreezeConflict`: `action` on release `release_id` meets `frozen`.
    pub fn freeze_conflict(
        release_id: i32,
        action: &str,
        frozen: Vec<crate::schedule::freeze::Frozen>,
    ) -> Self {
        let message = format!(
            "release {release_id} cannot {action}: its window meets the hard freeze {}; \
             a release manager may override it with a reason",
            crate::schedule::freeze::names(&frozen)
        );
        Self::FreezeConflict { frozen, message }
    }

    /// A `NotFound` for `entity` with the given id.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// A `Validation` error on `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a unit of work could not get what it needed.
#[derive(Debug)]
pub enum Contention {
    /// A deadlock or serialization failure (PostgreSQL): the unit of work
    /// runs again.
    Deadlock(DbErr),
    /// A row lock not granted within `lock_timeout`, or SQLite's write lock
    /// not within its busy timeout: not run again, which would wait as long.
    LockTimeout(DbErr),
    /// A statement cancelled by `statement_timeout`.
    StatementTimeout(DbErr),
}

impl Contention {
    fn message(&self) -> &'static str {
        match self {
            Contention::Deadlock(_) | Contention::LockTimeout(_) => {
                "the record is being changed by another request; retry"
            }
            Contention::StatementTimeout(_) => "the database took too long to answer; retry",
        }
    }

    /// The database's own error, for the log.
    pub fn source(&self) -> &DbErr {
        match self {
            Contention::Deadlock(err)
            | Contention::LockTimeout(err)
            | Contention::StatementTimeout(err) => err,
        }
    }
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::Conflict("a record with the same unique value already exists".into());
        }
        match classify(&err) {
            Class::Deadlock => Self::Contended(Contention::Deadlock(err)),
            Class::LockTimeout => Self::Contended(Contention::LockTimeout(err)),
            Class::StatementTimeout => Self::Contended(Contention::StatementTimeout(err)),
            Class::Unavailable => Self::Unavailable(err),
            Class::Other => Self::Database(err),
        }
    }
}

enum Class {
    Deadlock,
    LockTimeout,
    StatementTimeout,
    Unavailable,
    Other,
}

/// Sorts a database error by what the caller can do about it: SQLSTATE on
/// PostgreSQL, the result code on SQLite, the driver's error kind for a
/// connection that is gone.
fn classify(err: &DbErr) -> Class {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::RuntimeErr;
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) => return Class::Unavailable,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e.as_ref(),
        DbErr::Conn(_) => return Class::Unavailable,
        _ => return Class::Other,
    };
    match sqlx {
        Sqlx::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                // serialization_failure, deadlock_detected
                "40001" | "40P01" => Class::Deadlock,
                // lock_not_available (lock_timeout)
                "55P03" => Class::LockTimeout,
                // query_canceled (statement_timeout)
                "57014" => Class::StatementTimeout,
                // admin_shutdown, crash_shutdown, cannot_connect_now,
                // too_many_connections, idle_in_transaction_session_timeout
                "57P01" | "57P02" | "57P03" | "53300" | "25P03" => Class::Unavailable,
                // connection exceptions
                code if code.starts_with("08") => Class::Unavailable,
                // SQLITE_BUSY and its extended codes: the busy timeout ran out
                "5" | "261" | "517" | "773" => Class::LockTimeout,
                _ if db.message().contains("database is locked") => Class::LockTimeout,
                _ => Class::Other,
            }
        }
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => Class::Unavailable,
        _ => Class::Other,
    }
}
