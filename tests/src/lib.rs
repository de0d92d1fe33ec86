//! Test harness: starts the real `releasedesk` server on port 0 against a fresh
//! database (an SQLite file, or a new PostgreSQL database) and speaks GraphQL
//! over HTTP, like a client would.

pub mod smtp;

use chrono::{TimeZone, Utc};
use entities::entity::Role;
use entities::{access, people, tokens, Clock, ManualClock, Stamp};
use releasedesk::config::Secret;
use releasedesk::{app, db, AppContext, Application, Settings};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Set to a PostgreSQL URL (any database; tests create their own) to run every test there too.
pub const POSTGRES_URL_VAR: &str = "RELEASEDESK_TEST_POSTGRES_URL";
/// When set, a missing PostgreSQL URL fails the PostgreSQL tests instead of skipping them.
pub const REQUIRE_POSTGRES_VAR: &str = "RELEASEDESK_TEST_REQUIRE_POSTGRES";

/// HS256 secret of the test identity provider.
pub const JWT_SECRET: &str = "releasedesk-test-secret-at-least-32-bytes-long";
/// `iss` the test server expects.
pub const JWT_ISSUER: &str = "https://idp.example.test";
/// `aud` the test server expects.
pub const JWT_AUDIENCE: &str = "releasedesk-test";

/// The settings every test server starts with: defaults plus a test identity provider.
pub fn test_settings() -> Settings {
    let mut settings = Settings::default();
    let jwt = &mut settings.auth.jwt;
    jwt.hs256_secret = Some(Secret::new(JWT_SECRET));
    jwt.issuer = Some(JWT_ISSUER.into());
    jwt.audience = Some(JWT_AUDIENCE.into());
    jwt.grant_roles = true;
    // tests tick jobs themselves (or turn the scheduler on), so no background
    // run adds statements or rows while a test counts them
    settings.jobs.enabled = false;
    // a remembered identity stays remembered for the whole test, so statement
    // counts never depend on how long a step took (revocations and role changes
    // made through the API drop it at once, as in production)
    settings.auth.cache_seconds = 300;
    // e-mail never lands in the working tree; tests that read mail start
    // their own SMTP server
    settings.mail.folder =
        std::env::temp_dir().join(format!("releasedesk-test-mail-{}", std::process::id()));
    // and the link key never lands there either
    settings.mail.link_key = Some(Secret::new("releasedesk-test-link-key-of-32-characters"));
    settings
}

/// The `releasedesk` binary of this build, for tests that start real processes:
/// `RELEASEDESK_TEST_BIN` when set, else `target/<profile>/releasedesk` next to
/// this test executable, brought up to date by `cargo build` (a no-op when it
/// is, as after `.ci/run`'s own build) so a stale binary is never tested.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RELEASEDESK_TEST_BIN") {
        return PathBuf::from(path);
    }
    // target/<profile>/deps/<test executable>
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test executable lies in target/<profile>/deps");
    let binary = profile_dir.join(format!("releasedesk{}", std::env::consts::EXE_SUFFIX));
    {
        let release = profile_dir
            .file_name()
            .is_some_and(|name| name == "release");
        let mut build = std::process::Command::new(env!("CARGO"));
        build.args([
            "build",
            "--quiet",
            "-p",
            "releasedesk",
            "--bin",
            "releasedesk",
        ]);
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build for the binary");
        assert!(
            status.success(),
            "cargo build of the releasedesk binary failed"
        );
    }
    binary
}

/// Everything the services logged during this test binary's run.
static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

/// Sends this process's `tracing` output (INFO and up) to a buffer tests can read.
fn capture_logs() -> Arc<std::sync::Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        // Another global subscriber may exist already; then logs are simply not captured.
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}

/// The log lines captured so far in this test binary.
pub fn captured_logs() -> String {
    let buffer = capture_logs();
    let bytes = buffer.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&bytes).into_owned()
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to remove a test database.
pub enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

/// A running server with its own database.
pub struct TestApp {
    pub base_url: String,
    pub backend: Backend,
    pub clock: Arc<ManualClock>,
    /// API token of "Test Admin", an administrator; plain requests use it.
    pub admin_token: String,
    client: reqwest::Client,
    statements: Arc<AtomicUsize>,
    db: DatabaseConnection,
    application: Option<Application>,
    cleanup: Cleanup,
}

