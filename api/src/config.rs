//! Layered configuration: defaults, then `releasedesk.toml` (or the file named by
//! `RELEASEDESK_CONFIG`), then `DATABASE_URL`, then `RELEASEDESK_<SECTION>__<KEY>`
//! variables. Unknown keys and unknown values are refused at start.

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Longest clock skew accepted on JWT times, whatever is configured.
pub const MAX_JWT_LEEWAY_SECONDS: u64 = 300;

/// Request headers browsers may send from allowed origins: the API's own, Apollo
/// Client's, and the usual tracing headers.
pub const DEFAULT_CORS_ALLOW_HEADERS: &str = "authorization,content-type,accept,x-request-id,\
apollographql-client-name,apollographql-client-version,apollo-require-preflight,\
traceparent,tracestate,baggage,sentry-trace";

/// Prefix of the variables reserved for the test harness; the service ignores them.
const TEST_HARNESS_PREFIX: &str = "TEST_";

/// Where the service runs; production hardens the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    /// GraphiQL and introspection are off unless switched on explicitly.
    Production,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A value that must never be printed (passwords, signing keys, URLs with credentials).
#[derive(Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything the service reads at start-up, in sections.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `development` (the default) or `production`.
    pub env: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub graphql: GraphqlSettings,
    pub auth: AuthSettings,
    pub jobs: JobsSettings,
    pub mail: MailSettings,
    pub costs: CostsSettings,
    pub reports: ReportsSettings,
    pub live: LiveSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
}

/// `GET /metrics`, in the Prometheus text format.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Serve `/metrics`.
    pub enabled: bool,
    /// Serve it only on this address (for example `0.0.0.0:9100` for a scraper
    /// on another network), not beside the API; unset serves it on `server.bind`.
    pub bind: Option<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            bind: None,
        }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Serve GraphiQL on `GET /graphql`; unset follows `env`.
    pub graphiql: Option<bool>,
    /// Comma-separated origins allowed to call the API from a browser; empty allows none.
    pub cors_origins: String,
    /// Comma-separated request headers those origins may send.
    pub cors_allow_headers: String,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Accept a JSON array of operations in one request.
    pub batching: bool,
    /// Most operations in one batch, when batching is on.
    pub max_batch_size: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8000".into(),
            graphiql: None,
            cors_origins: String::new(),
            cors_allow_headers: DEFAULT_CORS_ALLOW_HEADERS.into(),
            max_body_bytes: 1024 * 1024,
            batching: false,
            max_batch_size: 10,
        }
    }
}

/// The database.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://file.db?mode=rwc` or `postgres://user@host/db`; may hold a password.
    pub url: Secret,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// PostgreSQL: the longest a request waits for a row lock (`lock_timeout`),
    /// in milliseconds; past it the request answers `CONFLICT` (retryable).
    pub lock_timeout_ms: u64,
    /// PostgreSQL: the longest one statement of a request runs (`statement_timeout`), in milliseconds.
    pub statement_timeout_ms: u64,
    /// PostgreSQL: the longest a transaction may sit idle before the server
    /// ends it and frees its locks (`idle_in_transaction_session_timeout`), in milliseconds.
    pub idle_in_transaction_timeout_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("sqlite://releasedesk.db?mode=rwc"),
            max_connections: 8,
            migrate_on_start: true,
            lock_timeout_ms: 3_000,
            statement_timeout_ms: 10_000,
            idle_in_transaction_timeout_ms: 10_000,
        }
    }
}

impl DatabaseSettings {
    /// The scheme of the URL, safe to log.
    pub fn kind(&self) -> &str {
        database_kind(self.url.expose())
    }

    /// The bounds every PostgreSQL connection of the pool gets.
    pub fn session_timeouts(&self) -> crate::db::SessionTimeouts {
        let ms = std::time::Duration::from_millis;
        crate::db::SessionTimeouts {
            lock: ms(self.lock_timeout_ms),
            statement: ms(self.statement_timeout_ms),
            idle_in_transaction: ms(self.idle_in_transaction_timeout_ms),
        }
    }
}

