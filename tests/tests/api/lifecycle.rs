//! Plan, request, milestones, approve, implement, review, close.

use crate::fixtures::{self, milestone_transition, read, strings, transition, window};
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

async fn major_release_walks_from_draft_to_closed(app: &TestApp) {
    let owner = fixtures::person(app, "Rita Manager").await;
    let (start, end) = window(0, 60);
    let created = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail server upgrade", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(strings(&created["availableActions"]), ["SUBMIT", "CANCEL"]);
    let titles: Vec<_> = created["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles,
        ["Plan", "Build", "Test", "Deploy", "Review", "Close"]
    );
    assert_eq!(created["milestones"][0]["requiresApproval"], true);
    assert_eq!(created["milestones"][1]["requiresApproval"], false);

    assert_eq!(transition(app, &id, "SUBMIT").await["status"], "REQUESTED");
    assert_eq!(transition(app, &id, "APPROVE").await["status"], "APPROVED");
    let started = transition(app, &id, "START").await;
    assert_eq!(started["status"], "ACTIVE");
    assert!(started["actualStart"].is_string());
    assert_eq!(started["milestones"][0]["status"], "ACTIVE");
    assert_eq!(started["milestones"][1]["status"], "PLANNED");
    assert_eq!(strings(&started["availableActions"]), ["HOLD", "CANCEL"]);

    let milestones = started["milestones"].as_array().unwrap().clone();
    for (index, milestone) in milestones.iter().enumerate() {
        let mid = milestone["id"].as_str().unwrap();
        let done = milestone_transition(app, mid, "COMPLETE").await;
        if created["milestones"][index]["requiresApproval"] == true {
            assert_eq!(done["status"], "PENDING_APPROVAL");
            assert_eq!(
                milestone_transition(app, mid, "APPROVE").await["status"],
                "COMPLETED"
            );
        } else {
            assert_eq!(done["status"], "COMPLETED");
        }
        let now = read(app, &id).await;
        if let Some(next) = now["milestones"].get(index + 1) {
            assert_eq!(
                next["status"], "ACTIVE",
                "completing one activates the next"
            );
            assert_eq!(now["status"], "ACTIVE");
        } else {
            assert_eq!(
                now["status"], "REVIEW",
                "the last milestone moves the release to REVIEW"
            );
        }
    }

    let refused = app
        .expect_code(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "CLOSE" }),
            "INVALID_TRANSITION",
        )
        .await;
    assert_eq!(
        strings(&refused["extensions"]["allowedActions"]),
        ["CANCEL"]
    );

    let reviewed = app
        .ok(
            "mutation($id: ID!) { recordReleaseReview(id: $id, outcome: PARTIALLY_SUCCESSFUL, lessonsLearned: \"Migrate shared mailboxes first.\") { reviewOutcome lessonsLearned availableActions } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        reviewed["recordReleaseReview"]["reviewOutcome"],
        "PARTIALLY_SUCCESSFUL"
    );
    assert_eq!(
        strings(&reviewed["recordReleaseReview"]["availableActions"]),
        ["CLOSE", "CANCEL"]
    );
    let closed = transition(app, &id, "CLOSE").await;
    assert_eq!(closed["status"], "CLOSED");
    assert!(closed["actualEnd"].is_string());
    assert!(strings(&closed["availableActions"]).is_empty());

    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind field from to milestoneId } } }",
            json!({ "id": id }),
        )
        .await;
    let status_changes: Vec<(String, String)> = history["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "RELEASE_STATUS_CHANGED")
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_owned(),
                e["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("DRAFT", "REQUESTED"),
        ("REQUESTED", "APPROVED"),
        ("APPROVED", "ACTIVE"),
        ("ACTIVE", "REVIEW"),
        ("REVIEW", "CLOSED"),
    ];
    assert_eq!(
        status_changes,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let milestone_events = history["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "MILESTONE_STATUS_CHANGED")
        .count();
    // 6 activations + 6 completions + 3 approval steps
    assert_eq!(milestone_events, 15);
}

async fn starting_needs_a_planned_window(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release =
        fixtures::approved(app, &owner, json!({ "title": "No dates", "type": "MINOR" })).await;
    assert_eq!(strings(&release["availableActions"]), ["CANCEL"]);
    let refused = app
        .expect_code(
            fixtures::TRANSITION,
            json!({ "id": release["id"], "action": "START" }),
            "INVALID_TRANSITION",
        )
        .await;
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("planned start and end"));
    assert_eq!(
        read(app, release["id"].as_str().unwrap()).await["status"],
        "APPROVED"
    );
}

async fn minor_release_without_milestones_is_completed_by_hand(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(1, 2);
    let release = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Gateway policy", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    assert!(release["milestones"].as_array().unwrap().is_empty());
    let id = release["id"].as_str().unwrap();
    let active = transition(app, id, "START").await;
    assert_eq!(
        strings(&active["availableActions"]),
        ["HOLD", "COMPLETE", "CANCEL"]
    );
    assert_eq!(transition(app, id, "COMPLETE").await["status"], "REVIEW");
}

async fn major_release_can_opt_out_of_the_template(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Bare major", "type": "MAJOR", "useTemplate": false }),
    )
    .await;
    assert!(release["milestones"].as_array().unwrap().is_empty());
}

