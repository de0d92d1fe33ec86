//! Every error code, and bad input writing nothing.

use crate::fixtures;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

async fn missing_records_are_not_found(app: &TestApp) {
    let body = app
        .graphql("{ release(id: \"999\") { id } }", json!({}))
        .await;
    assert!(body["data"]["release"].is_null());
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    app.expect_code(
        fixtures::TRANSITION,
        json!({ "id": "999", "action": "SUBMIT" }),
        "NOT_FOUND",
    )
    .await;
    app.expect_code(
        "mutation { transitionMilestone(id: \"5\", action: START) { id } }",
        json!({}),
        "NOT_FOUND",
    )
    .await;
    app.expect_code(
        "mutation { removeStakeholder(id: \"5\") { id } }",
        json!({}),
        "NOT_FOUND",
    )
    .await;
}

async fn bad_input_is_a_validation_error_naming_the_field(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let people_before = app.ok("{ people { id } }", json!({})).await["people"]
        .as_array()
        .unwrap()
        .len();
    let create = "mutation($input: CreateReleaseInput!) { createRelease(input: $input) { id } }";
    let cases = [
        (
            json!({ "title": "   ", "type": "MINOR", "ownerId": owner }),
            "title",
        ),
        (
            json!({ "title": "x", "type": "MINOR", "ownerId": "424242" }),
            "ownerId",
        ),
        (
            json!({ "title": "x", "type": "MINOR", "ownerId": "abc" }),
            "ownerId",
        ),
        (
            json!({ "title": "x", "type": "MAJOR", "ownerId": owner, "templateId": "999" }),
            "templateId",
        ),
        (
            json!({ "title": "x", "type": "MINOR", "ownerId": owner, "plannedStart": "2027-02-01T00:00:00Z", "plannedEnd": "2027-01-01T00:00:00Z" }),
            "plannedEnd",
        ),
        (
            json!({ "title": "x".repeat(201), "type": "MINOR", "ownerId": owner }),
            "title",
        ),
    ];
    for (input, field) in cases {
        let error = app.error(create, json!({ "input": input })).await;
        assert_eq!(error["extensions"]["code"], "VALIDATION", "{error:#}");
        assert_eq!(error["extensions"]["field"], field, "{error:#}");
    }
    let email = app
        .error(
            "mutation { createPerson(input: { name: \"N\", email: \"not-an-address\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(email["extensions"]["field"], "email");

    // nothing of the refused requests was written
    let list = app
        .ok("{ releases { totalCount } people { id } }", json!({}))
        .await;
    assert_eq!(list["releases"]["totalCount"], 0);
    assert_eq!(list["people"].as_array().unwrap().len(), people_before);
}

async fn graphql_level_mistakes_carry_a_code_too(app: &TestApp) {
    let syntax = app.error("{ releases { ", json!({})).await;
    assert_eq!(syntax["extensions"]["code"], "VALIDATION");
    let unknown = app.error("{ releases { nope } }", json!({})).await;
    assert_eq!(unknown["extensions"]["code"], "VALIDATION");
    let bad_enum = app
        .error(
            "{ releases(filter: { types: [HUGE] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad_enum["extensions"]["code"], "VALIDATION");
}

async fn taken_unique_values_conflict(app: &TestApp) {
    fixtures::person(app, "Same Name").await;
    let duplicate = app
        .error(
            "mutation { createPerson(input: { name: \"Other\", email: \"SAME.NAME@example.com\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(duplicate["extensions"]["code"], "CONFLICT");
}

async fn transitions_from_the_wrong_state_list_what_is_allowed(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "Draft", "type": "MINOR" })).await;
    let error = app
        .expect_code(
            fixtures::TRANSITION,
            json!({ "id": release["id"], "action": "CLOSE" }),
            "INVALID_TRANSITION",
        )
        .await;
    assert_eq!(error["extensions"]["from"], "DRAFT");
    assert_eq!(error["extensions"]["action"], "CLOSE");
    assert_eq!(
        fixtures::strings(&error["extensions"]["allowedActions"]),
        ["SUBMIT", "CANCEL"]
    );
    app
        .expect_code("mutation($id: ID!) { recordReleaseReview(id: $id, outcome: FAILED, lessonsLearned: \"x\") { id } }",
            json!({ "id": release["id"] }), "VALIDATION")
        .await;
}

