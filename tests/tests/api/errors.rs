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

on_both_databases!(
    database_failures_are_internal_and_say_nothing_of_the_database,
    missing_records_are_not_found,
    bad_input_is_a_validation_error_naming_the_field,
    graphql_level_mistakes_carry_a_code_too,
    taken_unique_values_conflict,
    transitions_from_the_wrong_state_list_what_is_allowed,
);