async fn hold_stops_milestone_work_until_resumed(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 30);
    let release = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Held", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().unwrap();
    let active = transition(app, id, "START").await;
    let first = active["milestones"][0]["id"].as_str().unwrap().to_owned();
    let held = transition(app, id, "HOLD").await;
    assert_eq!(held["status"], "ON_HOLD");
    assert_eq!(strings(&held["availableActions"]), ["RESUME", "CANCEL"]);
    app.expect_code(
        "mutation($id: ID!) { transitionMilestone(id: $id, action: COMPLETE) { id } }",
        json!({ "id": first }),
        "INVALID_TRANSITION",
    )
    .await;
    assert_eq!(transition(app, id, "RESUME").await["status"], "ACTIVE");
    assert_eq!(
        milestone_transition(app, &first, "COMPLETE").await["status"],
        "PENDING_APPROVAL"
    );
}

async fn milestones_run_in_sequence_and_approval_can_send_work_back(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 30);
    let release = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Sequenced", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().unwrap();
    let active = transition(app, id, "START").await;
    let first = active["milestones"][0]["id"].as_str().unwrap().to_owned();
    let third = active["milestones"][2]["id"].as_str().unwrap().to_owned();
    assert!(strings(&active["milestones"][2]["availableActions"])
        .iter()
        .all(|a| a != "START"));
    let refused = app
        .expect_code(
            "mutation($id: ID!) { transitionMilestone(id: $id, action: START) { id } }",
            json!({ "id": third }),
            "INVALID_TRANSITION",
        )
        .await;
    assert!(refused["message"].as_str().unwrap().contains("sequence"));

    milestone_transition(app, &first, "COMPLETE").await;
    assert_eq!(
        milestone_transition(app, &first, "REJECT").await["status"],
        "ACTIVE"
    );
    milestone_transition(app, &first, "COMPLETE").await;
    milestone_transition(app, &first, "APPROVE").await;
    let second = &read(app, id).await["milestones"][1];
    assert_eq!(second["status"], "ACTIVE");
    // skipping the running milestone moves on as well
    milestone_transition(app, second["id"].as_str().unwrap(), "SKIP").await;
    assert_eq!(read(app, id).await["milestones"][2]["status"], "ACTIVE");
}

async fn milestone_added_to_a_running_release_without_work_starts_at_once(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 10);
    let release = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Manual", "type": "EMERGENCY", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().unwrap();
    transition(app, id, "START").await;
    let added = app
        .ok(
            "mutation($input: AddMilestoneInput!) { addMilestone(input: $input) { id sequence status } }",
            json!({ "input": { "releaseId": id, "title": "Patch appliances" } }),
        )
        .await;
    assert_eq!(added["addMilestone"]["sequence"], 1);
    assert_eq!(added["addMilestone"]["status"], "ACTIVE");
    let mid = added["addMilestone"]["id"].as_str().unwrap();
    assert_eq!(
        milestone_transition(app, mid, "COMPLETE").await["status"],
        "COMPLETED"
    );
    assert_eq!(read(app, id).await["status"], "REVIEW");
}

