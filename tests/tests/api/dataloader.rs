//! Nested lists cost a fixed number of SQL statements, however long the page.

use crate::fixtures;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

const DEEP_LIST: &str = "query($first: Int) { releases(first: $first) { totalCount edges { node {
    id title owner { name } availableActions master { id } phases { id }
    milestones { id title status availableActions release { id } }
    stakeholders { role person { email } }
    history { kind actor { name } }
    changes { number } packages { name items { name } } conflicts { item { name } } } } } }";

/// The page and its count (2), the releases' lifecycle facts (1), phases (1),
/// milestones (1) and their actions (2), stakeholders (1), history (1), linked
/// changes (1), packages (1; their items cost nothing while there are none), the
/// conflict check (3) and the people named (1): the same for 2 releases as for 40,
/// however busy the machine, because the list resolver loads each relation for
/// the whole page.
const STATEMENTS_PER_PAGE: usize = 15;

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
    assert_eq!(for_two, STATEMENTS_PER_PAGE, "statements for a page of 2");
    assert_eq!(
        for_forty, STATEMENTS_PER_PAGE,
        "statements for a page of 40"
    );
}

on_both_databases!(listing_releases_with_nested_lists_costs_a_fixed_number_of_queries);