/// The GraphQL schema and its request limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlSettings {
    /// Answer introspection queries; unset follows `env`.
    pub introspection: Option<bool>,
    /// Deepest selection nesting a query may have.
    pub max_depth: usize,
    /// Highest complexity a query may have (each field 1, lists times their page size).
    pub max_complexity: usize,
    /// Most aliased fields in one query.
    pub max_aliases: usize,
    /// Answer the common release reads (a page or one release, with milestones,
    /// owner and stakeholders) on the direct path; off runs every query through
    /// async-graphql's executor. Both answer the same bytes.
    #[serde(deserialize_with = "on_off")]
    pub direct_reads: bool,
    /// `on` runs `addMilestone` on the direct path (its unit of work, then the
    /// new milestone written from its row); off runs every mutation through
    /// async-graphql's executor. Both answer and audit alike.
    #[serde(deserialize_with = "on_off")]
    pub direct_writes: bool,
}

impl Default for GraphqlSettings {
    fn default() -> Self {
        Self {
            introspection: None,
            max_depth: 16,
            max_complexity: 5_000,
            max_aliases: 30,
            direct_reads: true,
            direct_writes: true,
        }
    }
}

/// Authentication.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// How long, in seconds, a replica remembers who a token stands for; a token
    /// revoked or a role changed on another replica takes effect within this.
    /// `0` reads the database on every request.
    pub cache_seconds: u64,
    pub jwt: JwtSettings,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            cache_seconds: 5,
            jwt: JwtSettings::default(),
        }
    }
}

/// JWTs from an identity provider.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtSettings {
    /// Shared secret for HS256 JWTs.
    pub hs256_secret: Option<Secret>,
    /// Path of a JWKS file with the RS256/ES256 public keys of the identity provider.
    pub jwks_path: Option<PathBuf>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud`.
    pub audience: Option<String>,
    /// Accepted clock skew on `exp`/`nbf`, in seconds (at most 300).
    pub leeway_seconds: u64,
    /// Claim holding the caller's e-mail address.
    pub email_claim: String,
    /// Claim holding role names, used when `grant_roles` is on.
    pub roles_claim: String,
    /// Let the roles claim grant roles on top of the stored ones.
    pub grant_roles: bool,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            hs256_secret: None,
            jwks_path: None,
            issuer: None,
            audience: None,
            leeway_seconds: 30,
            email_claim: "email".into(),
            roles_claim: "roles".into(),
            grant_roles: false,
        }
    }
}

/// Scheduled jobs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsSettings {
    /// Tick the scheduled jobs on this replica (`RELEASEDESK_JOBS__ENABLED=off`
    /// turns it off); manual runs work either way. Takes `on`/`off` as well as booleans.
    #[serde(deserialize_with = "on_off")]
    pub enabled: bool,
    /// Cron expressions (six fields, seconds first, UTC) by job name, replacing
    /// the defaults; `change_schedule_sync` and `change-schedule-sync` both name
    /// the job `change-schedule-sync`.
    pub schedules: BTreeMap<String, String>,
    /// A run whose replica has not checked in for this many seconds is given up
    /// as abandoned (replicas check in four times per lease).
    pub lease_seconds: u64,
    /// On SIGTERM, how long running jobs may take to finish before they are stopped.
    pub shutdown_grace_seconds: u64,
    /// Days the `housekeeping` job keeps runs that succeeded without changing
    /// anything, and e-mails that were sent (1 to 3650).
    pub keep_days: u32,
    /// PostgreSQL: the longest a job's unit of work waits for a row lock, in milliseconds.
    pub lock_timeout_ms: u64,
    /// PostgreSQL: the longest one statement of a job runs, in milliseconds.
    pub statement_timeout_ms: u64,
}

impl Default for JobsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            schedules: BTreeMap::new(),
            lease_seconds: 60,
            shutdown_grace_seconds: 30,
            keep_days: 30,
            lock_timeout_ms: 30_000,
            statement_timeout_ms: 300_000,
        }
    }
}

impl JobsSettings {
    /// The configured schedules keyed by job name (`-` for `_`).
    pub fn schedules_by_job(&self) -> std::collections::HashMap<String, String> {
        self.schedules
            .iter()
            .map(|(name, cron)| (name.replace('_', "-"), cron.clone()))
            .collect()
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS on the submission port (587 by default), required.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, 465 by default).
    Tls,
    /// No encryption (port 25 by default): a local relay only.
    None,
}

/// Outgoing e-mail: approval requests, reminders, notifications.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// SMTP server; unset writes each e-mail as an `.eml` file into `folder`.
    pub smtp_host: Option<String>,
    /// SMTP port; unset follows `smtp_security` (587, 465 or 25).
    pub smtp_port: Option<u16>,
    /// `starttls` (the default), `tls` or `none`.
    pub smtp_security: SmtpSecurity,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// The sender, `Name <address>`.
    pub from: String,
    /// Where e-mails are written when no SMTP server is configured.
    pub folder: PathBuf,
    /// The service's address as approvers' browsers reach it (links in e-mails);
    /// unset uses `http://` and `server.bind`.
    pub public_url: Option<String>,
    /// Attempts before an e-mail is parked as FAILED for administrators.
    pub max_attempts: i32,
    /// Seconds to wait after a first failed attempt; doubled after each further one.
    pub retry_seconds: u64,
    /// Longest wait for the mail server on one e-mail, in seconds.
    pub send_timeout_seconds: u64,
    /// The key that signs approve and reject links (at least 32 characters);
    /// unset uses `link_key_file`. Every replica needs the same key.
    pub link_key: Option<Secret>,
    /// Where the link key is kept when `link_key` is unset; created on first start.
    pub link_key_file: PathBuf,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_host: None,
            smtp_port: None,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: None,
            smtp_password: None,
            from: "Releasedesk <releasedesk@localhost>".into(),
            folder: PathBuf::from("mail"),
            public_url: None,
            max_attempts: 8,
            retry_seconds: 60,
            send_timeout_seconds: 30,
            link_key: None,
            link_key_file: PathBuf::from("releasedesk.key"),
        }
    }
}

