//! `GET /calendar/<secret>.ics`: a calendar feed as RFC 5545, for Outlook,
//! Google Calendar and any client that subscribes to a URL. Releases are
//! events with a stable `UID`, a `SEQUENCE` that rises with every change (the
//! release's version), `STATUS:CANCELLED` once cancelled or rejected, and the
//! release's page in `URL`; freeze and maintenance occurrences are events of
//! their own. The `ETag` is the hash of the body, so `If-None-Match` answers
//! 304 until something in the feed changes. A secret never issued, or
//! revoked, answers 404 like any missing page.

use crate::context::AppContext;
use entities::calendar::{self, FeedContent};
use entities::entity::{release, ReleaseStatus};
use entities::lifecycle::release::status_name;
use entities::DomainError;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Request, Response};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Answers a feed request for path segment `file` (`<secret>.ics`).
pub async fn feed(context: &AppContext, file: &str, req: &Request) -> Response {
    let Some(secret) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content = match calendar::content(&context.db, secret, context.clock.now()).await {
        Ok(content) => content,
        Err(DomainError::NotFound { .. }) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            let status = match err.code() {
                entities::error::ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %err, "calendar feed failed");
            return Response::builder()
                .status(status)
                .header(header::RETRY_AFTER, "5")
                .finish();
        }
    };
    let body = render(&content, &context.settings.public_url());
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    let builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::CACHE_CONTROL, "private, max-age=300");
    if matches {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    builder
        .content_type("text/calendar; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            "inline; filename=\"releasedesk.ics\"",
        )
        .body(body)
}

/// The feed as an iCalendar object, lines folded and ending in CRLF.
pub fn render(content: &FeedContent, public_url: &str) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Releasedesk//Release calendar//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", text(&content.feed.name)),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_owned(),
        "X-PUBLISHED-TTL:PT1H".to_owned(),
    ];
    for release in &content.releases {
        let (Some(start), Some(end)) = (release.planned_start, release.planned_end) else {
            continue;
        };
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:release-{}@releasedesk", release.id));
        lines.push(format!("DTSTAMP:{}", stamp(release.updated_at)));
        lines.push(format!("LAST-MODIFIED:{}", stamp(release.updated_at)));
        lines.push(format!("SEQUENCE:{}", release.version));
        lines.push(format!("DTSTART:{}", stamp(start)));
        lines.push(format!("DTEND:{}", stamp(end)));
        lines.push(format!(
            "SUMMARY:{}",
            text(&format!(
                "#{} {} ({})",
                release.id,
                release.title,
                status_name(release.status)
            ))
        ));
        lines.push(format!("DESCRIPTION:{}", text(&describe(release))));
        lines.push(format!("STATUS:{}", event_status(release.status)));
        lines.push(format!("URL:{public_url}/#/releases/{}", release.id));
        lines.push("CATEGORIES:RELEASE".into());
        lines.push("TRANSP:TRANSPARENT".into());
        lines.push("END:VEVENT".into());
    }
    for occurrence in &content.windows {
        let window = &occurrence.window;
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!(
            "UID:window-{}-{}@releasedesk",
            window.id,
            stamp(occurrence.starts_at)
        ));
        lines.push(format!("DTSTAMP:{}", stamp(window.updated_at)));
        lines.push(format!("SEQUENCE:{}", window.version));
        lines.push(format!("DTSTART:{}", stamp(occurrence.starts_at)));
        lines.push(format!("DTEND:{}", stamp(occurrence.ends_at)));
        let kind = match (window.kind, window.enforcement) {
            (entities::entity::WindowKind::Freeze, entities::entity::Enforcement::Hard) => {
                "Hard freeze"
            }
            (entities::entity::WindowKind::Freeze, _) => "Soft freeze",
            _ => "Maintenance window",
        };
        lines.push(format!(
            "SUMMARY:{}",
            text(&format!("{kind}: {}", window.title))
        ));
        lines.push(format!("DESCRIPTION:{}", text(&window.reason)));
        lines.push("STATUS:CONFIRMED".into());
        lines.push("CATEGORIES:SCHEDULE WINDOW".into());
        lines.push("TRANSP:TRANSPARENT".into());
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold(&mut out, &line);
    }
    out
}

fn describe(release: &release::Model) -> String {
    let mut text = format!(
        "{} {} release, {}.",
        words(&format!("{:?}", release.release_type)),
        words(&format!("{:?}", release.scope)),
        status_name(release.status)
    );
    if !release.description.is_empty() {
        text.push_str("\n\n");
        text.push_str(&release.description);
    }
    text
}

fn words(debug_name: &str) -> String {
    debug_name.to_lowercase()
}

fn event_status(status: ReleaseStatus) -> &'static str {
    match status {
        ReleaseStatus::Cancelled | ReleaseStatus::Rejected => "CANCELLED",
        ReleaseStatus::Draft | ReleaseStatus::Requested => "TENTATIVE",
        _ => "CONFIRMED",
    }
}

/// An instant in UTC, as `DATE-TIME` form 2.
fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value: backslash, semicolon, comma and newline escaped, other
/// control characters dropped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (never inside a character), with CRLF.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "ä".repeat(60));
        fold(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{physical:?} is {} octets",
                physical.len()
            );
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), line);
    }

    #[test]
    fn text_values_escape_what_rfc_5545_reserves() {
        assert_eq!(text("a;b,c\\d\ne\u{7}"), "a\\;b\\,c\\\\d\\ne");
    }
}
