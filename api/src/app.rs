//! The one wiring of the service, used by `main`, by every test and later by the
//! scheduler: settings → connect → migrate → context → schema → routes.

use crate::auth::{jwt::JwtVerifier, Authenticator};
use crate::config::Settings;
use crate::context::AppContext;
use crate::http::{self, HttpState, RunningServer};
use crate::{db, graphql};
use anyhow::Context;
use entities::{access, Clock};
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;

/// A running Releasedesk: the HTTP server over one database.
pub struct Application {
    /// The address the server listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// What the running application shares with its parts.
    pub context: AppContext,
    server: RunningServer,
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
        let context = AppContext {
            db,
            clock,
            settings: Arc::new(settings),
        };
        let state = HttpState {
            schema: graphql::build_schema(context.clone()),
            context: context.clone(),
            authenticator,
        };
        let server = http::start(&bind, state)
            .await
            .with_context(|| format!("binding {bind}"))?;
        tracing::info!(
            settings = ?context.settings,
            "listening on http://{}/graphql (GraphiQL: {})",
            server.addr,
            context.settings.graphiql_enabled()
        );
        Ok(Self {
            addr: server.addr,
            context,
            server,
        })
    }

    /// Stops accepting requests and waits for the ones in flight.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.server.stop().await.context("stopping the HTTP server")
    }
}

/// Opens the configured database pool.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    db::connect(
        settings.database.url.expose(),
        settings.database.max_connections,
    )
    .await
    .with_context(|| format!("connecting to the {} database", settings.database.kind()))
}