/// Costs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostsSettings {
    /// The one ISO 4217 currency of every amount (three capital letters).
    pub currency: String,
}

impl Default for CostsSettings {
    fn default() -> Self {
        Self {
            currency: "EUR".into(),
        }
    }
}

/// The scheduled release report.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsSettings {
    /// Days each stored report covers, ending at the job's slot (1 to 366).
    pub period_days: u32,
}

impl Default for ReportsSettings {
    fn default() -> Self {
        Self { period_days: 7 }
    }
}

/// Live updates: GraphQL subscriptions over WebSocket on `/graphql`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveSettings {
    /// Most WebSocket connections this replica holds at once (1 to 100,000);
    /// more are refused with 503 before the upgrade.
    pub max_connections: usize,
    /// Events a subscriber may fall behind (16 to 65,536) before its
    /// connection is closed (4008): a slow client is never buffered without limit.
    pub buffer_events: usize,
    /// Seconds between WebSocket pings to each client (1 to 3,600).
    pub keepalive_seconds: u64,
    /// Seconds a client has to send `connection_init` (1 to 600).
    pub init_timeout_seconds: u64,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            buffer_events: entities::live::BUS_CAPACITY,
            keepalive_seconds: 30,
            init_timeout_seconds: 10,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `tracing` filter, e.g. `info` or `releasedesk=debug,sqlx=warn`.
    pub filter: String,
    /// `text` (the default) or `json`.
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            // the scheduler library narrates its own start-up at info
            filter: "info,tokio_cron_scheduler=warn".into(),
            format: LogFormat::Text,
        }
    }
}

/// A switch written as a boolean or as `on`/`off`, `yes`/`no`, `1`/`0`.
fn on_off<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Switch {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    match Switch::deserialize(deserializer)? {
        Switch::Bool(on) => Ok(on),
        Switch::Number(1) => Ok(true),
        Switch::Number(0) => Ok(false),
        Switch::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Ok(true),
            "off" | "false" | "no" | "0" => Ok(false),
            _ => Err(serde::de::Error::custom(format!(
                "expected on or off, found {text:?}"
            ))),
        },
        Switch::Number(n) => Err(serde::de::Error::custom(format!(
            "expected on or off, found {n}"
        ))),
    }
}

