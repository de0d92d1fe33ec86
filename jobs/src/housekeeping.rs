//! `housekeeping`: keeps the ledgers from growing without bound. Deletes, in
//! two set-based statements, the job runs older than `jobs.keep_days` that
//! succeeded without changing anything, and the e-mails sent before then.
//! Runs that changed rows, failed, were abandoned or interrupted stay, as do
//! queued and parked e-mails.

use crate::{Counts, Job, JobContext};
use entities::entity::{job_run, outbox_message, JobOutcome, OutboxStatus};
use futures::future::BoxFuture;
use sea_orm::{prelude::*, sea_query::Condition};

/// The job; see the module documentation.
pub struct Housekeeping;

impl Job for Housekeeping {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn default_schedule(&self) -> &'static str {
        "0 30 3 * * *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            let before = ctx.clock.now() - chrono::Duration::days(i64::from(ctx.keep_days.max(1)));
            prune(&ctx.db, before).await.map_err(|err| err.to_string())
        })
    }
}

/// Deletes what the module documentation says, older than `before`.
pub async fn prune(db: &DatabaseConnection, before: DateTimeUtc) -> Result<Counts, DbErr> {
    let runs = job_run::Entity::delete_many()
        .filter(
            Condition::all()
                .add(job_run::Column::Outcome.eq(JobOutcome::Succeeded))
                .add(job_run::Column::Changed.eq(0))
                .add(job_run::Column::EndedAt.lt(before)),
        )
        .exec(db)
        .await?
        .rows_affected;
    let mails = outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sent))
        .filter(outbox_message::Column::SentAt.lt(before))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Counts {
        examined: runs + mails,
        changed: runs + mails,
    })
}
