//! Change requests linked to releases: their schedule follows the release and is
//! read only while linked.

use crate::fixtures::{self, window};
use entities::entity::Role;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const CHANGE: &str =
    "id number state scheduledStart scheduledEnd scheduleDrivenByRelease version release { id }";

async fn create_change(app: &TestApp, requester: &str, offset: i64) -> Value {
    let (start, end) = window(offset, 2);
    app.ok(
        &format!("mutation($i: CreateChangeInput!) {{ createChange(input: $i) {{ {CHANGE} }} }}"),
        json!({ "i": { "title": "Patch mail servers", "risk": "MEDIUM", "requesterId": requester,
            "scheduledStart": start, "scheduledEnd": end } }),
    )
    .await["createChange"]
        .clone()
}

async fn link(app: &TestApp, change: &Value, release: &Value) -> Value {
    app.ok(
        &format!(
            "mutation($c: ID!, $r: ID!) {{ linkChange(id: $c, releaseId: $r) {{ {CHANGE} }} }}"
        ),
        json!({ "c": change["id"], "r": release["id"] }),
    )
    .await["linkChange"]
        .clone()
}

async fn read_change(app: &TestApp, id: &Value) -> Value {
    app.ok(
        &format!("query($id: ID!) {{ change(id: $id) {{ {CHANGE} }} }}"),
        json!({ "id": id }),
    )
    .await["change"]
        .clone()
}

const UPDATE_CHANGE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateChangeInput!) {
    updateChange(id: $id, expectedVersion: $v, input: $i) { version scheduledStart } }";

const MOVE_RELEASE: &str = "mutation($id: ID!, $v: Int!, $s: DateTime, $e: DateTime) {
    updateRelease(id: $id, expectedVersion: $v, input: { plannedStart: $s, plannedEnd: $e }) { version } }";

async fn a_linked_change_follows_its_release_and_is_read_only(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(10, 20);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail upgrade", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let change = create_change(app, &owner, 0).await;
    assert!(
        change["number"].as_str().unwrap().starts_with("CHG-0"),
        "{change}"
    );
    assert_eq!(change["scheduleDrivenByRelease"], false);

    let linked = link(app, &change, &release).await;
    assert_eq!(linked["scheduleDrivenByRelease"], true);
    assert_eq!(linked["release"]["id"], release["id"]);
    let instant = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(instant(&linked["scheduledStart"]), instant(&json!(start)));
    assert_eq!(instant(&linked["scheduledEnd"]), instant(&json!(end)));

    // its dates are read only while linked; other fields are not
    let (other_start, _) = window(16, 1);
    app.expect_code(
        UPDATE_CHANGE,
        json!({ "id": change["id"], "v": linked["version"], "i": { "scheduledStart": other_start } }),
        "SCHEDULE_READ_ONLY",
    )
    .await;
    let retitled = app
        .ok(
            UPDATE_CHANGE,
            json!({ "id": change["id"], "v": linked["version"], "i": { "state": "SCHEDULED" } }),
        )
        .await;

    // moving the release moves the change in the same change
    let (new_start, new_end) = window(15, 20);
    app.ok(
        MOVE_RELEASE,
        json!({ "id": release["id"], "v": release["version"], "s": new_start, "e": new_end }),
    )
    .await;
    let moved = read_change(app, &change["id"]).await;
    assert_eq!(
        instant(&moved["scheduledStart"]),
        instant(&json!(new_start))
    );
    assert_eq!(instant(&moved["scheduledEnd"]), instant(&json!(new_end)));
    assert!(moved["version"].as_i64() > retitled["updateChange"]["version"].as_i64());
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { changes { id } history { kind field } } }",
            json!({ "id": release["id"] }),
        )
        .await;
    assert_eq!(history["release"]["changes"][0]["id"], change["id"]);
    let kinds: Vec<&str> = history["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"CHANGE_LINKED"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "CHANGE_RESCHEDULED").count(),
        4,
        "two dates when linked, two when the release moved: {kinds:?}"
    );

    // unlinking hands the dates back
    let unlinked = app
        .ok(
            &format!("mutation($c: ID!) {{ unlinkChange(id: $c) {{ {CHANGE} }} }}"),
            json!({ "c": change["id"] }),
        )
        .await["unlinkChange"]
        .clone();
    assert_eq!(unlinked["scheduleDrivenByRelease"], false);
    assert_eq!(
        instant(&unlinked["scheduledStart"]),
        instant(&json!(new_start))
    );
    let edited = app
        .ok(
            UPDATE_CHANGE,
            json!({ "id": change["id"], "v": unlinked["version"], "i": { "scheduledStart": other_start } }),
        )
        .await;
    assert_eq!(
        instant(&edited["updateChange"]["scheduledStart"]),
        instant(&json!(other_start))
    );
}

