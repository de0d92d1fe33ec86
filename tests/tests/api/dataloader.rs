//! Nested lists cost a fixed number of SQL statements, however long the page.

use crate::fixtures;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

const DEEP_LIST: &str = "query($first: Int) { releases(first: $first) { totalCount edges { node {
    id title owner { name } availableActions master { id } phases { id }
    milestones { id title status availableActions release { id } }
    stakeholders { role person { email } }
    history { kind actor { name } } } } } }";

/// One statement per relation (12), plus slack for batches split by timing.
const MAX_STATEMENTS: usize = 18;

async fn statements_for(app: &TestApp, first: usize) -> usize {
    app.reset_statements();
    let data = app.ok(DEEP_LIST, json!({ "first": first })).await;
    assert_eq!(data["releases"]["edges"].as_array().unwrap().len(), first);
    app.statements()
}

async fn listing_releases_with_nested_lists_costs_a_fixed_number_of_queries(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let tester = fixtures::person(app, "Tester").await;
    for n in 0..20 {
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
    let for_twenty = statements_for(app, 20).await;
    eprintln!("statements: {for_two} for 2 releases, {for_twenty} for 20");
    // One batch per relation is 12 statements. A batch may split in two when
    // resolving a level outlasts the loader's 1 ms batching window, so allow some
    // slack; one query per release would be over a hundred.
    for count in [for_two, for_twenty] {
        assert!(count <= MAX_STATEMENTS, "{count} statements for one page");
    }
}

on_both_databases!(listing_releases_with_nested_lists_costs_a_fixed_number_of_queries);