async fn database_failures_are_internal_and_say_nothing_of_the_database(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let owner = fixtures::person(app, "Owner").await;
    fixtures::release(app, &owner, json!({ "title": "R", "type": "MINOR" })).await;
    app.database()
        .execute_unprepared("DROP TABLE history_events")
        .await
        .expect("drop a table under the running server");
    let body = app
        .graphql(
            "{ releases { edges { node { title history { kind } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTERNAL",
        "{body}"
    );
    let text = body.to_string().to_lowercase();
    for leak in [
        "history_events",
        "no such table",
        "does not exist",
        "select",
        "sqlx",
    ] {
        assert!(!text.contains(leak), "{leak:?} leaked: {text}");
    }
}

/// Text with control characters, titles with line breaks, overlong search terms
/// and instants outside 1970–9999 are refused as VALIDATION naming the field, on both databases, before
/// they reach a query (PostgreSQL would answer INTERNAL, SQLite would store them).
async fn bad_text_and_instants_never_reach_the_database(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let create = "mutation($input: CreateReleaseInput!) { createRelease(input: $input) { id } }";
    for (input, field) in [
        (
            json!({ "title": "Mail\u{0}upgrade", "type": "MINOR", "ownerId": owner }),
            "title",
        ),
        (
            // a title is one line: it goes into e-mail subjects and CSV cells
            json!({ "title": "Mail\r\nBcc: all@example.com", "type": "MINOR", "ownerId": owner }),
            "title",
        ),
        (
            json!({ "title": "Mail", "description": "bell\u{7}", "type": "MINOR", "ownerId": owner }),
            "description",
        ),
        (
            json!({ "title": "Mail", "type": "MINOR", "ownerId": owner, "plannedStart": "-4800-01-01T00:00:00Z" }),
            "plannedStart",
        ),
        (
            json!({ "title": "Mail", "type": "MINOR", "ownerId": owner, "plannedStart": "2027-01-01T00:00:00Z", "plannedEnd": "+20000-01-01T00:00:00Z" }),
            "plannedEnd",
        ),
    ] {
        let error = app
            .expect_code(create, json!({ "input": input }), "VALIDATION")
            .await;
        assert_eq!(error["extensions"]["field"], field, "{error}");
    }
    let list =
        "query($f: ReleaseFilter) { releases(filter: $f) { totalCount edges { node { id } } } }";
    for (filter, field) in [
        (json!({ "search": "\u{0}" }), "filter.search"),
        (json!({ "search": "x".repeat(50_000) }), "filter.search"),
        (
            json!({ "plannedBetween": { "start": "-4800-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z" } }),
            "filter.plannedBetween.start",
        ),
    ] {
        let error = app
            .expect_code(list, json!({ "f": filter }), "VALIDATION")
            .await;
        assert_eq!(error["extensions"]["field"], field, "{error}");
    }
    let people = app
        .expect_code(
            "query($s: String) { people(search: $s) { id } }",
            json!({ "s": "a\u{0}" }),
            "VALIDATION",
        )
        .await;
    assert_eq!(people["extensions"]["field"], "search");
    let audit = app
        .expect_code(
            "query($s: DateTime) { auditEvents(filter: { since: $s }) { id } }",
            json!({ "s": "-4800-01-01T00:00:00Z" }),
            "VALIDATION",
        )
        .await;
    assert_eq!(audit["extensions"]["field"], "filter.since");
    // nothing was written
    let count = app.ok("{ releases { totalCount } }", json!({})).await;
    assert_eq!(count["releases"]["totalCount"], 0);
}

/// A phase that gives only an end must still lie inside its master.
async fn half_open_windows_cannot_lie_outside_their_parent(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = fixtures::window(0, 100);
    let master = fixtures::release(
        app,
        &owner,
        json!({ "title": "Rollout", "type": "MAJOR", "scope": "MASTER", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let error = app
        .expect_code(
            "mutation($input: CreateReleaseInput!) { createRelease(input: $input) { id } }",
            json!({ "input": { "title": "Early phase", "type": "MINOR", "scope": "PHASE",
                "masterId": master["id"], "ownerId": owner, "plannedEnd": "2020-01-01T00:00:00Z" } }),
            "VALIDATION",
        )
        .await;
    assert_eq!(error["extensions"]["field"], "plannedEnd", "{error}");
}

on_both_databases!(
    bad_text_and_instants_never_reach_the_database,
    half_open_windows_cannot_lie_outside_their_parent,
    database_failures_are_internal_and_say_nothing_of_the_database,
    missing_records_are_not_found,
    bad_input_is_a_validation_error_naming_the_field,
    graphql_level_mistakes_carry_a_code_too,
    taken_unique_values_conflict,
    transitions_from_the_wrong_state_list_what_is_allowed,
);
