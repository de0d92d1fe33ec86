//! Layered configuration: defaults, then `releasedesk.toml` (or the file named by
//! `RELEASEDESK_CONFIG`), then `DATABASE_URL`, then `RELEASEDESK_*` variables.

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything the service reads at start-up.
#[derive(Clone, Deserialize, Serialize)]
pub struct Settings {
    /// Database URL: `sqlite://file.db?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Largest number of pooled database connections.
    pub db_max_connections: u32,
    /// `tracing` filter, e.g. `info` or `releasedesk=debug,sqlx=warn`.
    pub log: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://releasedesk.db?mode=rwc".into(),
            bind: "127.0.0.1:8000".into(),
            migrate_on_start: true,
            graphiql: true,
            db_max_connections: 10,
            log: "info".into(),
        }
    }
}

impl std::fmt::Debug for Settings {
    /// Never prints the database URL, which may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &database_kind(&self.database_url))
            .field("bind", &self.bind)
            .field("migrate_on_start", &self.migrate_on_start)
            .field("graphiql", &self.graphiql)
            .field("db_max_connections", &self.db_max_connections)
            .field("log", &self.log)
            .finish()
    }
}

/// The scheme of a database URL, safe to log.
pub fn database_kind(url: &str) -> &str {
    url.split_once(':').map_or("unknown", |(scheme, _)| scheme)
}

impl Settings {
    /// Reads the layers in order; a missing default file is fine, a named missing file is not.
    pub fn load() -> Result<Self, Box<figment::Error>> {
        let named = std::env::var_os("RELEASEDESK_CONFIG").map(PathBuf::from);
        let file = named
            .clone()
            .unwrap_or_else(|| PathBuf::from("releasedesk.toml"));
        if let Some(path) = named.filter(|p| !p.exists()) {
            return Err(Box::new(figment::Error::from(format!(
                "RELEASEDESK_CONFIG names {}, which does not exist",
                path.display()
            ))));
        }
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("RELEASEDESK_").ignore(&["CONFIG", "TEST_POSTGRES_URL"]))
            .extract()
            .map_err(Box::new)
    }
}
