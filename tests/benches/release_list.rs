//! Latency and SQL statements of the release list with every nested field, on a
//! realistic data set, through the real HTTP endpoint.
//!
//! `cargo bench -p releasedesk-tests` runs it on SQLite, and on PostgreSQL too when
//! `RELEASEDESK_TEST_POSTGRES_URL` is set. The peer is the same page without nested
//! fields, measured in the same run, so the ratio says what nesting costs whatever
//! the machine's load. It prints numbers; it asserts nothing.

use releasedesk_tests::{Backend, TestApp};
use serde_json::json;
use std::time::Instant;

const RELEASES: usize = 200;
const ROUNDS: usize = 30;
const DEEP_LIST: &str = "query($first: Int) { releases(first: $first) { totalCount edges { node {
    id title status owner { name } availableActions master { id } phases { id }
    milestones { id title status availableActions }
    stakeholders { role person { email } } } } } }";
const FLAT_LIST: &str =
    "query($first: Int) { releases(first: $first) { totalCount edges { node { id title status } } } }";

#[tokio::main]
async fn main() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        seed(&app).await;
        for first in [20, 100] {
            let flat = measure(&app, FLAT_LIST, first).await;
            let deep = measure(&app, DEEP_LIST, first).await;
            println!(
                "{backend:?} first={first}: nested p50 {:>7.2?} p95 {:>7.2?}, flat p50 {:>7.2?} \
                 => nested/flat {:.2}x | SQL statements per request: nested {}, flat {} (incl. 3 for authentication)",
                deep.p50,
                deep.p95,
                flat.p50,
                deep.p50.as_secs_f64() / flat.p50.as_secs_f64(),
                deep.statements,
                flat.statements,
            );
        }
        app.teardown().await;
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

/// Latency percentiles and statement counts (min..max) of one query.
struct Measured {
    p50: std::time::Duration,
    p95: std::time::Duration,
    statements: String,
}

async fn measure(app: &TestApp, query: &str, first: usize) -> Measured {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut statements = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        app.reset_statements();
        let started = Instant::now();
        let data = app.ok(query, json!({ "first": first })).await;
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
    let (low, high) = (statements[0], statements[statements.len() - 1]);
    Measured {
        p50: at(0.5),
        p95: at(0.95),
        statements: if low == high {
            low.to_string()
        } else {
            format!("{low}..{high}")
        },
    }
}
