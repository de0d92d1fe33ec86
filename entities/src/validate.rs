//! Input checks shared by the operations.

use crate::{DomainError, DomainResult};
use chrono::{DateTime, Utc};

/// Longest title or name we accept.
pub const MAX_TITLE: usize = 200;
/// Longest description or free text we accept.
pub const MAX_TEXT: usize = 10_000;
/// Longest search term; longer LIKE patterns cost more than they find.
pub const MAX_SEARCH: usize = 200;
/// Years an instant may fall in: both databases order and store these alike.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// Refuses control characters other than tab, newline and carriage return
/// (PostgreSQL cannot store NUL, and none of them belongs in a title or a name).
pub fn plain(field: &str, value: &str) -> DomainResult<()> {
    match value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(DomainError::validation(
            field,
            format!(
                "{field} must not contain control characters (found U+{:04X})",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// An instant between 1970 and 9999.
pub fn instant(field: &str, value: DateTime<Utc>) -> DomainResult<()> {
    use chrono::Datelike;
    if YEARS.contains(&value.year()) {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            format!(
                "{field} must fall between the years {} and {}",
                YEARS.start(),
                YEARS.end()
            ),
        ))
    }
}

/// A search term: trimmed, plain, at most [`MAX_SEARCH`] characters; `None` when blank.
pub fn search(field: &str, value: &str) -> DomainResult<Option<String>> {
    let term = optional_text(field, value, MAX_SEARCH)?;
    Ok((!term.is_empty()).then_some(term))
}

/// A title or a name: one line (no control characters at all, tabs and line
/// breaks included: titles go into e-mail subjects, CSV cells and lists), trimmed,
/// non-empty, at most [`MAX_TITLE`] characters.
pub fn title(field: &str, value: &str) -> DomainResult<String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(DomainError::validation(
            field,
            format!(
                "{field} must be one line without control characters (found U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    required_text(field, value, MAX_TITLE)
}

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

/// An optional free text (a reason, a comment): trimmed, at most
/// [`MAX_TEXT`] characters; blank counts as absent.
pub fn optional_note(field: &str, value: Option<String>) -> DomainResult<Option<String>> {
    match value {
        Some(text) => Ok(Some(optional_text(field, &text, MAX_TEXT)?).filter(|t| !t.is_empty())),
        None => Ok(None),
    }
}

/// A trimmed text of at most `max` characters, possibly empty.
pub fn optional_text(field: &str, value: &str, max: usize) -> DomainResult<String> {
    plain(field, value)?;
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
    plain("email", value)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn titles_are_one_line() {
        assert_eq!(title("title", "  Mail upgrade ").unwrap(), "Mail upgrade");
        for bad in [
            "Mail\nupgrade",
            "Mail\r\nBcc: x",
            "Mail\tupgrade",
            "a\u{0}b",
            " ",
        ] {
            assert!(title("title", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_but_tabs_and_newlines_pass() {
        assert!(required_text("title", "a\u{0}b", MAX_TITLE).is_err());
        assert!(required_text("title", "a\u{1b}[31m", MAX_TITLE).is_err());
        assert!(optional_text("description", "line 1\n\tline 2\r\n", MAX_TEXT).is_ok());
        assert!(email("a\u{0}@example.com").is_err());
        let err = search("search", "\u{0}").unwrap_err();
        assert!(matches!(err, DomainError::Validation { field, .. } if field == "search"));
    }

    #[test]
    fn instants_must_fall_in_sane_years() {
        let at = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().unwrap();
        assert!(instant("at", at(1970)).is_ok());
        assert!(instant("at", at(9999)).is_ok());
        assert!(instant("at", at(1969)).is_err());
        assert!(instant("at", at(-4800)).is_err());
        assert!(instant("at", at(20000)).is_err());
    }

    #[test]
    fn search_terms_are_capped() {
        assert_eq!(search("q", "  ").unwrap(), None);
        assert!(search("q", &"x".repeat(MAX_SEARCH)).is_ok());
        assert!(search("q", &"x".repeat(MAX_SEARCH + 1)).is_err());
    }
}
