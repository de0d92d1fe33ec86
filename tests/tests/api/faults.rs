//! Faults: a job run paused past its lease, a database connection lost in
//! the middle of a request, a row lock held by a stalled client. Each ends
//! with a clear code and nothing applied twice or half.

use chrono::Duration;
use entities::entity::job_run::JobOutcome;
use entities::entity::person;
use entities::{people, Clock, Stamp};
use futures::future::BoxFuture;
use jobs::{Counts, Job, JobContext, Runner, RunnerOptions};
use releasedesk_tests::{error_code, on_both_databases, TestApp};
use sea_orm::{prelude::*, ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// A job whose first run stops before its write until told to go on, as a
/// replica frozen by SIGSTOP would; later runs write at once. Each run
/// creates one person, so what committed can be counted.
struct Pausing {
    runs: AtomicUsize,
    started: Notify,
    resume: Notify,
}

impl Job for Pausing {
    fn name(&self) -> &'static str {
        "pausing"
    }

    fn default_schedule(&self) -> &'static str {
        "0 0 0 1 1 *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            let run = self.runs.fetch_add(1, Ordering::SeqCst);
            if run == 0 {
                self.started.notify_one();
                self.resume.notified().await;
            }
            let email = format!("run{run}@example.com");
            ctx.write(async |tx| people::create(tx, "Written by a run", &email).await)
                .await
                .map_err(|err| err.to_string())?;
            Ok(Counts {
                examined: 1,
                changed: 1,
            })
        })
    }
}

async fn written_by(app: &TestApp, run: usize) -> bool {
    person::Entity::find()
        .filter(person::Column::Email.eq(format!("run{run}@example.com")))
        .count(app.database())
        .await
        .unwrap()
        == 1
}

/// A run paused past its lease is given up by another replica, which runs
/// the job itself; the paused run's write, when it resumes, rolls back, and
/// its finish leaves the ledger as the takeover wrote it.
async fn a_run_resumed_after_its_lease_was_taken_over_commits_nothing(app: &TestApp) {
    let job = Arc::new(Pausing {
        runs: AtomicUsize::new(0),
        started: Notify::new(),
        resume: Notify::new(),
    });
    // heartbeats every 15 real minutes: none falls inside the test
    let options = || RunnerOptions {
        lease: std::time::Duration::from_secs(3600),
        ..RunnerOptions::default()
    };
    let ctx = app.context().jobs.context().clone();
    let frozen = Runner::new(ctx.clone(), vec![job.clone()], options()).unwrap();
    let other = Runner::new(ctx, vec![job.clone()], options()).unwrap();
    let paused = tokio::spawn({
        let frozen = frozen.clone();
        let at = app.clock.now();
        async move { frozen.run_now("pausing", Stamp::system(at)).await }
    });
    tokio::time::timeout(std::time::Duration::from_secs(60), job.started.notified())
        .await
        .expect("the first run starts");

    app.clock.advance(Duration::hours(2));
    let takeover = other
        .run_now("pausing", Stamp::system(app.clock.now()))
        .await
        .expect("the other replica runs the job");
    assert_eq!(takeover.outcome, JobOutcome::Succeeded);
    assert!(written_by(app, 1).await);

    job.resume.notify_one();
    let late = tokio::time::timeout(std::time::Duration::from_secs(60), paused)
        .await
        .expect("the paused run ends")
        .unwrap()
        .expect("its end is recorded");
    assert_eq!(late.outcome, JobOutcome::Abandoned, "{late:?}");
    assert!(
        late.error
            .as_deref()
            .is_some_and(|e| e.contains("stopped checking in")),
        "the takeover's reason stays: {late:?}"
    );
    assert!(
        !written_by(app, 0).await,
        "the abandoned run's write rolled back"
    );
}

