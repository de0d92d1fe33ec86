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
pub use runner::{JobStatus, Runner, RunnerOptions};
pub use schedule::Schedule;
pub use scheduler::Scheduler;

use entities::Clock;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

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