impl TestApp {
    /// Starts a server on a fresh database; `None` when PostgreSQL is not configured
    /// (and not required).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, test_settings()).await
    }

    /// Like [`TestApp::spawn`], with `settings` (the database URL and address are
    /// the test's). The server starts through [`Application::start`], as `main` does.
    pub async fn spawn_with(backend: Backend, mut settings: Settings) -> Option<TestApp> {
        capture_logs();
        let (url, cleanup) = fresh_database(backend).await?;
        settings.database.url = Secret::new(url);
        settings.database.max_connections = 5;
        settings.server.bind = "127.0.0.1:0".into();
        let mut db = app::connect(&settings)
            .await
            .expect("connect to the test database");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let log_sql = std::env::var_os("RELEASEDESK_TEST_LOG_SQL").is_some();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::SeqCst);
            if log_sql {
                eprintln!("sql: {}", info.statement.sql);
            }
        });
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0)
                .single()
                .expect("valid date"),
        ));
        let application = Application::start(settings, db.clone(), clock.clone())
            .await
            .expect("start the application");
        let admin_token =
            user_with_token(&db, clock.as_ref(), "Test Admin", &[Role::Administrator])
                .await
                .1;
        let app = TestApp {
            base_url: format!("http://{}", application.addr),
            backend,
            clock,
            admin_token,
            client: reqwest::Client::new(),
            statements,
            db,
            application: Some(application),
            cleanup,
        };
        app.settled().await;
        Some(app)
    }

    /// The raw GraphQL response body of `query` with `variables`, as the administrator.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.as_bearer(Some(&self.admin_token))
            .graphql(query, variables)
            .await
    }

    /// The `data` of a request that must succeed, as the administrator.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        self.as_bearer(Some(&self.admin_token))
            .ok(query, variables)
            .await
    }

    /// The first error of a request that must fail, as the administrator.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        self.as_bearer(Some(&self.admin_token))
            .error(query, variables)
            .await
    }

    /// The first error of a request that must fail with `code`, as the administrator.
    pub async fn expect_code(&self, query: &str, variables: Value, code: &str) -> Value {
        self.as_bearer(Some(&self.admin_token))
            .expect_code(query, variables, code)
            .await
    }

    /// A client sending `Authorization: Bearer <token>`, or no header at all.
    pub fn as_bearer<'a>(&'a self, token: Option<&'a str>) -> Client<'a> {
        Client { app: self, token }
    }

    /// Creates a person holding `roles` and returns their id and a fresh API token.
    pub async fn user(&self, name: &str, roles: &[Role]) -> (i32, String) {
        let user = user_with_token(&self.db, self.clock.as_ref(), name, roles).await;
        self.settled().await;
        user
    }

    /// Waits until the server has applied the live events of everything
    /// committed so far (a new person's roles drop cached identities
    /// asynchronously), so what a test counts next does not depend on when
    /// they arrive.
    pub async fn settled(&self) {
        assert!(
            self.context()
                .live
                .settled(std::time::Duration::from_secs(30))
                .await,
            "the live events never came round"
        );
    }

    /// The raw HTTP client, for requests the helpers do not cover.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// A GET on a path of the server.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("send the GET request")
    }

    /// The server's database connection, for seeding through the domain layer.
    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The running application's context (database, clock, settings).
    pub fn context(&self) -> &AppContext {
        &self
            .application
            .as_ref()
            .expect("the application runs until teardown")
            .context
    }

    /// Where `/metrics` is served when `metrics.bind` gives it its own address.
    pub fn metrics_url(&self) -> Option<String> {
        self.application
            .as_ref()
            .and_then(|application| application.metrics_addr)
            .map(|addr| format!("http://{addr}/metrics"))
    }

    /// SQL statements run since the last [`TestApp::reset_statements`].
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Restarts the statement count.
    pub fn reset_statements(&self) {
        self.statements.store(0, Ordering::SeqCst);
    }

    /// Stops the server and removes the database.
    pub async fn teardown(mut self) {
        if let Some(application) = self.application.take() {
            application.stop().await.ok();
        }
        self.db.clone().close().await.ok();
        self.cleanup.run().await;
    }
}

/// A barrier at an aggregate root's row lock (a release's, the first step of
/// the lock order, or a schedule window's): holds the lock from a connection
/// of the test's own, so every unit of work on that root queues behind it,
/// and lets them all go at once.
pub struct Gate {
    backend: Backend,
    connection: DatabaseConnection,
    holding: Option<sea_orm::DatabaseTransaction>,
}

impl TestApp {
    /// Closes the gate on release `id` (see [`Gate`]).
    pub async fn gate(&self, release_id: &str) -> Gate {
        self.gate_on("releases", release_id).await
    }

