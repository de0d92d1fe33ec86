//! The one wiring of the service, used by `main` and by every test: settings →
//! connect → migrate → context → schema → routes, and the job scheduler.

use crate::auth::{cache::ViewerCache, jwt::JwtVerifier, Authenticator};
use crate::config::Settings;
use crate::context::AppContext;
use crate::http::{self, HttpState, RunningServer};
use crate::{db, graphql};
use anyhow::Context;
use entities::{access, Clock};
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Longest time a replica may trust a cached identity, whatever is configured.
pub const MAX_AUTH_CACHE_SECONDS: u64 = 300;

/// A running Releasedesk: the HTTP server over one database.
pub struct Application {
    /// The address the server listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// What the running application shares with its parts.
    pub context: AppContext,
    /// Where `/metrics` is served when `metrics.bind` gives it its own address.
    pub metrics_addr: Option<SocketAddr>,
    server: RunningServer,
    metrics_server: Option<RunningServer>,
    scheduler: Option<jobs::Scheduler>,
    live: crate::live::LiveTasks,
}

impl Application {
    /// Connects to the configured database and starts everything on it.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = connect(&settings).await?;
        Self::start(settings, db, clock).await
    }

    /// Starts the application on an open connection: migrations (when
    /// `database.migrate_on_start`), the context, the schema and the HTTP server.
    pub async fn start(
        settings: Settings,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        settings.check().map_err(anyhow::Error::msg)?;
        if settings.database.migrate_on_start {
            db::migrate(&db).await.context("applying migrations")?;
        }
        if !access::has_administrator(&db)
            .await
            .context("looking for an administrator")?
        {
            tracing::warn!(
                "no administrator yet: run `releasedesk admin create --email you@example.com`"
            );
        }
        let authenticator = Arc::new(Authenticator::new(JwtVerifier::from_settings(
            &settings.auth.jwt,
        )?));
        let bind = settings.server.bind.clone();
        let viewers = Arc::new(ViewerCache::new(Duration::from_secs(
            settings.auth.cache_seconds.min(MAX_AUTH_CACHE_SECONDS),
        )));
        let (live, live_tasks) =
            crate::live::start(&db, settings.live.buffer_events, viewers.clone())
                .await
                .context("listening for live events")?;
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let observer: jobs::RunObserver = {
            let metrics = metrics.clone();
            Arc::new(move |run| metrics.observe_job_run(run))
        };
        let context = AppContext {
            jobs: job_runner(&settings, &db, &clock, Some(observer)).await?,
            metrics,
            viewers,
            live,
            db,
            clock,
            settings: Arc::new(settings),
        };
        let state = HttpState {
            schemas: graphql::build_schemas(context.clone()),
            context: context.clone(),
            authenticator,
            connections: Arc::new(tokio::sync::Semaphore::new(
                context.settings.live.max_connections,
            )),
            shutdown: tokio::sync::watch::channel(false).1,
        };
        let metrics_server = match &context.settings.metrics {
            crate::config::MetricsSettings {
                enabled: true,
                bind: Some(metrics_bind),
            } => Some(
                http::start_metrics(metrics_bind, state.clone())
                    .await
                    .with_context(|| format!("binding {metrics_bind} for metrics"))?,
            ),
            _ => None,
        };
        let server = http::start(&bind, state)
            .await
            .with_context(|| format!("binding {bind}"))?;
        let settings = &context.settings;
        tracing::info!(
            environment = ?settings.env,
            database = settings.database.kind(),
            jobs = settings.jobs.enabled,
            "listening on http://{}/ (the Release workspace; the API at /graphql, GraphiQL: {})",
            server.addr,
            settings.graphiql_enabled()
        );
        let scheduler = if context.settings.jobs.enabled {
            Some(
                jobs::Scheduler::start(context.jobs.clone())
                    .await
                    .map_err(anyhow::Error::msg)?,
            )
        } else {
            tracing::info!("scheduled jobs are off on this replica (jobs.enabled = false)");
            None
        };
        if let Some(metrics) = &metrics_server {
            tracing::info!("metrics on http://{}/metrics", metrics.addr);
        }
        Ok(Self {
            addr: server.addr,
            metrics_addr: metrics_server.as_ref().map(|m| m.addr),
            context,
            server,
            metrics_server,
            scheduler,
            live: live_tasks,
        })
    }

    /// Stops accepting requests and waits for the ones in flight, then stops the
    /// scheduler, giving running jobs `jobs.shutdown_grace_seconds` to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        let stopped = self.server.stop().await.context("stopping the HTTP server");
        if let Some(metrics) = self.metrics_server {
            if let Err(error) = metrics.stop().await {
                tracing::warn!(%error, "stopping the metrics server");
            }
        }
        if let Some(scheduler) = self.scheduler {
            let grace = Duration::from_secs(self.context.settings.jobs.shutdown_grace_seconds);
            scheduler.shutdown(grace).await;
        }
        self.live.stop();
        stopped
    }
}

