//! Nested lists cost a fixed number of SQL statements, however long the page.

use crate::fixtures;
use releasedesk::Settings;
use releasedesk_tests::{run_on_with, test_settings, Backend, TestApp};
use serde_json::json;

const DEEP_LIST: &str = "query($first: Int) { releases(first: $first) { totalCount edges { node {
    id title owner { name } availableActions master { id } phases { id }
    milestones { id title status availableActions release { id } }
    stakeholders { role person { email } }
    history { kind actor { name } } } } } }";

/// One statement per relation (13), plus slack for batches split by timing; one
/// query per release would be hundreds for the 40-release page.
const MAX_STATEMENTS: usize = 16;

async fn statements_for(app: &TestApp, first: usize) -> usize {
    // authentication costs the same on every request; measure it and leave it out
    app.reset_statements();
    app.ok("{ __typename }", json!({})).await;
    let authentication = app.statements();
    app.reset_statements();
    let data = app.ok(DEEP_LIST, json!({ "first": first })).await;
    assert_eq!(data["releases"]["edges"].as_array().unwrap().len(), first);
    app.statements() - authentication
}

async fn listing_releases_with_nested_lists_costs_a_fixed_number_of_queries(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let tester = fixtures::person(app, "Tester").await;
    for n in 0..40 {
        let release = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("R{n}"), "type": "MAJOR" }),
        )
        .await;
        app.ok(
            "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
            json!({ "r": release["id"], "p": tester }),
        )
        .await;
    }
    let for_two = statements_for(app, 2).await;
    let for_forty = statements_for(app, 40).await;
    eprintln!("statements: {for_two} for 2 releases, {for_forty} for 40");
    for count in [for_two, for_forty] {
        assert!(count <= MAX_STATEMENTS, "{count} statements for one page");
    }
}

/// A batch window long enough that a slow debug build on a busy machine still
/// gathers each level into one batch; the default (2 ms) suits release builds.
fn patient_loaders() -> Settings {
    Settings {
        loader_batch_window_ms: 25,
        ..test_settings()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_query_count_on_sqlite() {
    run_on_with(Backend::Sqlite, patient_loaders(), |app| {
        Box::pin(listing_releases_with_nested_lists_costs_a_fixed_number_of_queries(app))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_query_count_on_postgres() {
    run_on_with(Backend::Postgres, patient_loaders(), |app| {
        Box::pin(listing_releases_with_nested_lists_costs_a_fixed_number_of_queries(app))
    })
    .await;
}
