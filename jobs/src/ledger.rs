//! The run ledger. A scheduled slot is claimed in one transaction that locks
//! the job's `job_schedules` row, gives up runs whose runner stopped checking
//! in, and moves `claimed_through` forward; `(job, slot)` is unique besides. So
//! however many replicas tick, each slot is claimed once, a job runs on one
//! replica at a time, and slots nobody claimed are folded into the next run.

use crate::schedule::Schedule;
use chrono::{DateTime, Duration, Utc};
use entities::entity::job_run::{self, JobOutcome, JobTrigger};
use entities::entity::job_schedule;
use entities::policy::Capability;
use entities::{DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, sea_query::OnConflict, ActiveValue::Set, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// What a tick got.
#[derive(Debug)]
pub enum Claim {
    /// This replica runs the slot.
    Claimed(job_run::Model),
    /// Another tick already claimed this slot (or a later one).
    AlreadyClaimed,
    /// The job is still running elsewhere; the next claim will cover this slot.
    Busy(job_run::Model),
}

/// What a finished run reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows the job looked at.
    pub examined: u64,
    /// Rows it corrected, queued or sent.
    pub changed: u64,
}

/// Claims the latest slot of `schedule` at or before now for `job`, on `runner`.
pub async fn claim_scheduled(
    tx: &mut Tx,
    job: &str,
    schedule: &Schedule,
    runner: &str,
    lease: Duration,
) -> DomainResult<Claim> {
    let now = tx.now();
    let Some(slot) = schedule.latest_at_or_before(now) else {
        return Ok(Claim::AlreadyClaimed);
    };
    let state = lock_schedule(tx, job, schedule, slot).await?;
    if let Some(running) = running_run(tx, job, lease).await? {
        return Ok(Claim::Busy(running));
    }
    // a job seen for the first time claims its current slot, not its history
    let covers_from = match state {
        Some(state) if state.claimed_through >= slot => return Ok(Claim::AlreadyClaimed),
        Some(state) => schedule
            .next_after(state.claimed_through)
            .map_or(slot, |first| first.min(slot)),
        None => slot,
    };
    job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::ClaimedThrough, Expr::value(slot))
        .col_expr(
            job_schedule::Column::Schedule,
            Expr::value(schedule.expression()),
        )
        .col_expr(job_schedule::Column::UpdatedAt, Expr::value(now))
        .filter(job_schedule::Column::Job.eq(job))
        .exec(tx.db())
        .await?;
    let trigger = if covers_from < slot {
        JobTrigger::CatchUp
    } else {
        JobTrigger::Schedule
    };
    let run = insert_run(tx, job, Some((slot, covers_from)), trigger, runner).await?;
    Ok(Claim::Claimed(run))
}

/// Claims a run of `job` now, for an administrator or the command line; refused
/// with `CONFLICT` while the job runs anywhere.
pub async fn claim_manual(
    tx: &mut Tx,
    job: &str,
    runner: &str,
    lease: Duration,
) -> DomainResult<job_run::Model> {
    tx.stamp().actor.require(Capability::Administer)?;
    job_schedule::Entity::find_by_id(job)
        .lock_exclusive()
        .one(tx.db())
        .await?;
    if let Some(running) = running_run(tx, job, lease).await? {
        return Err(DomainError::Conflict(format!(
            "job {job} is already running (run {} on {} since {})",
            running.id,
            running.runner,
            running.started_at.to_rfc3339()
        )));
    }
    insert_run(tx, job, None, JobTrigger::Manual, runner).await
}

/// Locks the job's schedule row, creating it (claimed through `slot`'s
/// predecessor) the first time; `None` when it was just created.
async fn lock_schedule(
    tx: &mut Tx,
    job: &str,
    schedule: &Schedule,
    slot: DateTime<Utc>,
) -> DomainResult<Option<job_schedule::Model>> {
    let created = job_schedule::Entity::insert(job_schedule::ActiveModel {
        job: Set(job.to_owned()),
        schedule: Set(schedule.expression().to_owned()),
        claimed_through: Set(slot - Duration::microseconds(1)),
        updated_at: Set(tx.now()),
    })
    .on_conflict(
        OnConflict::column(job_schedule::Column::Job)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(tx.db())
    .await?
        > 0;
    let state = job_schedule::Entity::find_by_id(job)
        .lock_exclusive()
        .one(tx.db())
        .await?;
    Ok(state.filter(|_| !created))
}

/// The run of `job` still going, after giving up those whose runner has not
/// checked in within `lease`.
async fn running_run(
    tx: &mut Tx,
    job: &str,
    lease: Duration,
) -> DomainResult<Option<job_run::Model>> {
    let now = tx.now();
    let running = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job))
        .filter(job_run::Column::Outcome.eq(JobOutcome::Running))
        .order_by_asc(job_run::Column::Id)
        .all(tx.db())
        .await?;
    let (stale, live): (Vec<_>, Vec<_>) = running
        .into_iter()
        .partition(|run| now - run.heartbeat_at > lease);
    if !stale.is_empty() {
        job_run::Entity::update_many()
            .col_expr(job_run::Column::Outcome, Expr::value(JobOutcome::Abandoned))
            .col_expr(job_run::Column::EndedAt, Expr::value(Some(now)))
            .col_expr(
                job_run::Column::Error,
                Expr::value(Some(format!(
                    "its runner stopped checking in for over {} s; given up at {}",
                    lease.num_seconds(),
                    now.to_rfc3339()
                ))),
            )
            .filter(job_run::Column::Id.is_in(stale.iter().map(|run| run.id)))
            .filter(job_run::Column::Outcome.eq(JobOutcome::Running))
            .exec(tx.db())
            .await?;
        for run in &stale {
            tracing::warn!(job, run = run.id, runner = %run.runner, "run abandoned by its runner");
        }
    }
    Ok(live.into_iter().next())
}

