//! Masters, phases and the cancellation cascade.

use crate::fixtures::{self, read, strings, transition, window};
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const CREATE: &str =
    "mutation($input: CreateReleaseInput!) { createRelease(input: $input) { id } }";

async fn master(app: &TestApp, owner: &str) -> Value {
    let (start, end) = window(0, 100);
    fixtures::release(
        app,
        owner,
        json!({ "title": "Windows 11 rollout", "type": "MAJOR", "scope": "MASTER", "plannedStart": start, "plannedEnd": end }),
    )
    .await
}

async fn phase(app: &TestApp, owner: &str, master_id: &Value, offset: i64, days: i64) -> Value {
    let (start, end) = window(offset, days);
    fixtures::release(
        app,
        owner,
        json!({ "title": "Site phase", "type": "MINOR", "scope": "PHASE", "masterId": master_id, "plannedStart": start, "plannedEnd": end }),
    )
    .await
}

async fn scope_rules_are_enforced(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let orphan = app
        .expect_code(CREATE, json!({ "input": { "title": "Orphan", "type": "MINOR", "scope": "PHASE", "ownerId": owner } }), "VALIDATION")
        .await;
    assert_eq!(orphan["extensions"]["field"], "masterId");

    let standalone =
        fixtures::release(app, &owner, json!({ "title": "Alone", "type": "MINOR" })).await;
    let under_standalone = app
        .error(
            CREATE,
            json!({ "input": { "title": "P", "type": "MINOR", "scope": "PHASE", "masterId": standalone["id"], "ownerId": owner } }),
        )
        .await;
    assert_eq!(under_standalone["extensions"]["field"], "masterId");

    let master = master(app, &owner).await;
    let standalone_with_master = app
        .error(
            CREATE,
            json!({ "input": { "title": "S", "type": "MINOR", "masterId": master["id"], "ownerId": owner } }),
        )
        .await;
    assert_eq!(standalone_with_master["extensions"]["field"], "masterId");

    let phase = phase(app, &owner, &master["id"], 10, 10).await;
    let tree = app
        .ok(
            "query($id: ID!) { release(id: $id) { phases { id scope master { id } } } }",
            json!({ "id": master["id"] }),
        )
        .await;
    assert_eq!(tree["release"]["phases"][0]["id"], phase["id"]);
    assert_eq!(tree["release"]["phases"][0]["master"]["id"], master["id"]);
}

async fn phase_cannot_outlast_its_master(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let master = master(app, &owner).await;
    let (start, end) = window(90, 20);
    let refused = app
        .expect_code(CREATE,
            json!({ "input": { "title": "Late", "type": "MINOR", "scope": "PHASE", "masterId": master["id"], "ownerId": owner, "plannedStart": start, "plannedEnd": end } }), "VALIDATION")
        .await;
    assert_eq!(refused["extensions"]["field"], "plannedEnd");

    let phase = phase(app, &owner, &master["id"], 10, 10).await;
    let (early, _) = window(-5, 1);
    let moved = app
        .error(
            "mutation($id: ID!, $s: DateTime) { updateRelease(id: $id, input: { plannedStart: $s }, expectedVersion: 1) { id } }",
            json!({ "id": phase["id"], "s": early }),
        )
        .await;
    assert_eq!(moved["extensions"]["field"], "plannedStart");

    // shrinking the master past a phase is refused too
    let (_, short_end) = window(0, 15);
    app
        .expect_code("mutation($id: ID!, $e: DateTime) { updateRelease(id: $id, input: { plannedEnd: $e }, expectedVersion: 1) { id } }",
            json!({ "id": master["id"], "e": short_end }), "VALIDATION")
        .await;
    assert_eq!(
        read(app, master["id"].as_str().unwrap()).await["version"],
        1
    );
}

