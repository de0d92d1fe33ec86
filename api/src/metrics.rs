//! What `GET /metrics` reports, in the Prometheus text format: requests by
//! operation and outcome with their latency, job runs by job and outcome with
//! their durations, the database pool, live connections, and, read from the
//! database at each scrape, the outbox and the approvals.
//!
//! Each application owns its registry, so several in one process (the tests)
//! count apart; only the begin wait is process-wide, like the pool it measures.

use entities::entity::job_run;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{ActiveEnum, DatabaseConnection};
use std::collections::HashSet;
use std::sync::Mutex;

/// Distinct operation names counted apart; later names count as `other`, so a
/// client sending random names cannot grow the scrape without bound.
const MAX_OPERATION_LABELS: usize = 256;
/// Longest operation name kept as a label.
const MAX_OPERATION_LABEL: usize = 64;
/// Label of requests without an operation name, or past the bounds above.
const ANONYMOUS: &str = "-";
const OTHER: &str = "other";

const REQUEST_BUCKETS: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const JOB_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

/// The collectors of one application.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    operations: Mutex<HashSet<String>>,
    job_runs: IntCounterVec,
    job_seconds: HistogramVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    live_connections: IntGauge,
    database_up: IntGauge,
    outbox: IntGaugeVec,
    oldest_unsent_age: Gauge,
    approvals_open: IntGauge,
    approvals_overdue: IntGauge,
}

