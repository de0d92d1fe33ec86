//! Latency and SQL statements of the release list with every nested field, on a
//! realistic data set, through the real HTTP endpoint.
//!
//! `cargo bench -p releasedesk-tests` runs it on SQLite, and on PostgreSQL too when
//! `RELEASEDESK_TEST_POSTGRES_URL` is set. It prints numbers; it asserts nothing.

use releasedesk::Settings;
use releasedesk_tests::{test_settings, Backend, TestApp};
use serde_json::json;
use std::time::Instant;

const RELEASES: usize = 200;
const ROUNDS: usize = 30;
const DEEP_LIST: &str = "query($first: Int) { releases(first: $first) { totalCount edges { node {
    id title status owner { name } availableActions master { id } phases { id }
    milestones { id title status availableActions }
    stakeholders { role person { email } } } } } }";

#[tokio::main]
async fn main() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for window_ms in [0, 2, 10] {
            let settings = Settings {
                loader_batch_window_ms: window_ms,
                ..test_settings()
            };
            let Some(app) = TestApp::spawn_with(backend, settings).await else {
                continue;
            };
            seed(&app).await;
            for first in [20, 100] {
                measure(&app, backend, window_ms, first).await;
            }
            app.teardown().await;
        }
    }
}

async fn seed(app: &TestApp) {
    let owner = app
        .ok("mutation { createPerson(input: { name: \"Owner\", email: \"owner@example.com\" }) { id } }", json!({}))
        .await["createPerson"]["id"]
        .clone();
    for n in 0..RELEASES {
        let release = app
            .ok(
                "mutation($o: ID!, $t: String!) { createRelease(input: { title: $t, type: MAJOR, ownerId: $o }) { id } }",
                json!({ "o": owner, "t": format!("Release {n}") }),
            )
            .await;
        app.ok(
            "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
            json!({ "r": release["createRelease"]["id"], "p": owner }),
        )
        .await;
    }
}

async fn measure(app: &TestApp, backend: Backend, window_ms: u64, first: usize) {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut statements = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        app.reset_statements();
        let started = Instant::now();
        let data = app.ok(DEEP_LIST, json!({ "first": first })).await;
        times.push(started.elapsed());
        statements.push(app.statements());
        assert_eq!(
            data["releases"]["edges"].as_array().map(Vec::len),
            Some(first)
        );
    }
    times.sort();
    statements.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{backend:?} window={window_ms}ms first={first}: p50 {:>7.2?} p95 {:>7.2?} | SQL statements per request {}..{} (incl. 3 for authentication)",
        at(0.5),
        at(0.95),
        statements[0],
        statements[statements.len() - 1],
    );
}