/// The job runner of this replica: every job, with the configured schedules
/// and lease, the mail settings its e-mail jobs send with, and who hears of
/// finished runs.
pub async fn job_runner(
    settings: &Settings,
    db: &DatabaseConnection,
    clock: &Arc<dyn Clock>,
    observer: Option<jobs::RunObserver>,
) -> anyhow::Result<jobs::Runner> {
    let context = jobs::JobContext {
        db: db.clone(),
        clock: clock.clone(),
        mail: Arc::new(mail_context(settings)?),
        currency: settings.costs.currency.clone(),
        report_period_days: settings.reports.period_days,
        keep_days: settings.jobs.keep_days,
        timeouts: jobs::JobTimeouts {
            lock: Duration::from_millis(settings.jobs.lock_timeout_ms),
            statement: Duration::from_millis(settings.jobs.statement_timeout_ms),
        },
        lease: None,
        slot: None,
    };
    let options = jobs::RunnerOptions {
        lease: Duration::from_secs(settings.jobs.lease_seconds.max(1)),
        schedules: settings.jobs.schedules_by_job(),
        observer,
    };
    jobs::Runner::new(context, jobs::catalog(), options)
        .map_err(|err| anyhow::anyhow!("jobs configuration: {err}"))
}

/// The mail transport and link settings of `settings.mail`.
fn mail_context(settings: &Settings) -> anyhow::Result<jobs::MailContext> {
    use crate::config::SmtpSecurity;
    use jobs::mailer::{Destination, Mailer, Security};
    let mail = &settings.mail;
    let destination = match &mail.smtp_host {
        Some(host) => {
            let (security, port) = match mail.smtp_security {
                SmtpSecurity::Starttls => (Security::StartTls, 587),
                SmtpSecurity::Tls => (Security::Tls, 465),
                SmtpSecurity::None => (Security::None, 25),
            };
            Destination::Smtp {
                host: host.clone(),
                port: mail.smtp_port.unwrap_or(port),
                security,
                credentials: mail.smtp_username.clone().map(|user| {
                    let password = mail
                        .smtp_password
                        .as_ref()
                        .map(|p| p.expose().to_owned())
                        .unwrap_or_default();
                    (user, password)
                }),
            }
        }
        None => Destination::Folder(mail.folder.clone()),
    };
    let timeout = Duration::from_secs(mail.send_timeout_seconds.clamp(1, 600));
    let link_key = crate::keys::link_key(settings)?;
    // the link key is this installation's secret: it also keeps Message-IDs apart
    let mailer =
        Mailer::new(&destination, &mail.from, timeout, &link_key).map_err(anyhow::Error::msg)?;
    tracing::info!("e-mail goes to {}", mailer.describe());
    Ok(jobs::MailContext {
        mailer,
        public_url: settings.public_url(),
        link_key,
        max_attempts: mail.max_attempts.clamp(1, 100),
        retry_after: chrono::Duration::seconds(
            i64::try_from(mail.retry_seconds.clamp(1, 86_400)).unwrap_or(60),
        ),
        dispatcher: jobs::runner::runner_id(),
    })
}

/// Opens the configured database pool.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    db::connect_with(
        settings.database.url.expose(),
        settings.database.max_connections,
        settings.database.session_timeouts(),
    )
    .await
    .with_context(|| format!("connecting to the {} database", settings.database.kind()))
}
