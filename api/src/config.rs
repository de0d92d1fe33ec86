//! Layered configuration: defaults, then `releasedesk.toml` (or the file named by
//! `RELEASEDESK_CONFIG`), then `DATABASE_URL`, then `RELEASEDESK_*` variables.

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Longest clock skew accepted on JWT times, whatever is configured.
pub const MAX_JWT_LEEWAY_SECONDS: u64 = 300;

/// Everything the service reads at start-up.
#[derive(Clone, Deserialize, Serialize)]
pub struct Settings {
    /// `development` (the default) or `production`; production turns GraphiQL and
    /// introspection off unless they are set explicitly.
    pub env: String,
    /// Database URL: `sqlite://file.db?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// Serve GraphiQL on `GET /graphql`; unset follows `env`.
    pub graphiql: Option<bool>,
    /// Answer introspection queries; unset follows `env`.
    pub introspection: Option<bool>,
    /// Largest number of pooled database connections.
    pub db_max_connections: u32,
    /// `tracing` filter, e.g. `info` or `releasedesk=debug,sqlx=warn`.
    pub log: String,
    /// `text` (the default) or `json`: one JSON object per log line.
    pub log_format: String,
    /// Deepest selection nesting a query may have.
    pub max_depth: usize,
    /// Highest complexity a query may have (each field 1, lists times their page size).
    pub max_complexity: usize,
    /// Most aliased fields in one query.
    pub max_aliases: usize,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Accept a JSON array of operations in one request.
    pub batching: bool,
    /// Most operations in one batch, when batching is on.
    pub max_batch_size: usize,
    /// Comma-separated origins allowed to call the API from a browser; empty allows none.
    pub cors_origins: String,
    /// How long nested-field loaders collect keys before querying, in milliseconds.
    pub loader_batch_window_ms: u64,
    /// Shared secret for HS256 JWTs.
    pub jwt_hs256_secret: Option<String>,
    /// Path of a JWKS file with the RS256/ES256 public keys of the identity provider.
    pub jwt_jwks_path: Option<PathBuf>,
    /// Required `iss` of JWTs.
    pub jwt_issuer: Option<String>,
    /// Required `aud` of JWTs.
    pub jwt_audience: Option<String>,
    /// Accepted clock skew on `exp`/`nbf`, in seconds (at most 300).
    pub jwt_leeway_seconds: u64,
    /// Claim holding the caller's e-mail address.
    pub jwt_email_claim: String,
    /// Claim holding role names, used when `jwt_grant_roles` is on.
    pub jwt_roles_claim: String,
    /// Let the roles claim grant roles on top of the stored ones.
    pub jwt_grant_roles: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: "development".into(),
            database_url: "sqlite://releasedesk.db?mode=rwc".into(),
            bind: "127.0.0.1:8000".into(),
            migrate_on_start: true,
            graphiql: None,
            introspection: None,
            db_max_connections: 10,
            log: "info".into(),
            log_format: "text".into(),
            max_depth: 16,
            max_complexity: 5_000,
            max_aliases: 30,
            max_body_bytes: 1024 * 1024,
            batching: false,
            max_batch_size: 10,
            cors_origins: String::new(),
            loader_batch_window_ms: 2,
            jwt_hs256_secret: None,
            jwt_jwks_path: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_leeway_seconds: 30,
            jwt_email_claim: "email".into(),
            jwt_roles_claim: "roles".into(),
            jwt_grant_roles: false,
        }
    }
}

impl std::fmt::Debug for Settings {
    /// Never prints the database URL or the JWT secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("database", &database_kind(&self.database_url))
            .field("bind", &self.bind)
            .field("migrate_on_start", &self.migrate_on_start)
            .field("graphiql", &self.graphiql_enabled())
            .field("introspection", &self.introspection_enabled())
            .field("max_depth", &self.max_depth)
            .field("max_complexity", &self.max_complexity)
            .field("max_aliases", &self.max_aliases)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("batching", &self.batching)
            .field("cors_origins", &self.cors_origins)
            .field("jwt_hs256", &self.jwt_hs256_secret.is_some())
            .field("jwt_jwks_path", &self.jwt_jwks_path)
            .finish_non_exhaustive()
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
            .merge(Env::prefixed("RELEASEDESK_").ignore(&[
                "CONFIG",
                "TEST_POSTGRES_URL",
                "REQUIRE_POSTGRES",
            ]))
            .extract()
            .map_err(Box::new)
    }

    /// True in production.
    pub fn is_production(&self) -> bool {
        self.env.eq_ignore_ascii_case("production")
    }

    /// GraphiQL on or off, after applying the environment default.
    pub fn graphiql_enabled(&self) -> bool {
        self.graphiql.unwrap_or(!self.is_production())
    }

    /// Introspection on or off, after applying the environment default.
    pub fn introspection_enabled(&self) -> bool {
        self.introspection.unwrap_or(!self.is_production())
    }

    /// The CORS allow-list as a list.
    pub fn cors_origin_list(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_turns_off_graphiql_and_introspection_unless_set() {
        let mut settings = Settings {
            env: "production".into(),
            ..Settings::default()
        };
        assert!(!settings.graphiql_enabled());
        assert!(!settings.introspection_enabled());
        settings.graphiql = Some(true);
        assert!(settings.graphiql_enabled());
        assert!(Settings::default().introspection_enabled());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = Settings {
            database_url: "postgres://user:hunter2@db/releasedesk".into(),
            jwt_hs256_secret: Some("s3cr3t-value".into()),
            ..Settings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("s3cr3t-value"));
        assert!(shown.contains("postgres"));
    }

    #[test]
    fn cors_origins_split_on_commas() {
        let settings = Settings {
            cors_origins: " https://a.example , https://b.example,".into(),
            ..Settings::default()
        };
        assert_eq!(
            settings.cors_origin_list(),
            ["https://a.example", "https://b.example"]
        );
    }
}
