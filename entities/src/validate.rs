//! Input checks shared by the operations.

use crate::{DomainError, DomainResult};
use chrono::{DateTime, Utc};

/// Longest title or name we accept.
pub const MAX_TITLE: usize = 200;
/// Longest description or free text we accept.
pub const MAX_TEXT: usize = 10_000;

/// A trimmed, non-empty text of at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::validation(
            field,
            format!("{field} must not be empty"),
        ));
    }
    optional_text(field, trimmed, max)
}

/// A trimmed text of at most `max` characters, possibly empty.
pub fn optional_text(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(DomainError::validation(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A plausible e-mail address, lower-cased.
pub fn email(value: &str) -> DomainResult<String> {
    let email = value.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if plausible {
        Ok(email)
    } else {
        Err(DomainError::validation(
            "email",
            "email is not a valid address",
        ))
    }
}

/// Formats an optional instant for history rows.
pub fn show_time(value: Option<DateTime<Utc>>) -> Option<String> {
    value.map(|v| v.to_rfc3339())
}
