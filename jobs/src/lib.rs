//! Releasedesk's scheduled jobs and the scheduler that runs them.
//!
//! tokio-cron-scheduler produces a tick for each configured job; each tick
//! claims its slot in the database ([`ledger`]) before it runs, so several
//! replicas on one PostgreSQL run every slot once. Jobs write through the same
//! unit of work as the API. This crate depends on `entities`, never on `api`.

pub mod approval_requests;
pub mod change_schedule_sync;
pub mod chart;
pub mod cost_rollup;
pub mod housekeeping;
pub mod ledger;
pub mod mailer;
pub mod outbox_dispatch;
pub mod release_report;
pub mod runner;
pub mod schedule;
pub mod scheduler;

pub use ledger::Counts;
pub use runner::{JobStatus, RunObserver, Runner, RunnerOptions};
pub use schedule::Schedule;
pub use scheduler::Scheduler;

use entities::{Clock, DomainResult, Lease, Stamp, Tx};
use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use std::sync::Arc;
use std::time::Duration;

/// What a job works with.
#[derive(Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub mail: Arc<MailContext>,
    /// The deployment's currency (ISO 4217), for reports.
    pub currency: String,
    /// Days each stored release report covers.
    pub report_period_days: u32,
    /// Days `housekeeping` keeps quiet job runs and sent e-mails.
    pub keep_days: u32,
    /// PostgreSQL bounds of a job's units of work, longer than a request's.
    pub timeouts: JobTimeouts,
    /// The run this context works for; set by the runner for each run.
    pub lease: Option<Lease>,
    /// The schedule slot the run is for, set by the runner: the slot it
    /// claimed, or for a manual run the job's latest slot at or before now.
    /// Jobs that report on periods end them here, not at the moment they run.
    pub slot: Option<chrono::DateTime<chrono::Utc>>,
}

/// How long a job's unit of work may wait for a lock and run one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTimeouts {
    pub lock: Duration,
    pub statement: Duration,
}

impl Default for JobTimeouts {
    fn default() -> Self {
        Self {
            lock: Duration::from_secs(30),
            statement: Duration::from_secs(300),
        }
    }
}

impl JobContext {
    /// Runs `change` in a unit of work of the service, with the job's
    /// timeouts, committed only while this context's run still holds its
    /// lease (a run given up as abandoned rolls its work back).
    pub async fn write<T>(
        &self,
        change: impl AsyncFnOnce(&mut Tx) -> DomainResult<T> + Clone,
    ) -> DomainResult<T> {
        let stamp = Stamp::system(self.clock.now());
        entities::write_leased(&self.db, stamp, self.lease.as_ref(), async |tx| {
            if tx.db().get_database_backend() == DbBackend::Postgres {
                tx.db()
                    .execute_unprepared(&format!(
                        "SET LOCAL lock_timeout = '{}ms'; SET LOCAL statement_timeout = '{}ms'",
                        self.timeouts.lock.as_millis(),
                        self.timeouts.statement.as_millis()
                    ))
                    .await?;
            }
            change(tx).await
        })
        .await
    }
}

/// What the e-mail jobs need besides the database.
pub struct MailContext {
    pub mailer: mailer::Mailer,
    /// The service's address as approvers' browsers reach it, for links in e-mails.
    pub public_url: String,
    /// Signs approve and reject links.
    pub link_key: Vec<u8>,
    /// Attempts before a message is parked as FAILED.
    pub max_attempts: i32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub retry_after: chrono::Duration,
    /// This replica's name on the rows it claims.
    pub dispatcher: String,
}

/// A job: a name, a default schedule and the work of one run.
pub trait Job: Send + Sync + 'static {
    /// The name used in configuration, the ledger and `runJob`, e.g. `change-schedule-sync`.
    fn name(&self) -> &'static str;
    /// Its cron expression (with seconds, UTC) unless configured otherwise.
    fn default_schedule(&self) -> &'static str;
    /// One run; what it changed commits in its own units of work.
    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>>;
}

/// Every job Releasedesk has.
pub fn catalog() -> Vec<Arc<dyn Job>> {
    vec![
        Arc::new(change_schedule_sync::ChangeScheduleSync),
        Arc::new(approval_requests::ApprovalRequests),
        Arc::new(outbox_dispatch::OutboxDispatch),
        Arc::new(cost_rollup::CostRollup),
        Arc::new(release_report::ReleaseReportJob),
        Arc::new(housekeeping::Housekeeping),
    ]
}