impl Metrics {
    /// A registry with every collector at zero.
    pub fn new() -> Self {
        let registry = Registry::new();
        let metrics = Self {
            requests: IntCounterVec::new(
                Opts::new(
                    "releasedesk_graphql_requests_total",
                    "GraphQL requests by operation name and outcome code (OK when no error).",
                ),
                &["operation", "outcome"],
            )
            .expect("valid options"),
            request_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "releasedesk_graphql_request_duration_seconds",
                    "Time to answer a GraphQL request, by operation name.",
                )
                .buckets(REQUEST_BUCKETS.to_vec()),
                &["operation"],
            )
            .expect("valid options"),
            operations: Mutex::new(HashSet::new()),
            job_runs: IntCounterVec::new(
                Opts::new(
                    "releasedesk_job_runs_total",
                    "Job runs this replica ended, by job and outcome.",
                ),
                &["job", "outcome"],
            )
            .expect("valid options"),
            job_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "releasedesk_job_run_duration_seconds",
                    "How long the job runs this replica ended took, by job.",
                )
                .buckets(JOB_BUCKETS.to_vec()),
                &["job"],
            )
            .expect("valid options"),
            pool_connections: IntGaugeVec::new(
                Opts::new(
                    "releasedesk_db_pool_connections",
                    "Open connections of the database pool, by state (idle or in_use).",
                ),
                &["state"],
            )
            .expect("valid options"),
            pool_max: IntGauge::new(
                "releasedesk_db_pool_max_connections",
                "Most connections the pool may open (database.max_connections).",
            )
            .expect("valid options"),
            live_connections: IntGauge::new(
                "releasedesk_live_connections",
                "Open WebSocket (subscription) connections on this replica.",
            )
            .expect("valid options"),
            database_up: IntGauge::new(
                "releasedesk_database_up",
                "1 when the database answered this scrape's queries, else 0.",
            )
            .expect("valid options"),
            outbox: IntGaugeVec::new(
                Opts::new(
                    "releasedesk_outbox_messages",
                    "E-mails of the outbox by status (all replicas share it).",
                ),
                &["status"],
            )
            .expect("valid options"),
            oldest_unsent_age: Gauge::new(
                "releasedesk_outbox_oldest_unsent_age_seconds",
                "Age of the oldest e-mail not yet sent (queued or being sent); 0 when none waits.",
            )
            .expect("valid options"),
            approvals_open: IntGauge::new(
                "releasedesk_approvals_open",
                "Approval requests waiting for the board's votes.",
            )
            .expect("valid options"),
            approvals_overdue: IntGauge::new(
                "releasedesk_approvals_overdue",
                "Open approval requests past their due time.",
            )
            .expect("valid options"),
            registry,
        };
        metrics.register_all();
        metrics
    }

    fn register_all(&self) {
        let collectors: [Box<dyn prometheus::core::Collector>; 13] = [
            Box::new(self.requests.clone()),
            Box::new(self.request_seconds.clone()),
            Box::new(self.job_runs.clone()),
            Box::new(self.job_seconds.clone()),
            Box::new(self.pool_connections.clone()),
            Box::new(self.pool_max.clone()),
            Box::new(entities::gauges::begin_wait().clone()),
            Box::new(self.live_connections.clone()),
            Box::new(self.database_up.clone()),
            Box::new(self.outbox.clone()),
            Box::new(self.oldest_unsent_age.clone()),
            Box::new(self.approvals_open.clone()),
            Box::new(self.approvals_overdue.clone()),
        ];
        for collector in collectors {
            self.registry
                .register(collector)
                .expect("each collector is registered once");
        }
    }

    /// Counts one GraphQL request.
    pub fn observe_request(&self, operation: Option<&str>, outcome: &str, seconds: f64) {
        let operation = self.operation_label(operation);
        let outcome = if !outcome.is_empty()
            && outcome.len() <= 32
            && outcome.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        {
            outcome
        } else {
            "OTHER"
        };
        self.requests
            .with_label_values(&[operation.as_str(), outcome])
            .inc();
        self.request_seconds
            .with_label_values(&[operation.as_str()])
            .observe(seconds);
    }

    /// The label of `operation`: its name while there is room for another, else `other`.
    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation.filter(|n| !n.is_empty() && *n != ANONYMOUS) else {
            return ANONYMOUS.to_owned();
        };
        if name.len() > MAX_OPERATION_LABEL {
            return OTHER.to_owned();
        }
        let mut known = self
            .operations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.contains(name) {
            return name.to_owned();
        }
        if known.len() < MAX_OPERATION_LABELS {
            known.insert(name.to_owned());
            return name.to_owned();
        }
        OTHER.to_owned()
    }

    /// Counts a job run as the ledger recorded its end.
    pub fn observe_job_run(&self, run: &job_run::Model) {
        self.job_runs
            .with_label_values(&[run.job.as_str(), run.outcome.to_value().as_str()])
            .inc();
        if let Some(ended) = run.ended_at {
            let seconds = (ended - run.started_at).num_milliseconds().max(0) as f64 / 1000.0;
            self.job_seconds
                .with_label_values(&[run.job.as_str()])
                .observe(seconds);
        }
    }

    /// The text of a scrape at `now`: reads the pool and the stored state
    /// first; a database that does not answer reports `releasedesk_database_up 0`
    /// and the stored figures of the last scrape that read them.
    pub async fn scrape(
        &self,
        db: &DatabaseConnection,
        now: chrono::DateTime<chrono::Utc>,
        live_open: usize,
    ) -> String {
        let (size, idle, max) = pool_figures(db);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(size.saturating_sub(idle)));
        self.pool_connections
            .with_label_values(&["idle"])
            .set(i64::from(idle));
        self.pool_max.set(i64::from(max));
        self.live_connections
            .set(i64::try_from(live_open).unwrap_or(i64::MAX));
        match entities::gauges::stored_state(db, now).await {
            Ok(state) => {
                self.database_up.set(1);
                for status in [
                    entities::entity::OutboxStatus::Queued,
                    entities::entity::OutboxStatus::Sending,
                    entities::entity::OutboxStatus::Sent,
                    entities::entity::OutboxStatus::Failed,
                ] {
                    let count = state
                        .outbox
                        .iter()
                        .find(|(s, _)| *s == status)
                        .map_or(0, |(_, n)| *n);
                    self.outbox
                        .with_label_values(&[status.to_value().as_str()])
                        .set(count);
                }
                self.oldest_unsent_age
                    .set(state.oldest_unsent_at.map_or(0.0, |at| {
                        (now - at).num_milliseconds().max(0) as f64 / 1000.0
                    }));
                self.approvals_open
                    .set(i64::try_from(state.approvals_open).unwrap_or(i64::MAX));
                self.approvals_overdue
                    .set(i64::try_from(state.approvals_overdue).unwrap_or(i64::MAX));
            }
            Err(error) => {
                tracing::warn!(%error, "metrics: the database did not answer");
                self.database_up.set(0);
            }
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::warn!(%error, "metrics: encoding failed");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Open, idle and most connections of the pool.
fn pool_figures(db: &DatabaseConnection) -> (u32, u32, u32) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => figures_of(db.get_postgres_connection_pool()),
        _ => figures_of(db.get_sqlite_connection_pool()),
    }
}

fn figures_of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> (u32, u32, u32) {
    (
        pool.size(),
        u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        pool.options().get_max_connections(),
    )
}
