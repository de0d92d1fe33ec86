//! `outbox-dispatch`: sends queued e-mail. Each batch is claimed in its own
//! short transaction (so concurrent dispatchers on one PostgreSQL never take
//! the same row), sent with a timeout, then marked sent or scheduled for a
//! retry with exponential backoff; after `mail.max_attempts` a row is parked
//! as FAILED for administrators, never dropped. A dispatcher killed between
//! claim and send leaves its rows claimed until the claim runs out, then any
//! dispatcher sends them. Right before each send the dispatcher checks that
//! it still holds the row's claim, so one resumed after a pause past its
//! claim sends nothing, and a send starts only while the claim outlasts
//! `mail.send_timeout_seconds`. What remains is a process paused in the middle
//! of a send past its claim.

use crate::{Counts, Job, JobContext};
use entities::approvals::links;
use entities::entity::{outbox_message, OutboxStatus};
use entities::outbox;
use futures::future::BoxFuture;

/// Rows claimed at once.
const BATCH: u64 = 10;
/// Most rows one run sends, so a run stays short and a backlog drains over runs.
const MAX_PER_RUN: u64 = 500;

/// The job; see the module documentation.
pub struct OutboxDispatch;

impl Job for OutboxDispatch {
    fn name(&self) -> &'static str {
        "outbox-dispatch"
    }

    fn default_schedule(&self) -> &'static str {
        "*/30 * * * * *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move { dispatch(ctx, &ctx.mail.dispatcher).await })
    }
}

/// Sends what is due, as `dispatcher`; `examined` counts attempts, `changed` sent mail.
pub async fn dispatch(ctx: &JobContext, dispatcher: &str) -> Result<Counts, String> {
    let lease = chrono::Duration::from_std(ctx.mail.mailer.timeout() * (BATCH as u32 + 2))
        .unwrap_or(chrono::Duration::minutes(10));
    let mut counts = Counts::default();
    while counts.examined < MAX_PER_RUN {
        let claimed = outbox::claim(&ctx.db, dispatcher, ctx.clock.now(), lease, BATCH)
            .await
            .map_err(|err| err.to_string())?;
        if claimed.is_empty() {
            break;
        }
        let batch = send_claimed(ctx, claimed).await?;
        if batch.examined == 0 {
            break;
        }
        counts.examined += batch.examined;
        counts.changed += batch.changed;
    }
    Ok(counts)
}

/// Sends `claimed` rows, each only while its claim still holds, and records
/// each outcome; a row whose claim ran out is left to whoever holds it now.
pub async fn send_claimed(
    ctx: &JobContext,
    claimed: Vec<outbox_message::Model>,
) -> Result<Counts, String> {
    let mail = &ctx.mail;
    let send_time =
        chrono::Duration::from_std(mail.mailer.timeout()).unwrap_or(chrono::Duration::minutes(1));
    let mut counts = Counts::default();
    for row in claimed {
        // held for as long as the send may take, so a send that starts ends
        // (or times out) before anyone else may claim the row
        let held = outbox::still_claimed(&ctx.db, &row, ctx.clock.now() + send_time)
            .await
            .map_err(|err| err.to_string())?;
        if !held {
            tracing::warn!(
                id = row.id,
                "claim ran out before the send; left to whoever holds it now"
            );
            continue;
        }
        counts.examined += 1;
        // approve and reject links are made and signed here, in memory only
        let link =
            |body: &str, kind| links::render_marked(&mail.link_key, &mail.public_url, body, kind);
        let rendered = outbox_message::Model {
            text_body: link(&row.text_body, links::Body::Text),
            html_body: link(&row.html_body, links::Body::Html),
            ..row.clone()
        };
        let result = mail.mailer.send(&rendered).await;
        let now = ctx.clock.now();
        match result {
            Ok(()) => {
                if outbox::mark_sent(&ctx.db, &row, now)
                    .await
                    .map_err(|err| err.to_string())?
                {
                    counts.changed += 1;
                }
            }
            Err(error) => {
                let status = outbox::mark_failed(
                    &ctx.db,
                    &row,
                    now,
                    &error,
                    mail.max_attempts,
                    mail.retry_after,
                )
                .await
                .map_err(|err| err.to_string())?;
                if status == OutboxStatus::Failed {
                    tracing::error!(id = row.id, key = %row.idempotency_key, attempts = row.attempts, %error, "e-mail parked as FAILED");
                } else {
                    tracing::warn!(id = row.id, attempts = row.attempts, %error, "e-mail not sent; will retry");
                }
            }
        }
    }
    Ok(counts)
}
