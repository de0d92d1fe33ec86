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

/// Appending milestones at the same moment never fails: each gets its own
/// sequence number (the release row is locked while the next one is chosen).
async fn parallel_milestones_are_all_appended_in_sequence(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release = fixtures::release(app, &owner, json!({ "title": "Race", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap().to_owned();
    let attempts = (0..8).map(|n| {
        app.graphql(
            "mutation($r: ID!, $t: String!) { addMilestone(input: { releaseId: $r, title: $t }) { sequence } }",
            json!({ "r": id, "t": format!("Step {n}") }),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let mut sequences: Vec<i64> = results
        .iter()
        .map(|r| {
            r["data"]["addMilestone"]["sequence"]
                .as_i64()
                .unwrap_or_else(|| panic!("every append succeeds: {r:#}"))
        })
        .collect();
    sequences.sort_unstable();
    assert_eq!(sequences, (1..=8).collect::<Vec<_>>());
}

on_both_databases!(
    parallel_milestones_are_all_appended_in_sequence,
    stale_version_is_a_conflict_and_changes_nothing,
    racing_transitions_apply_exactly_once,
);