async fn rejecting_needs_a_reason_and_ends_the_release(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "Doomed", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap();
    transition(app, id, "SUBMIT").await;
    let refused = app
        .expect_code(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "REJECT" }),
            "VALIDATION",
        )
        .await;
    assert_eq!(refused["extensions"]["field"], "reason");
    let rejected = app
        .ok(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "REJECT", "reason": "No business case" }),
        )
        .await;
    assert_eq!(rejected["transitionRelease"]["status"], "REJECTED");
    assert!(strings(&rejected["transitionRelease"]["availableActions"]).is_empty());
}

async fn updates_are_recorded_field_by_field(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let other = fixtures::person(app, "Other Owner").await;
    let release = fixtures::release(app, &owner, json!({ "title": "Old", "type": "MINOR" })).await;
    let (start, end) = window(3, 4);
    let updated = app
        .ok(
            "mutation($id: ID!, $input: UpdateReleaseInput!, $v: Int!) { updateRelease(id: $id, input: $input, expectedVersion: $v) {
                title version plannedStart owner { id } stakeholders { role person { id } } history { kind field from to } } }",
            json!({ "id": release["id"], "v": release["version"], "input": { "title": "New", "ownerId": other, "plannedStart": start, "plannedEnd": end } }),
        )
        .await["updateRelease"]
        .clone();
    assert_eq!(updated["title"], "New");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["owner"]["id"], other.as_str());
    let owners: Vec<_> = updated["stakeholders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == "OWNER")
        .map(|s| s["person"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(owners, [other.as_str()]);
    let fields: Vec<_> = updated["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "RELEASE_UPDATED")
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["title", "ownerId", "plannedStart", "plannedEnd"]);
    assert_eq!(updated["history"][1]["from"], "Old");

    // null clears a date; omitted fields stay
    let cleared = app
        .ok(
            "mutation($id: ID!, $v: Int!) { updateRelease(id: $id, input: { plannedEnd: null }, expectedVersion: $v) { title plannedStart plannedEnd } }",
            json!({ "id": release["id"], "v": 2 }),
        )
        .await["updateRelease"]
        .clone();
    assert_eq!(cleared["title"], "New");
    assert!(cleared["plannedStart"].is_string());
    assert!(cleared["plannedEnd"].is_null());
}

/// A newcomer's first mutation needs no lookup of their own id: the release
/// is theirs, and they are its OWNER stakeholder.
async fn a_release_created_without_an_owner_is_its_creators(app: &TestApp) {
    let (id, token) = app
        .user("Rita Manager", &[entities::entity::Role::ReleaseManager])
        .await;
    let created = app
        .as_bearer(Some(&token))
        .ok(
            "mutation { createRelease(input: { title: \"Mine\", type: MINOR }) { owner { id } stakeholders { role person { id } } } }",
            json!({}),
        )
        .await["createRelease"]
        .clone();
    assert_eq!(created["owner"]["id"], id.to_string().as_str());
    assert_eq!(created["stakeholders"][0]["role"], "OWNER");
    assert_eq!(
        created["stakeholders"][0]["person"]["id"],
        id.to_string().as_str()
    );
}

on_both_databases!(
    a_release_created_without_an_owner_is_its_creators,
    major_release_walks_from_draft_to_closed,
    starting_needs_a_planned_window,
    minor_release_without_milestones_is_completed_by_hand,
    major_release_can_opt_out_of_the_template,
    hold_stops_milestone_work_until_resumed,
    milestones_run_in_sequence_and_approval_can_send_work_back,
    milestone_added_to_a_running_release_without_work_starts_at_once,
    rejecting_needs_a_reason_and_ends_the_release,
    updates_are_recorded_field_by_field,
);
