//! The one mapping from domain errors to GraphQL errors with `extensions.code`.

use async_graphql::{Error, ErrorExtensions, ID};
use entities::DomainError;

/// Codes a client can branch on. The domain's own codes come from
/// [`entities::error::ErrorCode`]; the API adds only the transport ones.
pub mod code {
    use entities::error::ErrorCode;

    pub const VALIDATION: &str = ErrorCode::Validation.as_str();
    pub const INTERNAL: &str = ErrorCode::Internal.as_str();
    pub const UNAVAILABLE: &str = ErrorCode::Unavailable.as_str();
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
}

/// Converts a domain result into a GraphQL result.
pub trait GqlResultExt<T> {
    /// Maps the error with [`to_graphql`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResultExt<T> for Result<T, DomainError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| to_graphql(&err))
    }
}

impl<T> GqlResultExt<T> for Result<T, std::sync::Arc<DomainError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| to_graphql(&err))
    }
}

/// The GraphQL error for `err`, coded by the domain; database details are
/// logged, never returned.
pub fn to_graphql(err: &DomainError) -> Error {
    let code = err.code().as_str();
    let message = match err {
        DomainError::Database(db_err) => {
            tracing::error!(error = %db_err, "database error");
            "internal error; the details are in the server log".to_owned()
        }
        DomainError::Unavailable(db_err) => {
            tracing::warn!(error = %db_err, "database unavailable");
            err.to_string()
        }
        DomainError::Contended(contention) => {
            tracing::warn!(error = %contention.source(), "contended; answered CONFLICT");
            err.to_string()
        }
        _ => err.to_string(),
    };
    Error::new(message).extend_with(|_, e| {
        e.set("code", code);
        if err.retryable() {
            e.set("retryable", true);
        }
        match err {
            DomainError::NotFound { entity, id } => {
                e.set("entity", *entity);
                e.set("id", id.as_str());
            }
            DomainError::Validation { field, .. } => e.set("field", field.as_str()),
            DomainError::InvalidTransition {
                from,
                action,
                allowed,
                ..
            } => {
                e.set("from", from.as_str());
                e.set("action", action.as_str());
                e.set("allowedActions", allowed.clone());
            }
            DomainError::FreezeConflict { frozen, .. } => {
                let windows: Vec<async_graphql::Value> = frozen
                    .iter()
                    .map(|f| {
                        async_graphql::Value::from_json(serde_json::json!({
                            "id": f.window_id.to_string(),
                            "title": f.title,
                            "startsAt": f.starts_at.to_rfc3339(),
                            "endsAt": f.ends_at.to_rfc3339(),
                        }))
                        .unwrap_or_default()
                    })
                    .collect();
                e.set("windows", windows);
            }
            _ => {}
        }
    })
}

/// An `INTERNAL` error for a broken invariant; `what` is logged, not returned.
pub fn internal(what: &str) -> Error {
    tracing::error!(what, "internal invariant broken");
    Error::new("internal error; the details are in the server log")
        .extend_with(|_, e| e.set("code", code::INTERNAL))
}

/// A `VALIDATION` error naming the offending input field.
pub fn validation(field: &str, message: &str) -> Error {
    Error::new(message.to_owned()).extend_with(|_, e| {
        e.set("code", code::VALIDATION);
        e.set("field", field);
    })
}

/// Parses a numeric GraphQL ID, or answers `VALIDATION` on `field`.
pub fn parse_id(id: &ID, field: &str) -> async_graphql::Result<i32> {
    id.parse::<i32>().ok().filter(|n| *n > 0).ok_or_else(|| {
        validation(
            field,
            &format!("{field} must be a positive number, not \"{}\"", id.as_str()),
        )
    })
}

/// A plain list's `first` (1 to `max`) as a row limit, or `VALIDATION` on `first`.
pub fn list_limit(first: i32, max: i32) -> async_graphql::Result<u64> {
    if (1..=max).contains(&first) {
        Ok(first.unsigned_abs().into())
    } else {
        Err(validation(
            "first",
            &format!("first must be between 1 and {max}"),
        ))
    }
}