    /// Closes the gate on row `id` of the aggregate root `table` (see [`Gate`]).
    pub async fn gate_on(&self, table: &str, row_id: &str) -> Gate {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let id: i32 = row_id.parse().expect("a numeric id");
        let url = self.context().settings.database.url.expose().to_owned();
        // one connection holds the lock, the other watches who waits for it
        let connection = patient_connection(&url, 2).await;
        let holding = connection
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .expect("the gate's transaction");
        if self.backend == Backend::Postgres {
            holding
                .execute_unprepared(&format!(
                    "SELECT id FROM {table} WHERE id = {id} FOR UPDATE"
                ))
                .await
                .expect("lock the row");
        }
        Gate {
            backend: self.backend,
            connection,
            holding: Some(holding),
        }
    }
}

impl TestApp {
    /// Closes the gate on the schedule lock (`entities::schedule::lock`): on
    /// PostgreSQL its advisory lock, held exclusively; on SQLite the writer lock.
    pub async fn gate_schedule(&self) -> Gate {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let url = self.context().settings.database.url.expose().to_owned();
        let connection = patient_connection(&url, 2).await;
        let holding = connection
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .expect("the gate's transaction");
        if self.backend == Backend::Postgres {
            holding
                .execute_unprepared(&format!(
                    "SELECT pg_advisory_xact_lock({})",
                    entities::schedule::lock::KEY
                ))
                .await
                .expect("take the schedule lock");
        }
        Gate {
            backend: self.backend,
            connection,
            holding: Some(holding),
        }
    }
}

impl Gate {
    /// Opens the gate once `waiting` units of work wait behind it. PostgreSQL
    /// shows them in `pg_locks` (not granted): they all reached the lock
    /// before any decided. SQLite has a single writer, which serialises
    /// units of work whole; there the gate holds the writer lock while the
    /// requests start. Panics after a minute without them.
    pub async fn open_when_waiting(mut self, waiting: usize) {
        let holding = self.holding.take().expect("a closed gate");
        match self.backend {
            Backend::Postgres => {
                let started = std::time::Instant::now();
                loop {
                    let row = self
                        .connection
                        .query_one_raw(sea_orm::Statement::from_string(
                            sea_orm::DbBackend::Postgres,
                            "SELECT COUNT(DISTINCT l.pid) AS n FROM pg_locks l \
                             JOIN pg_stat_activity a ON a.pid = l.pid \
                             WHERE NOT l.granted AND a.datname = current_database()",
                        ))
                        .await
                        .expect("read pg_locks")
                        .expect("a count");
                    let n: i64 = row.try_get("", "n").expect("the count");
                    if n >= waiting as i64 {
                        break;
                    }
                    assert!(
                        started.elapsed() < std::time::Duration::from_secs(60),
                        "only {n} of {waiting} units of work reached the release's lock"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
            Backend::Sqlite => {
                for _ in 0..20 {
                    tokio::task::yield_now().await;
                }
            }
        }
        holding.commit().await.expect("open the gate");
        self.connection.close().await.ok();
    }
}

/// A pool on `url` for a test's own work: its sessions may idle in a
/// transaction (a held lock) for as long as the test needs, unlike the
/// service's, which PostgreSQL ends after `database.idle_in_transaction_timeout_ms`.
pub async fn patient_connection(url: &str, connections: u32) -> DatabaseConnection {
    let ten_minutes = std::time::Duration::from_secs(600);
    db::connect_with(
        url,
        connections,
        db::SessionTimeouts {
            lock: ten_minutes,
            statement: ten_minutes,
            idle_in_transaction: ten_minutes,
        },
    )
    .await
    .expect("connect to the test database")
}

/// Settings for tests that hold a gate: lock waits long enough that a loaded
/// machine never turns a wait at the gate into a time-out.
pub fn gated_settings() -> Settings {
    let mut settings = test_settings();
    settings.database.lock_timeout_ms = 120_000;
    settings.database.statement_timeout_ms = 120_000;
    settings
}

/// A new empty database on `backend` and how to remove it; `None` when PostgreSQL
/// is not configured (and not required).
pub async fn fresh_database(backend: Backend) -> Option<(String, Cleanup)> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("releasedesk-test-{id}.db"));
            Some((
                format!("sqlite://{}?mode=rwc", path.display()),
                Cleanup::SqliteFile(path),
            ))
        }
        Backend::Postgres => {
            let Some(admin_url) = postgres_url() else {
                eprintln!("skipped on PostgreSQL: {POSTGRES_URL_VAR} is not set");
                return None;
            };
            let name = format!("releasedesk_test_{id}");
            let admin = db::connect(&admin_url, 1).await.unwrap_or_else(|e| {
                panic!("PostgreSQL at {POSTGRES_URL_VAR} does not answer: {e}")
            });
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create a test database");
            admin.close().await.ok();
            Some((
                with_database(&admin_url, &name),
                Cleanup::PostgresDatabase { admin_url, name },
            ))
        }
    }
}

