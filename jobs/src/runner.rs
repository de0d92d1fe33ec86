//! Running jobs: claiming a slot (or a manual run) in the ledger, running the
//! job in its own task while checking in, and recording how it ended, panics
//! included. The [`crate::Scheduler`] calls [`Runner::tick`]; `runJob` and
//! `releasedesk run-job` call [`Runner::run_now`].

use crate::ledger::{self, Claim, Counts};
use crate::schedule::Schedule;
use crate::{Job, JobContext};
use chrono::{DateTime, Utc};
use entities::entity::job_run;
use entities::policy::Capability;
use entities::{DomainError, DomainResult, Stamp, Tx};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Longest job name accepted in a request (the column holds 64 characters).
const MAX_JOB_NAME: usize = 64;

/// Told of every run this replica ends, as the ledger recorded it (metrics).
pub type RunObserver = Arc<dyn Fn(&job_run::Model) + Send + Sync>;

/// How runs are leased, which schedules replace the defaults, and who hears
/// of finished runs.
#[derive(Clone)]
pub struct RunnerOptions {
    /// A run whose runner has not checked in for this long is given up as abandoned.
    pub lease: Duration,
    /// Cron expressions by job name, replacing the jobs' defaults.
    pub schedules: HashMap<String, String>,
    pub observer: Option<RunObserver>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            schedules: HashMap::new(),
            observer: None,
        }
    }
}

/// A job as an administrator sees it.
#[derive(Debug, Clone)]
pub struct JobStatus {
    pub name: &'static str,
    pub schedule: String,
    /// The next slot after now.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Its latest run on any replica.
    pub last_run: Option<job_run::Model>,
}

struct Entry {
    job: Arc<dyn Job>,
    schedule: Schedule,
}

/// Runs the jobs of one replica; cheap to clone.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: JobContext,
    id: String,
    entries: Vec<Entry>,
    lease: chrono::Duration,
    observer: Option<RunObserver>,
}

