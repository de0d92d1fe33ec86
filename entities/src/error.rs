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
    /// The database cannot be reached now (no connection within the timeout);
    /// retrying later may work.
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
            DomainError::Conflict(_) => ErrorCode::Conflict,
            DomainError::ScheduleReadOnly(_) => ErrorCode::ScheduleReadOnly,
            DomainError::Unavailable(_) => ErrorCode::Unavailable,
            DomainError::Database(_) => ErrorCode::Internal,
        }
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

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("a record with the same unique value already exists".into())
            }
            _ if matches!(err, DbErr::ConnectionAcquire(_)) => Self::Unavailable(err),
            _ if is_lock_contention(&err) => {
                Self::Conflict("the record is being changed by another request; retry".into())
            }
            _ => Self::Database(err),
        }
    }
}

/// SQLite reports writer contention as "database is locked"; PostgreSQL as a serialization failure.
fn is_lock_contention(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("database is locked") || text.contains("could not serialize access")
}
