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

/// A token's first request reads its holder and roles in one statement (and
/// notes its use); later ones are answered from memory. A release by id with
/// its milestones is one statement; a page of releases with theirs is two.
async fn a_plain_read_costs_two_statements_and_identities_are_remembered(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let release = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("R{n}"), "type": "MAJOR" }),
        )
        .await;
        ids.push(release["id"].clone());
    }
    let (_, token) = app
        .user("Reader", &[entities::entity::Role::ReleaseManager])
        .await;
    let reader = app.as_bearer(Some(&token));
    app.reset_statements();
    reader.ok("{ __typename }", json!({})).await;
    assert_eq!(
        app.statements(),
        2,
        "the holder with roles, then lastUsedAt"
    );
    app.reset_statements();
    reader.ok("{ __typename }", json!({})).await;
    assert_eq!(app.statements(), 0, "a remembered identity costs nothing");

    app.reset_statements();
    let one = reader
        .ok(
            "query($id: ID!) { release(id: $id) { id title milestones { id title status sequence } } }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_eq!(one["release"]["milestones"].as_array().unwrap().len(), 6);
    assert_eq!(
        app.statements(),
        1,
        "the release joined with its milestones"
    );
    let sequences: Vec<i64> = one["release"]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5, 6], "in sequence: {one}");

    app.reset_statements();
    let page = reader
        .ok(
            "{ releases(first: 20) { nodes { id title milestones { id title status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(page["releases"]["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.statements(),
        2,
        "the page, then the milestones of all of it"
    );

    // a hidden or missing release is one statement too, and answers the same
    app.reset_statements();
    let (_, stranger) = app.user("Stranger", &[]).await;
    let hidden = app
        .as_bearer(Some(&stranger))
        .expect_code(
            "query($id: ID!) { release(id: $id) { id } }",
            json!({ "id": ids[0] }),
            "NOT_FOUND",
        )
        .await;
    let missing = app
        .as_bearer(Some(&stranger))
        .expect_code("{ release(id: \"999999\") { id } }", json!({}), "NOT_FOUND")
        .await;
    assert_eq!(
        hidden["message"]
            .as_str()
            .unwrap()
            .replace(ids[0].as_str().unwrap(), "N"),
        missing["message"].as_str().unwrap().replace("999999", "N")
    );
}

on_both_databases!(
    listing_releases_with_nested_lists_costs_a_fixed_number_of_queries,
    a_plain_read_costs_two_statements_and_identities_are_remembered,
);
