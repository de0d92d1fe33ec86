//! Scheduled jobs for administrators: what runs when, the run ledger, and
//! running a job now.

use super::audit;
use super::error::{list_limit, validation, GqlResultExt};
use super::guard;
use super::people::{load_person, Person};
use crate::context::AppContext;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use entities::entity::job_run::{self, JobOutcome, JobTrigger};
use entities::policy::Capability;

/// Most runs one `jobRuns` page holds.
const MAX_JOB_RUNS: i32 = 100;

/// A scheduled job.
pub struct Job(jobs::JobStatus);

#[Object]
impl Job {
    /// E.g. `change-schedule-sync`.
    async fn name(&self) -> &str {
        self.0.name
    }
    /// Cron expression: seconds, minutes, hours, day of month, month, day of week (UTC).
    async fn schedule(&self) -> &str {
        &self.0.schedule
    }
    /// The next slot after now.
    async fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_run_at
    }
    /// The latest run, on any replica.
    async fn last_run(&self) -> Option<JobRun> {
        self.0.last_run.clone().map(JobRun)
    }
    /// How the latest run ended (`RUNNING` while it goes).
    async fn last_outcome(&self) -> Option<JobOutcome> {
        self.0.last_run.as_ref().map(|run| run.outcome)
    }
}

/// One run of a job, claimed in the database before it started.
pub struct JobRun(job_run::Model);

#[Object]
impl JobRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn job(&self) -> &str {
        &self.0.job
    }
    /// The scheduled slot it claimed; null for manual runs.
    async fn slot(&self) -> Option<DateTime<Utc>> {
        self.0.slot
    }
    /// The earliest slot it stands for: before `slot` when it caught up slots
    /// that no replica ran.
    async fn covers_from(&self) -> Option<DateTime<Utc>> {
        self.0.covers_from
    }
    async fn trigger(&self) -> JobTrigger {
        self.0.trigger
    }
    /// The replica that ran it: host, process id and a random tag.
    async fn runner(&self) -> &str {
        &self.0.runner
    }
    /// Who asked for a manual run from the API.
    async fn requested_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.requested_by).await
    }
    async fn outcome(&self) -> JobOutcome {
        self.0.outcome
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// The runner's latest check-in.
    async fn heartbeat_at(&self) -> DateTime<Utc> {
        self.0.heartbeat_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    /// How many rows the job looked at.
    async fn examined(&self) -> f64 {
        self.0.examined as f64
    }
    /// How many rows it corrected, queued or sent.
    async fn changed(&self) -> f64 {
        self.0.changed as f64
    }
    /// What went wrong, for FAILED, ABANDONED and INTERRUPTED runs.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

fn encode_cursor(id: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("jr1:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<i32> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    raw.strip_prefix("jr1:")?.parse().ok()
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// Every job with its schedule, next slot and latest run. Administrators only.
    async fn jobs(&self, ctx: &Context<'_>) -> Result<Vec<Job>> {
        guard::require(ctx, Capability::Administer)?;
        let app = ctx.data::<AppContext>()?;
        Ok(app
            .jobs
            .status()
            .await
            .gql()?
            .into_iter()
            .map(Job)
            .collect())
    }

    /// Runs of one job or of all, newest first. Administrators only.
    async fn job_runs(
        &self,
        ctx: &Context<'_>,
        job: Option<String>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, JobRun>> {
        guard::require(ctx, Capability::Administer)?;
        let app = ctx.data::<AppContext>()?;
        let limit = list_limit(first, MAX_JOB_RUNS)?;
        let before = after
            .as_deref()
            .map(|cursor| {
                decode_cursor(cursor)
                    .ok_or_else(|| validation("after", "not a cursor from jobRuns"))
            })
            .transpose()?;
        if let Some(job) = &job {
            if !app.jobs.schedules().any(|(name, _)| name == job) {
                let known: Vec<_> = app.jobs.schedules().map(|(name, _)| name).collect();
                return Err(validation(
                    "job",
                    &format!("not a job; the jobs are {}", known.join(", ")),
                ));
            }
        }
        let mut rows = jobs::ledger::list(&app.db, job.as_deref(), before, limit + 1)
            .await
            .gql()?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(
            rows.into_iter()
                .map(|run| Edge::new(encode_cursor(run.id), JobRun(run))),
        );
        Ok(connection)
    }
}

#[derive(Default)]
pub struct JobMutation;

#[Object]
impl JobMutation {
    /// Runs a job now, whatever its schedule, and answers the finished run (its
    /// outcome says whether the job succeeded). `CONFLICT` while the job runs
    /// anywhere; `NOT_FOUND` for a name that is no job. Administrators only.
    async fn run_job(&self, ctx: &Context<'_>, name: String) -> Result<JobRun> {
        let viewer = guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        let stamp = audit::stamp(ctx, viewer, app);
        app.jobs.run_now(&name, stamp).await.gql().map(JobRun)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("r1:42:")), None);
    }
}