/// A request whose database connection is lost while it waits answers
/// `UNAVAILABLE` with HTTP 503 and `Retry-After`, its refusal is audited, and
/// the next request succeeds on a fresh connection.
async fn a_lost_connection_answers_unavailable_and_the_next_request_works(app: &TestApp) {
    let owner = crate::fixtures::person(app, "Owner").await;
    let release =
        crate::fixtures::release(app, &owner, json!({ "title": "Lost", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap().to_owned();
    let gate = app.gate(&id).await;
    let watcher = app.database();
    let request = app.http().post(format!("{}/graphql", app.base_url))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": "mutation($id: ID!) { updateRelease(id: $id, input: { title: \"Renamed\" }, expectedVersion: 1) { id } }",
            "variables": { "id": id } }))
        .send();
    let terminate = async {
        // the request's backend, once it waits for the gate's lock
        let started = std::time::Instant::now();
        loop {
            let terminated = watcher
                .query_all_raw(Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a \
                     JOIN pg_locks l ON l.pid = a.pid \
                     WHERE NOT l.granted AND a.datname = current_database()",
                ))
                .await
                .unwrap();
            if !terminated.is_empty() {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(60));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    let (response, ()) = tokio::join!(request, terminate);
    let response = response.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["retryable"], true);
    gate.open_when_waiting(0).await;

    let audit = app
        .ok("{ auditEvents(first: 5) { operation outcome } }", json!({}))
        .await;
    assert!(
        audit["auditEvents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "updateRelease" && e["outcome"] == "UNAVAILABLE"),
        "the refusal is audited: {audit:#}"
    );
    let renamed = app
        .ok(
            "mutation($id: ID!) { updateRelease(id: $id, input: { title: \"Renamed\" }, expectedVersion: 1) { title } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(renamed["updateRelease"]["title"], "Renamed");
}

/// A client that holds a release's row lock and stalls does not hang the
/// others: past `database.lock_timeout_ms` they answer `CONFLICT`
/// (retryable), and nothing of theirs is written.
async fn a_stalled_lock_holder_turns_waits_into_retryable_conflicts(app: &TestApp) {
    let owner = crate::fixtures::person(app, "Owner").await;
    let release =
        crate::fixtures::release(app, &owner, json!({ "title": "Held", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap().to_owned();
    let url = app.context().settings.database.url.expose().to_owned();
    let stalled = releasedesk::db::connect(&url, 1).await.unwrap();
    let holding = stalled.begin().await.unwrap();
    holding
        .execute_unprepared(&format!(
            "SELECT id FROM releases WHERE id = {id} FOR UPDATE"
        ))
        .await
        .unwrap();
    let refused = app
        .graphql(
            "mutation($r: ID!) { addMilestone(input: { releaseId: $r, title: \"Blocked\" }) { id } }",
            json!({ "r": id }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("CONFLICT"), "{refused:#}");
    assert_eq!(refused["errors"][0]["extensions"]["retryable"], true);
    holding.rollback().await.unwrap();
    stalled.close().await.ok();
    let milestones = app
        .ok(
            "query($id: ID!) { release(id: $id) { milestones { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(milestones["release"]["milestones"], json!([]));
}

fn short_lock_timeout() -> releasedesk::Settings {
    let mut settings = releasedesk_tests::test_settings();
    settings.database.lock_timeout_ms = 200;
    settings
}

on_both_databases!(a_run_resumed_after_its_lease_was_taken_over_commits_nothing);

/// Connections and lock timeouts are PostgreSQL's: SQLite is a file inside
/// the process, and its single writer waits for the busy timeout instead.
mod postgres_only {
    use releasedesk_tests::{run_on_with, test_settings, Backend};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
    )]
    async fn a_lost_connection_answers_unavailable_and_the_next_request_works() {
        run_on_with(Backend::Postgres, test_settings(), |app| {
            Box::pin(super::a_lost_connection_answers_unavailable_and_the_next_request_works(app))
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
    )]
    async fn a_stalled_lock_holder_turns_waits_into_retryable_conflicts() {
        run_on_with(Backend::Postgres, super::short_lock_timeout(), |app| {
            Box::pin(super::a_stalled_lock_holder_turns_waits_into_retryable_conflicts(app))
        })
        .await;
    }
}