async fn a_change_linked_to_a_phase_follows_the_phase(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 100);
    let master = fixtures::release(
        app,
        &owner,
        json!({ "title": "Windows 11", "type": "MAJOR", "scope": "MASTER", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let (p_start, p_end) = window(10, 10);
    let phase = fixtures::release(
        app,
        &owner,
        json!({ "title": "Site A", "type": "MINOR", "scope": "PHASE", "masterId": master["id"],
            "plannedStart": p_start, "plannedEnd": p_end }),
    )
    .await;
    let change = create_change(app, &owner, 50).await;
    link(app, &change, &phase).await;
    let (moved_start, moved_end) = window(30, 10);
    app.ok(
        MOVE_RELEASE,
        json!({ "id": phase["id"], "v": phase["version"], "s": moved_start, "e": moved_end }),
    )
    .await;
    let moved = read_change(app, &change["id"]).await;
    assert_eq!(moved["release"]["id"], phase["id"]);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(moved["scheduledEnd"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&moved_end).unwrap()
    );
    // the master's own move does not touch a change linked to its phase
    let master_changes = app
        .ok(
            "query($r: ID!) { changes(releaseId: $r) { id } }",
            json!({ "r": master["id"] }),
        )
        .await;
    assert_eq!(master_changes["changes"], json!([]));
}

async fn change_managers_manage_changes_and_stakeholders_do_not(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (_, change_token) = app.user("Cora Change", &[Role::ChangeManager]).await;
    let (_, stakeholder_token) = app.user("Sam Stakeholder", &[]).await;
    let create = "mutation($r: ID!) { createChange(input: { title: \"Fix\", risk: LOW, requesterId: $r }) { number } }";
    app.as_bearer(Some(&change_token))
        .ok(create, json!({ "r": owner }))
        .await;
    app.as_bearer(Some(&stakeholder_token))
        .expect_code(create, json!({ "r": owner }), "FORBIDDEN")
        .await;
    app.as_bearer(Some(&stakeholder_token))
        .expect_code("{ changes { id } }", json!({}), "FORBIDDEN")
        .await;
    let bad = app
        .as_bearer(Some(&change_token))
        .expect_code(
            "mutation($r: ID!) { createChange(input: { title: \"Fix\", risk: LOW, requesterId: $r, scheduledStart: \"2027-02-01T00:00:00Z\", scheduledEnd: \"2027-01-01T00:00:00Z\" }) { number } }",
            json!({ "r": owner }),
            "VALIDATION",
        )
        .await;
    assert_eq!(bad["extensions"]["field"], "scheduledEnd");
    for list in [
        "{ changes(first: 0) { id } }",
        "{ configurationItems(first: 101) { id } }",
    ] {
        let refused = app.expect_code(list, json!({}), "VALIDATION").await;
        assert_eq!(refused["extensions"]["field"], "first", "{refused}");
    }
}

const CHANGE_HISTORY: &str = "kind field from to note actor { name }";

async fn a_change_keeps_its_own_history_linked_or_not(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (sam_id, sam) = app.user("Sam Stakeholder", &[]).await;
    let hidden =
        fixtures::release(app, &owner, json!({ "title": "Hidden", "type": "MINOR" })).await;
    let shared =
        fixtures::release(app, &owner, json!({ "title": "Shared", "type": "MINOR" })).await;
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
        json!({ "r": shared["id"], "p": sam_id.to_string() }),
    )
    .await;
    let change = create_change(app, &owner, 0).await;
    let edited = app
        .ok(
            UPDATE_CHANGE,
            json!({ "id": change["id"], "v": change["version"], "i": { "state": "SCHEDULED" } }),
        )
        .await;
    let history_of = |body: &Value| -> Vec<(String, Value)> {
        body.as_array()
            .expect("history")
            .iter()
            .map(|e| (e["kind"].as_str().unwrap().to_owned(), e.clone()))
            .collect()
    };
    let unlinked = app
        .ok(
            &format!("query($id: ID!) {{ change(id: $id) {{ history {{ {CHANGE_HISTORY} }} }} }}"),
            json!({ "id": change["id"] }),
        )
        .await;
    let events = history_of(&unlinked["change"]["history"]);
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["CHANGE_CREATED", "CHANGE_UPDATED"], "{unlinked}");
    assert_eq!(events[0].1["actor"]["name"], "Test Admin");
    assert_eq!(events[1].1["field"], "state");
    assert_eq!(events[1].1["to"], "SCHEDULED");
    assert!(edited["updateChange"]["version"].as_i64() > change["version"].as_i64());

    // linked to a release Sam may not see, then moved to one Sam may
    link(app, &change, &hidden).await;
    app.ok(
        "mutation($c: ID!) { unlinkChange(id: $c) { id } }",
        json!({ "c": change["id"] }),
    )
    .await;
    link(app, &change, &shared).await;
    let query = format!(
        "query($id: ID!) {{ release(id: $id) {{ changes {{ id history {{ {CHANGE_HISTORY} }} }} }} }}"
    );
    let as_admin = app.ok(&query, json!({ "id": shared["id"] })).await;
    let as_sam = app
        .as_bearer(Some(&sam))
        .ok(&query, json!({ "id": shared["id"] }))
        .await;
    let full = history_of(&as_admin["release"]["changes"][0]["history"]);
    let seen = history_of(&as_sam["release"]["changes"][0]["history"]);
    assert_eq!(
        full.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        seen.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        "Sam sees every event of a change on a release of theirs"
    );
    assert!(full.len() > 4, "{as_admin}");
    let hidden_id = hidden["id"].as_str().unwrap();
    let names_hidden = |event: &Value| {
        event["from"] == hidden_id
            || event["to"] == hidden_id
            || event["note"]
                .as_str()
                .is_some_and(|n| n.contains(&format!("release {hidden_id}")))
    };
    assert!(
        full.iter().any(|(_, e)| names_hidden(e)),
        "an administrator sees the hidden release named: {as_admin}"
    );
    assert!(
        !seen.iter().any(|(_, e)| names_hidden(e)),
        "Sam never sees the hidden release: {as_sam}"
    );
}

on_both_databases!(
    a_change_keeps_its_own_history_linked_or_not,
    a_linked_change_follows_its_release_and_is_read_only,
    a_change_linked_to_a_phase_follows_the_phase,
    change_managers_manage_changes_and_stakeholders_do_not,
);