impl Cleanup {
    /// Removes the database.
    pub async fn run(&self) {
        match self {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(admin) = db::connect(admin_url, 1).await {
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            }
        }
    }
}

/// A client of one test app with one identity.
pub struct Client<'a> {
    app: &'a TestApp,
    token: Option<&'a str>,
}

impl Client<'_> {
    /// The HTTP response to a POSTed GraphQL request.
    pub async fn post(&self, body: Value) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .post(format!("{}/graphql", self.app.base_url))
            .json(&body);
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("send the GraphQL request")
    }

    /// The raw GraphQL response body of `query` with `variables`.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.post(json!({ "query": query, "variables": variables }))
            .await
            .json()
            .await
            .expect("a JSON response")
    }

    /// The `data` of a request that must succeed.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "expected success, got {body:#}"
        );
        body["data"].clone()
    }

    /// The first error of a request that must fail.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        body["errors"]
            .get(0)
            .cloned()
            .unwrap_or_else(|| panic!("expected an error, got {body:#}"))
    }

    /// The first error of a request that must fail with `code` (its `extensions.code`).
    pub async fn expect_code(&self, query: &str, variables: Value, code: &str) -> Value {
        let body = self.graphql(query, variables).await;
        assert_eq!(
            error_code(&body),
            Some(code),
            "expected {code} from {query}, got {body:#}"
        );
        body["errors"][0].clone()
    }
}

/// The `extensions.code` of the first error of a response body, if it has one.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

async fn user_with_token(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    name: &str,
    roles: &[Role],
) -> (i32, String) {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    entities::write(db, Stamp::system(clock.now()), async |tx| {
        let person = people::create(tx, name, &email).await?;
        access::set_roles(tx, person.id, roles).await?;
        let issued = tokens::issue(tx, person.id, "test", None).await?;
        Ok((person.id, issued.secret))
    })
    .await
    .expect("create a user with roles and a token")
}

/// A signed HS256 JWT for the test identity provider, with `claims` over the defaults
/// (`iss`, `aud`, and `exp` an hour after the test clock).
pub fn jwt(app: &TestApp, claims: Value) -> String {
    let mut all = json!({
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "exp": app.clock.now().timestamp() + 3600,
    });
    if let (Some(all), Some(extra)) = (all.as_object_mut(), claims.as_object()) {
        for (k, v) in extra {
            all.insert(k.clone(), v.clone());
        }
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &all,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("sign a test JWT")
}

fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os(REQUIRE_POSTGRES_VAR).is_some()
            || std::env::var_os("CI").is_some() =>
        {
            panic!("{POSTGRES_URL_VAR} must be set: PostgreSQL tests are required here")
        }
        _ => None,
    }
}

/// `url` with its database name replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Declares each listed `async fn name(app: &TestApp)` as two tests, `sqlite::name`
/// and `postgres::name`, each on a fresh database torn down afterwards; with
/// `with settings();` first, the apps start with those settings.
#[macro_export]
macro_rules! on_both_databases {
    (with $settings:expr; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run_on_with($crate::Backend::Sqlite, $settings, |app| Box::pin(super::$name(app))).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL")]
                async fn $name() {
                    $crate::run_on_with($crate::Backend::Postgres, $settings, |app| Box::pin(super::$name(app))).await;
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run_on($crate::Backend::Sqlite, |app| Box::pin(super::$name(app))).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL")]
                async fn $name() {
                    $crate::run_on($crate::Backend::Postgres, |app| Box::pin(super::$name(app))).await;
                }
            )*
        }
    };
}

/// Runs `test` against a fresh app on `backend`, tearing it down even when the test panics.
pub async fn run_on<F>(backend: Backend, test: F)
where
    F: for<'a> FnOnce(&'a TestApp) -> TestFuture<'a>,
{
    run_on_with(backend, test_settings(), test).await
}

/// A test body borrowing its app.
pub type TestFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// [`run_on`] with other settings.
pub async fn run_on_with<F>(backend: Backend, settings: Settings, test: F)
where
    F: for<'a> FnOnce(&'a TestApp) -> TestFuture<'a>,
{
    use futures::FutureExt;
    let Some(app) = TestApp::spawn_with(backend, settings).await else {
        return;
    };
    let outcome = std::panic::AssertUnwindSafe(test(&app))
        .catch_unwind()
        .await;
    app.teardown().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