async fn phase_starts_only_under_an_active_master_which_closes_last(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let master = master(app, &owner).await;
    let master_id = master["id"].as_str().unwrap().to_owned();
    let phase = phase(app, &owner, &master["id"], 10, 10).await;
    let phase_id = phase["id"].as_str().unwrap().to_owned();
    transition(app, &phase_id, "SUBMIT").await;
    transition(app, &phase_id, "APPROVE").await;
    app.expect_code(
        fixtures::TRANSITION,
        json!({ "id": phase_id, "action": "START" }),
        "INVALID_TRANSITION",
    )
    .await;

    transition(app, &master_id, "SUBMIT").await;
    transition(app, &master_id, "APPROVE").await;
    let master_active = transition(app, &master_id, "START").await;
    assert_eq!(
        transition(app, &phase_id, "START").await["status"],
        "ACTIVE"
    );

    // finish the master's milestones without approval gates
    for m in master_active["milestones"].as_array().unwrap() {
        let id = m["id"].as_str().unwrap();
        app.ok(
            "mutation($id: ID!) { transitionMilestone(id: $id, action: SKIP) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    assert_eq!(read(app, &master_id).await["status"], "REVIEW");
    app.ok(
        "mutation($id: ID!) { recordReleaseReview(id: $id, outcome: SUCCESSFUL, lessonsLearned: \"ok\") { id } }",
        json!({ "id": master_id }),
    )
    .await;
    let blocked = app
        .expect_code(
            fixtures::TRANSITION,
            json!({ "id": master_id, "action": "CLOSE" }),
            "INVALID_TRANSITION",
        )
        .await;
    assert!(blocked["message"].as_str().unwrap().contains("phases"));
    assert!(
        !strings(&read(app, &master_id).await["availableActions"]).contains(&"CLOSE".to_owned())
    );

    transition(app, &phase_id, "COMPLETE").await;
    app.ok(
        "mutation($id: ID!) { recordReleaseReview(id: $id, outcome: SUCCESSFUL, lessonsLearned: \"ok\") { id } }",
        json!({ "id": phase_id }),
    )
    .await;
    transition(app, &phase_id, "CLOSE").await;
    assert_eq!(
        transition(app, &master_id, "CLOSE").await["status"],
        "CLOSED"
    );
}

async fn cancelling_a_master_cancels_its_open_phases_and_milestones_at_once(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let master = master(app, &owner).await;
    let master_id = master["id"].as_str().unwrap().to_owned();
    let phases = [
        phase(app, &owner, &master["id"], 5, 5).await,
        phase(app, &owner, &master["id"], 20, 5).await,
    ];
    app.ok(
        "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Pilot\" }) { id } }",
        json!({ "id": phases[0]["id"] }),
    )
    .await;
    // the second phase is already over: it must stay REJECTED
    let second = phases[1]["id"].as_str().unwrap();
    transition(app, second, "SUBMIT").await;
    app.ok(
        fixtures::TRANSITION,
        json!({ "id": second, "action": "REJECT", "reason": "not needed" }),
    )
    .await;

    let missing_reason = app
        .error(
            fixtures::TRANSITION,
            json!({ "id": master_id, "action": "CANCEL" }),
        )
        .await;
    assert_eq!(missing_reason["extensions"]["field"], "reason");

    let cancelled = app
        .ok(
            fixtures::TRANSITION,
            json!({ "id": master_id, "action": "CANCEL", "reason": "Budget withdrawn" }),
        )
        .await["transitionRelease"]
        .clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["cancelReason"], "Budget withdrawn");
    assert!(cancelled["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "CANCELLED"));
    let first_phase = read(app, phases[0]["id"].as_str().unwrap()).await;
    assert_eq!(first_phase["status"], "CANCELLED");
    assert_eq!(first_phase["milestones"][0]["status"], "CANCELLED");
    assert!(first_phase["cancelReason"]
        .as_str()
        .unwrap()
        .contains("master release"));
    assert_eq!(read(app, second).await["status"], "REJECTED");

    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind to note } } }",
            json!({ "id": phases[0]["id"] }),
        )
        .await;
    let events = history["release"]["history"].as_array().unwrap();
    assert!(events
        .iter()
        .any(|e| e["kind"] == "MILESTONE_STATUS_CHANGED" && e["to"] == "CANCELLED"));
    assert!(events
        .iter()
        .any(|e| e["kind"] == "RELEASE_STATUS_CHANGED" && e["to"] == "CANCELLED"));
}

async fn closed_master_takes_no_new_phases(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let master = master(app, &owner).await;
    app.ok(
        fixtures::TRANSITION,
        json!({ "id": master["id"], "action": "CANCEL", "reason": "stop" }),
    )
    .await;
    let refused = app
        .error(
            CREATE,
            json!({ "input": { "title": "Late phase", "type": "MINOR", "scope": "PHASE", "masterId": master["id"], "ownerId": owner } }),
        )
        .await;
    assert_eq!(refused["extensions"]["field"], "masterId");
}

/// A release's window keeps covering its milestones, as it keeps covering its phases.
async fn shrinking_a_release_cannot_leave_its_milestones_outside(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 60);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail upgrade", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let (m_start, m_end) = window(40, 10);
    app.ok(
        "mutation($r: ID!, $s: DateTime, $e: DateTime) { addMilestone(input: { releaseId: $r, title: \"Cutover\", plannedStart: $s, plannedEnd: $e }) { id } }",
        json!({ "r": release["id"], "s": m_start, "e": m_end }),
    )
    .await;
    let update = "mutation($id: ID!, $v: Int!, $e: DateTime) { updateRelease(id: $id, expectedVersion: $v, input: { plannedEnd: $e }) { version plannedEnd } }";
    let (_, short_end) = window(0, 30);
    let refused = app
        .error(
            update,
            json!({ "id": release["id"], "v": release["version"], "e": short_end }),
        )
        .await;
    assert_eq!(refused["extensions"]["code"], "VALIDATION", "{refused}");
    assert_eq!(refused["extensions"]["field"], "plannedEnd", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("Cutover"),
        "{refused}"
    );
    // a window that still covers the milestone is fine
    let (_, fitting_end) = window(0, 50);
    let moved = app
        .ok(
            update,
            json!({ "id": release["id"], "v": release["version"], "e": fitting_end }),
        )
        .await;
    assert_eq!(moved["updateRelease"]["version"], 2);
}

on_both_databases!(
    shrinking_a_release_cannot_leave_its_milestones_outside,
    scope_rules_are_enforced,
    phase_cannot_outlast_its_master,
    phase_starts_only_under_an_active_master_which_closes_last,
    cancelling_a_master_cancels_its_open_phases_and_milestones_at_once,
    closed_master_takes_no_new_phases,
);
