//! Optimistic concurrency: stale writes and races lose cleanly.

use crate::fixtures::{self, read};
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

const UPDATE: &str = "mutation($id: ID!, $title: String!, $v: Int!) {
    updateRelease(id: $id, input: { title: $title }, expectedVersion: $v) { title version } }";

async fn stale_version_is_a_conflict_and_changes_nothing(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "First", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap();
    let saved = app
        .ok(UPDATE, json!({ "id": id, "title": "Second", "v": 1 }))
        .await;
    assert_eq!(saved["updateRelease"]["version"], 2);
    app.expect_code(
        UPDATE,
        json!({ "id": id, "title": "Third", "v": 1 }),
        "CONFLICT",
    )
    .await;
    let now = read(app, id).await;
    assert_eq!(now["title"], "Second");
    assert_eq!(now["version"], 2);
}

async fn racing_transitions_apply_exactly_once(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release = fixtures::release(app, &owner, json!({ "title": "Race", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap().to_owned();
    let attempts = (0..6).map(|_| {
        app.graphql(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "SUBMIT" }),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let successes = results.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(successes, 1, "exactly one SUBMIT wins: {results:#?}");
    for failed in results.iter().filter(|r| r.get("errors").is_some()) {
        let code = &failed["errors"][0]["extensions"]["code"];
        assert!(
            code == "CONFLICT" || code == "INVALID_TRANSITION",
            "a losing racer gets a clear code, got {failed:#}"
        );
    }
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { version history { kind } } }",
            json!({ "id": id }),
        )
        .await;
    let changes = history["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "RELEASE_STATUS_CHANGED")
        .count();
    assert_eq!(changes, 1);
    assert_eq!(history["release"]["version"], 2);
}

on_both_databases!(
    stale_version_is_a_conflict_and_changes_nothing,
    racing_transitions_apply_exactly_once,
);