impl Runner {
    /// A runner for `jobs`; refuses schedules for unknown jobs and bad cron expressions.
    pub fn new(
        ctx: JobContext,
        jobs: Vec<Arc<dyn Job>>,
        options: RunnerOptions,
    ) -> Result<Self, String> {
        if let Some(unknown) = options
            .schedules
            .keys()
            .find(|name| !jobs.iter().any(|job| job.name() == name.as_str()))
        {
            return Err(format!(
                "a schedule is configured for {unknown:?}, which is not a job"
            ));
        }
        let entries = jobs
            .into_iter()
            .map(|job| {
                let expression = options
                    .schedules
                    .get(job.name())
                    .map_or(job.default_schedule(), String::as_str);
                let schedule = Schedule::parse(expression)
                    .map_err(|err| format!("schedule of {}: {err}", job.name()))?;
                Ok(Entry { job, schedule })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                ctx,
                id: runner_id(),
                entries,
                lease: chrono::Duration::from_std(options.lease)
                    .unwrap_or(chrono::Duration::seconds(60)),
                observer: options.observer,
            }),
        })
    }

    /// This replica's name in the ledger: host, process id and a random tag.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The database and clock the jobs use.
    pub fn context(&self) -> &JobContext {
        &self.inner.ctx
    }

    /// The jobs with their schedules.
    pub fn schedules(&self) -> impl Iterator<Item = (&'static str, &Schedule)> {
        self.inner
            .entries
            .iter()
            .map(|entry| (entry.job.name(), &entry.schedule))
    }

    /// How often a running job checks in.
    pub fn heartbeat_interval(&self) -> Duration {
        (self.inner.lease / 4)
            .to_std()
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_millis(200))
    }

    fn entry(&self, name: &str) -> DomainResult<&Entry> {
        entities::validate::required_text("name", name, MAX_JOB_NAME)?;
        self.inner
            .entries
            .iter()
            .find(|entry| entry.job.name() == name)
            .ok_or_else(|| DomainError::not_found("job", name))
    }

    /// Claims the latest slot of job `name` at or before now and runs it; `None`
    /// when another tick (here or on another replica) has it or the job is busy.
    pub async fn tick(&self, name: &str) -> DomainResult<Option<job_run::Model>> {
        let entry = self.entry(name)?;
        let ctx = &self.inner.ctx;
        let mut tx = Tx::begin(&ctx.db, Stamp::system(ctx.clock.now())).await?;
        let claim = ledger::claim_scheduled(
            &mut tx,
            name,
            &entry.schedule,
            &self.inner.id,
            self.inner.lease,
        )
        .await?;
        tx.commit().await?;
        match claim {
            Claim::Claimed(run) => self.execute(entry, run).await.map(Some),
            Claim::AlreadyClaimed => Ok(None),
            Claim::Busy(running) => {
                tracing::debug!(job = name, run = running.id, runner = %running.runner, "still running; slot left to the next claim");
                Ok(None)
            }
        }
    }

    /// Runs job `name` now for whoever `stamp` names (an administrator, or the
    /// command line), whatever its schedule, and answers the finished run.
    pub async fn run_now(&self, name: &str, stamp: Stamp) -> DomainResult<job_run::Model> {
        stamp.actor.require(Capability::Administer)?;
        let entry = self.entry(name)?;
        let id = self.inner.id.clone();
        let lease = self.inner.lease;
        let run = entities::write(&self.inner.ctx.db, stamp, async |tx| {
            ledger::claim_manual(tx, name, &id, lease).await
        })
        .await?;
        self.execute(entry, run).await
    }

    /// Every job with its schedule, next slot and latest run.
    pub async fn status(&self) -> DomainResult<Vec<JobStatus>> {
        let mut latest = ledger::latest_runs(&self.inner.ctx.db).await?;
        let now = self.inner.ctx.clock.now();
        Ok(self
            .inner
            .entries
            .iter()
            .map(|entry| JobStatus {
                name: entry.job.name(),
                schedule: entry.schedule.expression().to_owned(),
                next_run_at: entry.schedule.next_after(now),
                last_run: latest.remove(entry.job.name()),
            })
            .collect())
    }

    /// Runs the claimed `run` in its own task (so a panic is caught and
    /// recorded), checking in until it ends. Dropping this future stops the job
    /// and rolls back its open transaction.
    async fn execute(&self, entry: &Entry, run: job_run::Model) -> DomainResult<job_run::Model> {
        let ended = self.run_to_end(entry, run).await?;
        if let Some(observer) = &self.inner.observer {
            observer(&ended);
        }
        Ok(ended)
    }

    async fn run_to_end(&self, entry: &Entry, run: job_run::Model) -> DomainResult<job_run::Model> {
        let mut ctx = self.inner.ctx.clone();
        ctx.lease = Some(entities::Lease {
            run_id: run.id,
            runner: self.inner.id.clone(),
        });
        ctx.slot = run
            .slot
            .or_else(|| entry.schedule.latest_at_or_before(run.started_at));
        let job = entry.job.clone();
        let mut task = AbortOnDrop(tokio::spawn(async move { job.run(&ctx).await }));
        let mut check_in = tokio::time::interval(self.heartbeat_interval());
        check_in.tick().await; // the first tick is immediate
        let db = &self.inner.ctx.db;
        let result = loop {
            tokio::select! {
                joined = &mut task.0 => break joined.unwrap_or_else(|err| Err(describe_crash(err))),
                _ = check_in.tick() => {
                    if let Err(err) = ledger::heartbeat(db, run.id, &self.inner.id, self.inner.ctx.clock.now()).await {
                        tracing::warn!(job = %run.job, run = run.id, error = %err, "could not check in");
                    }
                }
            }
        };
        let Some(finished) = ledger::finish(
            db,
            run.id,
            &self.inner.id,
            self.inner.ctx.clock.now(),
            &result,
        )
        .await?
        else {
            let now = ledger::find(db, run.id).await?;
            tracing::warn!(
                job = %now.job, run = now.id, outcome = ?now.outcome,
                "the run was given up while it ran; what it had not committed was rolled back, and its result is not recorded"
            );
            return Ok(now);
        };
        match &result {
            // a run that changed nothing is routine: every 30 s for the dispatcher
            Ok(counts) if counts.changed == 0 => tracing::debug!(
                job = %finished.job, run = finished.id, trigger = ?finished.trigger,
                examined = counts.examined, "job run succeeded; nothing to change"
            ),
            Ok(counts) => tracing::info!(
                job = %finished.job, run = finished.id, trigger = ?finished.trigger,
                examined = counts.examined, changed = counts.changed, "job run succeeded"
            ),
            Err(error) => tracing::warn!(
                job = %finished.job, run = finished.id, trigger = ?finished.trigger,
                error = %error, "job run failed"
            ),
        }
        Ok(finished)
    }
}

/// Aborts the task when dropped, so a stopped run does not keep working.
struct AbortOnDrop(tokio::task::JoinHandle<Result<Counts, String>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn describe_crash(err: tokio::task::JoinError) -> String {
    if !err.is_panic() {
        return "the job's task was cancelled".into();
    }
    let panic = err.into_panic();
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    format!("panicked: {message}")
}

/// `host:pid:tag`, unique per process even when hosts share a name.
pub fn runner_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    let mut tag = [0u8; 3];
    let _ = getrandom::fill(&mut tag);
    format!("{host}:{}:{}", std::process::id(), hex::encode(tag))
}