async fn insert_run(
    tx: &mut Tx,
    job: &str,
    slot: Option<(DateTime<Utc>, DateTime<Utc>)>,
    trigger: JobTrigger,
    runner: &str,
) -> DomainResult<job_run::Model> {
    let now = tx.now();
    Ok(job_run::ActiveModel {
        job: Set(job.to_owned()),
        slot: Set(slot.map(|(slot, _)| slot)),
        covers_from: Set(slot.map(|(_, from)| from)),
        trigger: Set(trigger),
        runner: Set(runner.to_owned()),
        requested_by: Set(tx.stamp().actor.person_id()),
        outcome: Set(JobOutcome::Running),
        started_at: Set(now),
        heartbeat_at: Set(now),
        ended_at: Set(None),
        examined: Set(0),
        changed: Set(0),
        error: Set(None),
        ..Default::default()
    }
    .insert(tx.db())
    .await?)
}

/// Records that run `id` is still going on `runner`.
pub async fn heartbeat<C: ConnectionTrait>(
    db: &C,
    id: i32,
    runner: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    job_run::Entity::update_many()
        .col_expr(job_run::Column::HeartbeatAt, Expr::value(now))
        .filter(job_run::Column::Id.eq(id))
        .filter(job_run::Column::Runner.eq(runner))
        .filter(job_run::Column::Outcome.eq(JobOutcome::Running))
        .exec(db)
        .await?;
    Ok(())
}

/// Records how run `id` ended, only while it is still `RUNNING` on `runner`;
/// `None` when it was given up meanwhile (it stays as the takeover left it).
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i32,
    runner: &str,
    now: DateTime<Utc>,
    result: &Result<Counts, String>,
) -> DomainResult<Option<job_run::Model>> {
    let (outcome, counts, error) = match result {
        Ok(counts) => (JobOutcome::Succeeded, *counts, None),
        Err(error) => (JobOutcome::Failed, Counts::default(), Some(error.clone())),
    };
    let finished = job_run::Entity::update_many()
        .col_expr(job_run::Column::Outcome, Expr::value(outcome))
        .col_expr(job_run::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(job_run::Column::HeartbeatAt, Expr::value(now))
        .col_expr(
            job_run::Column::Examined,
            Expr::value(saturate(counts.examined)),
        )
        .col_expr(
            job_run::Column::Changed,
            Expr::value(saturate(counts.changed)),
        )
        .col_expr(job_run::Column::Error, Expr::value(error))
        .filter(job_run::Column::Id.eq(id))
        .filter(job_run::Column::Runner.eq(runner))
        .filter(job_run::Column::Outcome.eq(JobOutcome::Running))
        .exec(db)
        .await?
        .rows_affected;
    if finished == 0 {
        return Ok(None);
    }
    find(db, id).await.map(Some)
}

/// Marks the runs `runner` still has going as interrupted (at shutdown, after the grace period).
pub async fn interrupt<C: ConnectionTrait>(
    db: &C,
    runner: &str,
    now: DateTime<Utc>,
    why: &str,
) -> DomainResult<u64> {
    Ok(job_run::Entity::update_many()
        .col_expr(
            job_run::Column::Outcome,
            Expr::value(JobOutcome::Interrupted),
        )
        .col_expr(job_run::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(job_run::Column::Error, Expr::value(Some(why.to_owned())))
        .filter(job_run::Column::Runner.eq(runner))
        .filter(job_run::Column::Outcome.eq(JobOutcome::Running))
        .exec(db)
        .await?
        .rows_affected)
}

/// One run by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<job_run::Model> {
    job_run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("job run", id))
}

/// Runs newest first, of one job or all, older than run `before` when given.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    job: Option<&str>,
    before: Option<i32>,
    limit: u64,
) -> DomainResult<Vec<job_run::Model>> {
    let mut query = job_run::Entity::find();
    if let Some(job) = job {
        query = query.filter(job_run::Column::Job.eq(job));
    }
    if let Some(before) = before {
        query = query.filter(job_run::Column::Id.lt(before));
    }
    Ok(query
        .order_by_desc(job_run::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The latest run of each job, in one query.
pub async fn latest_runs<C: ConnectionTrait>(
    db: &C,
) -> DomainResult<HashMap<String, job_run::Model>> {
    let latest = job_run::Entity::find()
        .select_only()
        .column_as(job_run::Column::Id.max(), "id")
        .group_by(job_run::Column::Job);
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(latest)))
        .all(db)
        .await?
        .into_iter()
        .map(|run| (run.job.clone(), run))
        .collect())
}

fn saturate(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