/// The key of a short variable name: the two settings every deployment sets
/// have one (`RELEASEDESK_BIND`, `RELEASEDESK_DATABASE_URL`), as scripts and
/// orchestrators expect; every other setting goes by its section.
fn short_name(flat: &str) -> Option<&'static str> {
    match flat {
        "bind" => Some("server.bind"),
        "database_url" => Some("database.url"),
        _ => None,
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
        Self::figment(Toml::file(file)).extract().map_err(Box::new)
    }

    /// The layers over `file`: defaults, the file, `DATABASE_URL`, `RELEASEDESK_*`.
    fn figment(file: impl figment::Provider) -> Figment {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(file)
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
            .merge(
                Env::prefixed("RELEASEDESK_")
                    .filter(|key| {
                        let key = key.as_str().to_ascii_uppercase();
                        key != "CONFIG" && !key.starts_with(TEST_HARNESS_PREFIX)
                    })
                    .map(|key| {
                        let key = key.as_str().to_ascii_lowercase();
                        short_name(&key)
                            .map_or_else(|| key.replace("__", "."), str::to_owned)
                            .into()
                    }),
            )
    }

    /// True in production.
    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// Refuses values the types allow but the service does not.
    pub fn check(&self) -> Result<(), String> {
        let currency = &self.costs.currency;
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "costs.currency must be an ISO 4217 code of three capital letters, not {currency:?}"
            ));
        }
        if !(1..=366).contains(&self.reports.period_days) {
            return Err("reports.period_days must be between 1 and 366".into());
        }
        if !(1..=3650).contains(&self.jobs.keep_days) {
            return Err("jobs.keep_days must be between 1 and 3650".into());
        }
        if !(1..=100_000).contains(&self.live.max_connections) {
            return Err("live.max_connections must be between 1 and 100000".into());
        }
        if !(16..=65_536).contains(&self.live.buffer_events) {
            return Err("live.buffer_events must be between 16 and 65536".into());
        }
        if !(1..=3_600).contains(&self.live.keepalive_seconds) {
            return Err("live.keepalive_seconds must be between 1 and 3600".into());
        }
        if !(1..=600).contains(&self.live.init_timeout_seconds) {
            return Err("live.init_timeout_seconds must be between 1 and 600".into());
        }
        if !(1..=100).contains(&self.mail.max_attempts) {
            return Err("mail.max_attempts must be between 1 and 100".into());
        }
        // 0 would switch PostgreSQL's bound off; an hour is beyond any wait worth having
        for (name, ms) in [
            ("database.lock_timeout_ms", self.database.lock_timeout_ms),
            (
                "database.statement_timeout_ms",
                self.database.statement_timeout_ms,
            ),
            (
                "database.idle_in_transaction_timeout_ms",
                self.database.idle_in_transaction_timeout_ms,
            ),
            ("jobs.lock_timeout_ms", self.jobs.lock_timeout_ms),
            ("jobs.statement_timeout_ms", self.jobs.statement_timeout_ms),
        ] {
            if !(1..=3_600_000).contains(&ms) {
                return Err(format!("{name} must be between 1 and 3600000"));
            }
        }
        Ok(())
    }

    /// The base of links in e-mails (`mail.public_url`, or `http://` and the bind address).
    pub fn public_url(&self) -> String {
        match &self.mail.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.server.bind),
        }
    }

    /// GraphiQL on or off, after applying the environment default.
    pub fn graphiql_enabled(&self) -> bool {
        self.server.graphiql.unwrap_or(!self.is_production())
    }

    /// Introspection on or off, after applying the environment default.
    pub fn introspection_enabled(&self) -> bool {
        self.graphql.introspection.unwrap_or(!self.is_production())
    }

    /// The request headers allowed from other origins, lower-cased.
    pub fn cors_allow_header_list(&self) -> Vec<String> {
        self.server
            .cors_allow_headers
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    }

    /// The CORS allow-list as a list.
    pub fn cors_origin_list(&self) -> Vec<String> {
        self.server
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's own error type, in tests only
mod tests {
    use super::*;
    use figment::providers::Toml;

    fn from_toml(text: &str) -> Result<Settings, figment::Error> {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(text))
            .extract()
    }

    #[test]
    fn production_turns_off_graphiql_and_introspection_unless_set() {
        let mut settings = Settings {
            env: Environment::Production,
            ..Settings::default()
        };
        assert!(!settings.graphiql_enabled());
        assert!(!settings.introspection_enabled());
        settings.server.graphiql = Some(true);
        assert!(settings.graphiql_enabled());
        assert!(Settings::default().introspection_enabled());
    }

    #[test]
    fn unknown_environments_and_log_formats_are_refused() {
        let prod = from_toml("env = \"prod\"").unwrap_err().to_string();
        assert!(prod.contains("prod"), "{prod}");
        assert!(prod.contains("production"), "{prod}");
        let format = from_toml("[log]\nformat = \"xml\"")
            .unwrap_err()
            .to_string();
        assert!(format.contains("xml"), "{format}");
        let settings = from_toml("env = \"production\"\n[log]\nformat = \"json\"").unwrap();
        assert_eq!(settings.env, Environment::Production);
        assert_eq!(settings.log.format, LogFormat::Json);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let typo = from_toml("[server]\nbnid = \"0.0.0.0:80\"")
            .unwrap_err()
            .to_string();
        assert!(typo.contains("bnid"), "{typo}");
    }

    #[test]
    fn variables_fill_sections_and_database_url_is_honoured() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://db/one");
            jail.set_env("RELEASEDESK_SERVER__BIND", "0.0.0.0:9000");
            jail.set_env("RELEASEDESK_AUTH__JWT__ISSUER", "https://idp");
            jail.set_env("RELEASEDESK_TEST_POSTGRES_URL", "ignored");
            let settings: Settings = Settings::figment(Toml::string("")).extract()?;
            assert_eq!(settings.server.bind, "0.0.0.0:9000");
            assert_eq!(settings.database.url.expose(), "postgres://db/one");
            assert_eq!(settings.auth.jwt.issuer.as_deref(), Some("https://idp"));
            jail.set_env("RELEASEDESK_DATABASE__URL", "postgres://db/two");
            let settings: Settings = Settings::figment(Toml::string("")).extract()?;
            assert_eq!(settings.database.url.expose(), "postgres://db/two");
            jail.set_env("RELEASEDESK_LOG__FORMAT", "json");
            let settings: Settings = Settings::figment(Toml::string("")).extract()?;
            assert_eq!(settings.log.format, LogFormat::Json);
            assert!(settings.jobs.enabled);
            jail.set_env("RELEASEDESK_JOBS__ENABLED", "off");
            jail.set_env(
                "RELEASEDESK_JOBS__SCHEDULES__CHANGE_SCHEDULE_SYNC",
                "*/2 * * * * *",
            );
            let settings: Settings = Settings::figment(Toml::string("")).extract()?;
            assert!(!settings.jobs.enabled);
            assert_eq!(
                settings.jobs.schedules_by_job()["change-schedule-sync"],
                "*/2 * * * * *"
            );
            // the two short names
            jail.set_env("RELEASEDESK_BIND", "127.0.0.1:9999");
            jail.set_env("RELEASEDESK_DATABASE_URL", "postgres://db/three");
            let settings: Settings = Settings::figment(Toml::string("")).extract()?;
            assert_eq!(settings.server.bind, "127.0.0.1:9999");
            assert_eq!(settings.database.url.expose(), "postgres://db/three");
            // a typo, and any other flat name without its section, are refused
            for unknown in ["RELEASEDESK_BNID", "RELEASEDESK_JOBS"] {
                jail.clear_env();
                jail.set_env(unknown, "127.0.0.1:9999");
                assert!(Settings::figment(Toml::string(""))
                    .extract::<Settings>()
                    .is_err());
            }
            Ok(())
        });
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut settings = Settings::default();
        settings.database.url = Secret::new("postgres://user:hunter2@db/releasedesk");
        settings.auth.jwt.hs256_secret = Some(Secret::new("s3cr3t-value"));
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("s3cr3t-value"));
        assert_eq!(settings.database.kind(), "postgres");
    }

    #[test]
    fn cors_headers_default_to_apollo_and_tracing_and_can_be_replaced() {
        let mut settings = Settings::default();
        let defaults = settings.cors_allow_header_list();
        for header in ["authorization", "apollographql-client-name", "traceparent"] {
            assert!(defaults.iter().any(|h| h == header), "{header}");
        }
        settings.server.cors_allow_headers = " Authorization , X-Custom,".into();
        assert_eq!(
            settings.cors_allow_header_list(),
            ["authorization", "x-custom"]
        );
    }

    #[test]
    fn cors_origins_split_on_commas() {
        let mut settings = Settings::default();
        settings.server.cors_origins = " https://a.example , https://b.example,".into();
        assert_eq!(
            settings.cors_origin_list(),
            ["https://a.example", "https://b.example"]
        );
    }
}
