//! Small steps that many stories share.

use releasedesk_tests::TestApp;
use serde_json::{json, Value};

/// Fields of a release most tests look at.
pub const RELEASE_FIELDS: &str = "id title type scope status version plannedStart plannedEnd \
    actualStart actualEnd cancelReason reviewOutcome lessonsLearned availableActions \
    milestones { id sequence title status requiresApproval availableActions }";

/// Creates a person and returns their id.
pub async fn person(app: &TestApp, name: &str) -> String {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let data = app
        .ok(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id } }",
            json!({ "input": { "name": name, "email": email } }),
        )
        .await;
    data["createPerson"]["id"]
        .as_str()
        .expect("person id")
        .to_owned()
}

/// Creates a release from `input` (ownerId added when missing) and returns it.
pub async fn release(app: &TestApp, owner: &str, mut input: Value) -> Value {
    if input.get("ownerId").is_none() {
        input["ownerId"] = json!(owner);
    }
    let data = app
        .ok(
            &format!(
                "mutation($input: CreateReleaseInput!) {{ createRelease(input: $input) {{ {RELEASE_FIELDS} }} }}"
            ),
            json!({ "input": input }),
        )
        .await;
    data["createRelease"].clone()
}

/// A window of `days` days starting `offset` days after 2027-01-01.
pub fn window(offset: i64, days: i64) -> (String, String) {
    let base = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").expect("valid date");
    let start = base + chrono::Duration::days(offset);
    let end = start + chrono::Duration::days(days);
    (start.to_rfc3339(), end.to_rfc3339())
}

/// The mutation that moves a release.
pub const TRANSITION: &str = "mutation($id: ID!, $action: ReleaseAction!, $reason: String) {
    transitionRelease(id: $id, action: $action, reason: $reason) { id status version actualStart actualEnd cancelReason availableActions
      milestones { id sequence status availableActions } } }";

/// Applies `action` to release `id`, which must succeed; returns the release.
pub async fn transition(app: &TestApp, id: &str, action: &str) -> Value {
    app.ok(TRANSITION, json!({ "id": id, "action": action }))
        .await["transitionRelease"]
        .clone()
}

/// Applies `action` to milestone `id`, which must succeed; returns the milestone.
pub async fn milestone_transition(app: &TestApp, id: &str, action: &str) -> Value {
    app.ok(
        "mutation($id: ID!, $action: MilestoneAction!) { transitionMilestone(id: $id, action: $action) { id status actualStart actualEnd } }",
        json!({ "id": id, "action": action }),
    )
    .await["transitionMilestone"]
        .clone()
}

/// Reads one release with [`RELEASE_FIELDS`].
pub async fn read(app: &TestApp, id: &str) -> Value {
    app.ok(
        &format!("query($id: ID!) {{ release(id: $id) {{ {RELEASE_FIELDS} }} }}"),
        json!({ "id": id }),
    )
    .await["release"]
        .clone()
}

/// An approved release with a planned window, ready to START.
pub async fn approved(app: &TestApp, owner: &str, input: Value) -> Value {
    let created = release(app, owner, input).await;
    let id = created["id"].as_str().expect("id").to_owned();
    transition(app, &id, "SUBMIT").await;
    transition(app, &id, "APPROVE").await
}

/// Strings of a JSON array.
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets the board's policy to decide every MAJOR and every EMERGENCY release,
/// templates or not, keeping the rule `rule` and the default times.
pub async fn board_decides_every_release(app: &TestApp, rule: &str) {
    app.ok(
        "mutation($input: ReviewBoardPolicyInput!) { setReviewBoardPolicy(input: $input) { rule } }",
        json!({ "input": { "rule": rule, "quorum": (rule == "QUORUM").then_some(2),
            "dueHours": 72, "reminderHours": 24, "everyMajor": true, "emergencyByAnyMember": true } }),
    )
    .await;
}
