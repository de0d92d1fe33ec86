//! Several replicas on one PostgreSQL: three processes of the real binary tick
//! a per-second job against one database. Every slot in the span must be
//! accounted for by exactly one run: its own, or a catch-up run that covers it
//! when no replica ticked in time (the machine may be loaded), never two.

use chrono::Duration;
use entities::entity::job_run::{self, JobOutcome};
use releasedesk::db;
use releasedesk_tests::{binary, fresh_database, Backend};
use sea_orm::{prelude::*, QueryOrder};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const SYNC: &str = "change-schedule-sync";
/// Finished scheduled runs to wait for before stopping the replicas.
const RUNS_WANTED: usize = 8;

/// The replicas, killed if the test ends early.
pub(crate) struct Replicas(pub(crate) Vec<(Child, std::path::PathBuf)>);

impl Drop for Replicas {
    fn drop(&mut self) {
        for (child, _) in &mut self.0 {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Replicas {
    fn logs(&self) -> String {
        self.0
            .iter()
            .map(|(_, log)| std::fs::read_to_string(log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }
}

async fn finished_runs(db: &DatabaseConnection) -> Vec<job_run::Model> {
    job_run::Entity::find()
        .filter(job_run::Column::Job.eq(SYNC))
        .filter(job_run::Column::Slot.is_not_null())
        .filter(job_run::Column::Outcome.ne(JobOutcome::Running))
        .order_by_asc(job_run::Column::Slot)
        .all(db)
        .await
        .expect("read the ledger")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn replicas_starting_together_on_an_empty_database_migrate_in_turn() {
    let Some((url, cleanup)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(db::connect(&url, 3).await.expect("connect"));
    }
    // every replica creates the same tables at once; without turns, two
    // CREATE TABLEs of one name collide in PostgreSQL's catalogue
    let results = futures::future::join_all(pools.iter().map(db::migrate)).await;
    for result in &results {
        assert!(result.is_ok(), "{results:?}");
    }
    let applied: i64 = pools[0]
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await
        .expect("read the migrations table")
        .expect("a count")
        .try_get("", "n")
        .expect("the count");
    use migration::MigratorTrait;
    assert_eq!(applied as usize, migration::Migrator::migrations().len());
    for pool in pools {
        pool.close().await.ok();
    }
    drop(cleanup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn three_replicas_run_every_slot_of_a_per_second_job_exactly_once() {
    let Some((url, cleanup)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let db = db::connect(&url, 2).await.expect("connect");
    db::migrate(&db)
        .await
        .expect("migrate once, before the replicas start");
    let folder =
        std::env::temp_dir().join(format!("releasedesk-replicas-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let binary = binary();
    let every_second = [(
        "RELEASEDESK_JOBS__SCHEDULES__CHANGE_SCHEDULE_SYNC",
        "* * * * * *",
    )];
    let mut replicas = Replicas(
        (0..3)
            .map(|n| replica(&binary, &folder, &url, &n.to_string(), &every_second))
            .collect(),
    );

    // wait for enough runs; the bound is generous, only a hang would reach it
    let waiting = Instant::now();
    while finished_runs(&db).await.len() < RUNS_WANTED {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(120),
            "replicas ran too few slots; their logs:\n{}",
            replicas.logs()
        );
        for (child, _) in &mut replicas.0 {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("a replica exited with {status}; logs:\n{}", replicas.logs());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // SIGTERM: each replica stops ticking, lets its running job finish, exits 0
    for (child, _) in &replicas.0 {
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    for (child, _) in &mut replicas.0 {
        let stopping = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                stopping.elapsed() < std::time::Duration::from_secs(60),
                "a replica ignored SIGTERM"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert!(
            status.success(),
            "a replica exited with {status}; logs:\n{}",
            replicas.logs()
        );
    }
    let logs = replicas.logs();
    drop(replicas);

    let all = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(SYNC))
        .order_by_asc(job_run::Column::Slot)
        .all(&db)
        .await
        .unwrap();
    assert!(all.len() >= RUNS_WANTED);
    assert!(
        all.iter().all(|run| run.outcome == JobOutcome::Succeeded),
        "every run succeeded and none was left running: {all:#?}\n{logs}"
    );
    for pair in all.windows(2) {
        let (previous, run) = (&pair[0], &pair[1]);
        let (previous_slot, slot, from) = (
            previous.slot.unwrap(),
            run.slot.unwrap(),
            run.covers_from.unwrap(),
        );
        assert!(
            slot > previous_slot,
            "slots are unique and ordered: {pair:#?}"
        );
        assert_eq!(
            from,
            previous_slot + Duration::seconds(1),
            "run {} covers from the slot after the previous run: no gap, no overlap",
            run.id
        );
        assert!(from <= slot);
    }
    let runners: std::collections::BTreeSet<&str> = all.iter().map(|r| r.runner.as_str()).collect();
    let catch_ups = all.iter().filter(|r| r.covers_from != r.slot).count();
    eprintln!(
        "{} runs over {} s by {} replicas ({} catch-ups)",
        all.len(),
        (all.last().unwrap().slot.unwrap() - all[0].slot.unwrap()).num_seconds() + 1,
        runners.len(),
        catch_ups
    );
    db.close().await.ok();
    cleanup.run().await;
    std::fs::remove_dir_all(&folder).ok();
}

/// Starts a replica of the binary on `url` in `folder`, logging to `replica-<name>.log`.
pub(crate) fn replica(
    binary: &std::path::Path,
    folder: &std::path::Path,
    url: &str,
    name: &str,
    settings: &[(&str, &str)],
) -> (Child, std::path::PathBuf) {
    let log = folder.join(format!("replica-{name}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let mut command = Command::new(binary);
    command
        .arg("serve")
        .current_dir(folder)
        .env("RELEASEDESK_DATABASE__URL", url)
        .env("RELEASEDESK_DATABASE__MAX_CONNECTIONS", "3")
        .env("RELEASEDESK_SERVER__BIND", "127.0.0.1:0")
        .env("RELEASEDESK_LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(file);
    for (key, value) in settings {
        command.env(key, value);
    }
    (command.spawn().expect("start a replica"), log)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

/// Polls `done` every 50 ms until it holds; panics after two minutes (only a
/// hang gets there) with the replicas' logs.
async fn until<F, Fut>(replicas: &Replicas, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let waiting = Instant::now();
    while !done().await {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(120),
            "waited two minutes for {what}; logs:\n{}",
            replicas.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn rollup_runs(db: &DatabaseConnection) -> Vec<job_run::Model> {
    job_run::Entity::find()
        .filter(job_run::Column::Job.eq("cost-rollup"))
        .order_by_asc(job_run::Column::Id)
        .all(db)
        .await
        .expect("read the ledger")
}

/// A replica frozen by SIGSTOP inside a `cost-rollup` run, past its lease:
/// the other replica gives the run up and runs the job; the frozen one's
/// transaction is ended by PostgreSQL (`idle_in_transaction_session_timeout`),
/// so its locks do not block the healthy replica for long, and once resumed
/// (SIGCONT) it neither commits its repair nor turns the ABANDONED run into
/// anything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn a_replica_frozen_inside_a_run_past_its_lease_changes_nothing_when_it_resumes() {
    use entities::entity::{release, ReleaseScope, ReleaseType};
    use entities::{people, releases, Stamp};
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some((url, cleanup)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let binary = binary();
    let db = releasedesk_tests::patient_connection(&url, 3).await;
    db::migrate(&db).await.expect("migrate");
    let release_id = entities::write(&db, Stamp::system(chrono::Utc::now()), async |tx| {
        let owner = people::create(tx, "Owner", "owner@example.com").await?;
        let release = releases::create(
            tx,
            releases::NewRelease {
                title: "Drifted".into(),
                description: String::new(),
                release_type: ReleaseType::Minor,
                scope: ReleaseScope::Standalone,
                master_id: None,
                owner_id: Some(owner.id),
                planned_start: None,
                planned_end: None,
                template: releases::TemplateChoice::None,
            },
        )
        .await?;
        Ok(release.id)
    })
    .await
    .expect("seed a release");
    // drift for the roll-up to repair: no cost lines, a stored total of 999
    release::Entity::update_many()
        .col_expr(release::Column::CostRunning, Expr::value(999i64))
        .exec(&db)
        .await
        .unwrap();
    let gate = db.begin().await.unwrap();
    gate.execute_unprepared(&format!(
        "SELECT id FROM releases WHERE id = {release_id} FOR UPDATE"
    ))
    .await
    .unwrap();

    let folder = std::env::temp_dir().join(format!("releasedesk-frozen-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let settings = [
        ("RELEASEDESK_JOBS__SCHEDULES__COST_ROLLUP", "* * * * * *"),
        ("RELEASEDESK_JOBS__LEASE_SECONDS", "2"),
        (
            "RELEASEDESK_DATABASE__IDLE_IN_TRANSACTION_TIMEOUT_MS",
            "1500",
        ),
        // waits at the test's lock are never cut short by a loaded machine
        ("RELEASEDESK_JOBS__LOCK_TIMEOUT_MS", "600000"),
    ];
    let mut replicas = Replicas(vec![replica(&binary, &folder, &url, "a", &settings)]);
    until(
        &replicas,
        "replica a's run to wait at the release's lock",
        || async {
            let runs = rollup_runs(&db).await;
            runs.len() == 1 && runs[0].outcome == JobOutcome::Running && waiting(&db).await >= 1
        },
    )
    .await;
    let frozen = rollup_runs(&db).await.remove(0);
    signal(&replicas.0[0].0, "STOP");
    replicas
        .0
        .push(replica(&binary, &folder, &url, "b", &settings));
    until(&replicas, "replica b to give the frozen run up", || async {
        let runs = rollup_runs(&db).await;
        runs[0].outcome == JobOutcome::Abandoned
            && runs[1..].iter().any(|r| r.runner != frozen.runner)
    })
    .await;
    // the frozen replica's backend takes the lock first, then idles: PostgreSQL ends it
    gate.commit().await.unwrap();
    until(&replicas, "replica b to finish a run", || async {
        rollup_runs(&db)
            .await
            .iter()
            .any(|r| r.runner != frozen.runner && r.outcome == JobOutcome::Succeeded)
    })
    .await;
    signal(&replicas.0[0].0, "CONT");
    // the resumed replica finds out and carries on with later slots
    until(
        &replicas,
        "replica a to run again after resuming",
        || async {
            rollup_runs(&db)
                .await
                .iter()
                .any(|r| r.runner == frozen.runner && r.id > frozen.id)
        },
    )
    .await;
    for (child, _) in &replicas.0 {
        signal(child, "TERM");
    }
    for (child, _) in &mut replicas.0 {
        child.wait().ok();
    }
    let logs = replicas.logs();
    let after = job_run::Entity::find_by_id(frozen.id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.outcome, JobOutcome::Abandoned, "{after:?}\n{logs}");
    assert!(
        after
            .error
            .as_deref()
            .is_some_and(|e| e.contains("stopped checking in")),
        "{after:?}"
    );
    let total = release::Entity::find_by_id(release_id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .cost_running;
    assert_eq!(total, 0, "the total equals the (empty) ledger");
    db.close().await.ok();
    cleanup.run().await;
    std::fs::remove_dir_all(&folder).ok();
}

/// Backends of this database waiting for a lock.
async fn waiting(db: &DatabaseConnection) -> i64 {
    use sea_orm::ConnectionTrait;
    db.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        "SELECT COUNT(DISTINCT l.pid) AS n FROM pg_locks l JOIN pg_stat_activity a \
         ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

/// A PostgreSQL cluster of the test's own (Debian's `initdb` and `pg_ctl`, run
/// as the `postgres` user), so it can be restarted without touching the
/// shared server other tests use. Stopped and removed when dropped.
struct PrivateCluster {
    bindir: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
}

impl PrivateCluster {
    /// `None` when PostgreSQL tests are not configured here (as every
    /// PostgreSQL test); where they are required, a missing `initdb` fails.
    fn start() -> Option<Self> {
        fresh_database_allowed()?;
        let bindir = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .find(|bin| bin.join("initdb").exists())
            })
            .expect("Debian's PostgreSQL server binaries under /usr/lib/postgresql/*/bin");
        let data = std::env::temp_dir().join(format!("releasedesk-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&data).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { bindir, data, port };
        as_postgres(
            &[
                "chown",
                "-R",
                "postgres",
                &cluster.data.display().to_string(),
            ],
            true,
        );
        cluster.pg(&[
            "initdb",
            "-D",
            &cluster.data.join("db").display().to_string(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]);
        cluster.ctl("start");
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg(&self, args: &[&str]) {
        let program = self.bindir.join(args[0]).display().to_string();
        let mut all = vec![program.as_str()];
        all.extend(&args[1..]);
        as_postgres(&all, false);
    }

    fn ctl(&self, action: &str) {
        pg_ctl(&self.bindir, &self.data, self.port, action);
    }
}

/// `pg_ctl start`, `restart` (fast: sessions are cut) or `stop` of the cluster
/// in `data`, waiting until done.
fn pg_ctl(bindir: &std::path::Path, data: &std::path::Path, port: u16, action: &str) {
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
        data.display()
    );
    as_postgres(
        &[
            &bindir.join("pg_ctl").display().to_string(),
            action,
            "-w",
            "-m",
            "fast",
            "-D",
            &data.join("db").display().to_string(),
            "-l",
            &data.join("server.log").display().to_string(),
            "-o",
            &options,
        ],
        false,
    );
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.ctl("stop");
        std::fs::remove_dir_all(&self.data).ok();
    }
}

/// Runs `args` as the `postgres` user (initdb refuses root); `root` runs it as is.
fn as_postgres(args: &[&str], root: bool) {
    let mut command = if root || !is_root() {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        c
    } else {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).args(args);
        c
    };
    let output = command.output().expect("run a PostgreSQL command");
    assert!(
        output.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether this run has PostgreSQL tests (a URL, or a requirement that fails without one).
fn fresh_database_allowed() -> Option<()> {
    let configured = std::env::var("RELEASEDESK_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    let required = std::env::var_os("RELEASEDESK_TEST_REQUIRE_POSTGRES").is_some()
        || std::env::var_os("CI").is_some();
    (configured || required).then_some(())
}

/// The address a replica logged it listens on.
pub(crate) async fn address_of(replicas: &Replicas, index: usize) -> String {
    let mut address = None;
    until(replicas, "a replica to listen", || {
        let log = std::fs::read_to_string(&replicas.0[index].1).unwrap_or_default();
        address = log
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned);
        let found = address.is_some();
        async move { found }
    })
    .await;
    format!("http://{}", address.unwrap())
}

/// One answer of the load: the e-mail it tried to create and how it ended.
struct Attempt {
    email: String,
    status: u16,
    code: Option<String>,
}

/// PostgreSQL restarted (fast shutdown: sessions cut) under writes from two
/// replicas: every answer is a success or `UNAVAILABLE` with HTTP 503 and
/// `Retry-After`, a request waiting inside its transaction when the server
/// went away is refused that way too, every acknowledged write is there
/// afterwards, and both replicas serve again without a restart of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn a_database_restart_under_load_refuses_cleanly_and_loses_nothing() {
    use entities::entity::{person, Role};
    use entities::{access, people, tokens, Stamp};
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(cluster) = PrivateCluster::start() else {
        return;
    };
    let url = cluster.url();
    let db = releasedesk_tests::patient_connection(&url, 2).await;
    db::migrate(&db).await.expect("migrate");
    let token = entities::write(&db, Stamp::system(chrono::Utc::now()), async |tx| {
        let admin = people::create(tx, "Admin", "admin@example.com").await?;
        access::set_roles(tx, admin.id, &[Role::Administrator]).await?;
        Ok(tokens::issue(tx, admin.id, "load", None).await?.secret)
    })
    .await
    .unwrap();

    let folder = std::env::temp_dir().join(format!("releasedesk-restart-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let binary = binary();
    let settings = [
        ("RELEASEDESK_JOBS__ENABLED", "off"),
        ("RELEASEDESK_LOG__FILTER", "info"),
    ];
    let mut replicas = Replicas(vec![
        replica(&binary, &folder, &url, "a", &settings),
        replica(&binary, &folder, &url, "b", &settings),
    ]);
    let addresses = [
        address_of(&replicas, 0).await,
        address_of(&replicas, 1).await,
    ];
    let client = reqwest::Client::new();
    let create = |base: &str, email: &str| {
        client
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "query": "mutation($i: CreatePersonInput!) { createPerson(input: $i) { id } }",
                "variables": { "i": { "name": "Loaded", "email": email } } }))
            .send()
    };
    let attempt = async |base: &str, email: String| -> Attempt {
        let response = create(base, &email)
            .await
            .expect("the replica answers HTTP");
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        let code = releasedesk_tests::error_code(&body).map(str::to_owned);
        if code.is_some() {
            assert_eq!(code.as_deref(), Some("UNAVAILABLE"), "{body:#}");
            assert_eq!(status, 503, "{body:#}");
            assert!(retry_after, "an UNAVAILABLE answer says when to retry");
        }
        Attempt {
            email,
            status,
            code,
        }
    };

    // a request inside its transaction, waiting at a lock, when the server goes away
    let release_id: i32 = {
        let answer = client
            .post(format!("{}/graphql", addresses[0]))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "query": "mutation { createRelease(input: { title: \"Held\", type: MINOR, ownerId: \"1\" }) { id } }" }))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        answer["data"]["createRelease"]["id"]
            .as_str()
            .expect("a release")
            .parse()
            .unwrap()
    };
    let holder = releasedesk_tests::patient_connection(&url, 1).await;
    let gate = holder.begin().await.unwrap();
    gate.execute_unprepared(&format!(
        "SELECT id FROM releases WHERE id = {release_id} FOR UPDATE"
    ))
    .await
    .unwrap();
    let waiting_request = client
        .post(format!("{}/graphql", addresses[1]))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "query": "mutation($id: ID!) { updateRelease(id: $id, input: { title: \"Renamed\" }, expectedVersion: 1) { id } }",
            "variables": { "id": release_id.to_string() } }))
        .send();
    let load = async {
        let mut attempts = Vec::new();
        for n in 0..40 {
            attempts.push(attempt(&addresses[n % 2], format!("before{n}@example.com")).await);
        }
        until(&replicas, "the held request to wait", || async {
            waiting(&db).await >= 1
        })
        .await;
        // the restart: in flight, every request of both replicas is cut or refused
        let restart = tokio::task::spawn_blocking({
            let (bindir, data, port) = (cluster.bindir.clone(), cluster.data.clone(), cluster.port);
            move || pg_ctl(&bindir, &data, port, "restart")
        });
        let mut n = 0;
        while !restart.is_finished() {
            attempts.push(attempt(&addresses[n % 2], format!("during{n}@example.com")).await);
            n += 1;
        }
        restart.await.unwrap();
        // after: the replicas serve again on fresh connections
        let mut since_ok = 0;
        let mut m = 0;
        while since_ok < 20 {
            let result = attempt(&addresses[m % 2], format!("after{m}@example.com")).await;
            since_ok = if result.code.is_none() {
                since_ok + 1
            } else {
                0
            };
            attempts.push(result);
            m += 1;
            assert!(
                m < 2_000,
                "the replicas did not recover; logs:\n{}",
                replicas.logs()
            );
        }
        attempts
    };
    let (held, attempts) = tokio::join!(waiting_request, load);
    let held = held.expect("the held request is answered");
    assert_eq!(
        held.status(),
        503,
        "the request cut mid-transaction is UNAVAILABLE"
    );
    let held: serde_json::Value = held.json().await.unwrap();
    assert_eq!(
        releasedesk_tests::error_code(&held),
        Some("UNAVAILABLE"),
        "{held:#}"
    );
    drop(gate);
    holder.close().await.ok();

    // the test's own pool lost its connections too; a fresh one reads the result
    db.close().await.ok();
    let db = db::connect(&url, 1).await.unwrap();
    let stored: std::collections::BTreeSet<String> = person::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.email)
        .collect();
    let acknowledged: Vec<&Attempt> = attempts.iter().filter(|a| a.code.is_none()).collect();
    assert!(acknowledged.iter().all(|a| a.status == 200));
    for ok in &acknowledged {
        assert!(
            stored.contains(&ok.email),
            "{} was acknowledged and lost",
            ok.email
        );
    }
    let refused = attempts.len() - acknowledged.len();
    eprintln!(
        "{} writes: {} acknowledged, {refused} refused with UNAVAILABLE",
        attempts.len(),
        acknowledged.len()
    );
    for (child, _) in &replicas.0 {
        signal(child, "TERM");
    }
    for (child, _) in &mut replicas.0 {
        child.wait().ok();
    }
    db.close().await.ok();
    drop(cluster);
    std::fs::remove_dir_all(&folder).ok();
}
