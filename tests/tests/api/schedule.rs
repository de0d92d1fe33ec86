//! Schedule windows: freezes and maintenance windows, once or recurring in a
//! time zone, their occurrences in a range, who manages them, and bad input.

use entities::entity::Role;
use releasedesk_tests::{error_code, on_both_databases, TestApp};
use serde_json::{json, Value};

const CREATE: &str = "mutation($input: CreateScheduleWindowInput!) {
    createScheduleWindow(input: $input) { id version recurrence recursUntil timeZone items { name } } }";
const OCCURRENCES: &str = "query($from: DateTime!, $to: DateTime!, $item: ID) {
    scheduleWindows(from: $from, to: $to, itemId: $item) { startsAt endsAt window { id title } } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $input: UpdateScheduleWindowInput!) {
    updateScheduleWindow(id: $id, input: $input, expectedVersion: $v) { id version title recurrence } }";

async fn item(app: &TestApp, name: &str) -> String {
    app.ok(
        "mutation($n: String!) { createConfigurationItem(input: { name: $n, type: SERVER }) { id } }",
        json!({ "n": name }),
    )
    .await["createConfigurationItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The Friday freeze: 16:00–24:00 in Berlin, four Fridays from 2027-03-19,
/// across the start of summer time on 2027-03-28.
fn friday_freeze(items: &[&str]) -> Value {
    json!({ "title": "Friday freeze", "kind": "FREEZE", "enforcement": "HARD",
        "startsAt": "2027-03-19T15:00:00Z", "endsAt": "2027-03-19T23:00:00Z",
        "recurrence": "FREQ=WEEKLY;BYDAY=FR;COUNT=4", "timeZone": "Europe/Berlin",
        "itemIds": items, "reason": "No changes before the weekend" })
}

async fn occurrences(app: &TestApp, item: Option<&str>) -> Vec<(String, String, String)> {
    app.ok(
        OCCURRENCES,
        json!({ "from": "2027-03-01T00:00:00Z", "to": "2027-05-01T00:00:00Z", "item": item }),
    )
    .await["scheduleWindows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["window"]["title"].as_str().unwrap().to_owned(),
                o["startsAt"].as_str().unwrap().to_owned(),
                o["endsAt"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn utc(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339()
}

async fn a_recurring_window_keeps_its_local_hours_across_summer_time(app: &TestApp) {
    let mail = item(app, "mail-01").await;
    let other = item(app, "crm-01").await;
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let created = app
        .as_bearer(Some(&manager))
        .ok(CREATE, json!({ "input": friday_freeze(&[&mail]) }))
        .await["createScheduleWindow"]
        .clone();
    assert_eq!(created["items"], json!([{ "name": "mail-01" }]));
    assert_eq!(created["timeZone"], "Europe/Berlin");
    assert_eq!(
        utc(created["recursUntil"].as_str().unwrap()),
        utc("2027-04-09T22:00:00Z")
    );
    let fridays = |title: &str| {
        [
            ("2027-03-19T15:00:00Z", "2027-03-19T23:00:00Z"),
            ("2027-03-26T15:00:00Z", "2027-03-26T23:00:00Z"),
            // summer time: 16:00–24:00 local is an hour earlier in UTC
            ("2027-04-02T14:00:00Z", "2027-04-02T22:00:00Z"),
            ("2027-04-09T14:00:00Z", "2027-04-09T22:00:00Z"),
        ]
        .map(|(s, e)| (title.to_owned(), utc(s), utc(e)))
        .to_vec()
    };
    let shown = |found: Vec<(String, String, String)>| -> Vec<(String, String, String)> {
        found
            .into_iter()
            .map(|(t, s, e)| (t, utc(&s), utc(&e)))
            .collect()
    };
    assert_eq!(
        shown(occurrences(app, None).await),
        fridays("Friday freeze")
    );
    assert_eq!(
        shown(occurrences(app, Some(&mail)).await),
        fridays("Friday freeze")
    );
    assert!(
        occurrences(app, Some(&other)).await.is_empty(),
        "not the CRM's freeze"
    );

    // a window without items covers every item; everyone may read the schedule
    app.ok(
        CREATE,
        json!({ "input": { "title": "Year end", "kind": "FREEZE", "startsAt": "2027-04-20T00:00:00Z",
            "endsAt": "2027-04-21T00:00:00Z", "reason": "Audit" } }),
    )
    .await;
    let (_, stakeholder) = app.user("Sam Stakeholder", &[]).await;
    let seen = app
        .as_bearer(Some(&stakeholder))
        .ok(
            OCCURRENCES,
            json!({ "from": "2027-03-01T00:00:00Z", "to": "2027-05-01T00:00:00Z", "item": other }),
        )
        .await;
    assert_eq!(
        seen["scheduleWindows"][0]["window"]["title"], "Year end",
        "{seen}"
    );
    assert_eq!(seen["scheduleWindows"].as_array().unwrap().len(), 1);
}

async fn bad_windows_are_refused_and_write_nothing(app: &TestApp) {
    let server = item(app, "mail-01").await;
    let base = friday_freeze(&[&server]);
    let with = |field: &str, value: Value| {
        let mut input = base.clone();
        input[field] = value;
        input
    };
    for (input, field) in [
        (with("endsAt", json!("2027-03-19T14:00:00Z")), "endsAt"),
        (with("endsAt", json!("2028-06-01T00:00:00Z")), "endsAt"),
        (with("recurrence", json!("FREQ=WHENEVER")), "recurrence"),
        (
            with("recurrence", json!("FREQ=WEEKLY;BYDAY=FR")),
            "recurrence",
        ),
        (
            with("recurrence", json!("FREQ=MINUTELY;COUNT=5")),
            "recurrence",
        ),
        (
            with("recurrence", json!("FREQ=DAILY;UNTIL=20990101T000000Z")),
            "recurrence",
        ),
        (
            with("recurrence", json!("FREQ=DAILY;COUNT=2\nRRULE:FREQ=DAILY")),
            "recurrence",
        ),
        (with("recurrence", json!("x".repeat(501))), "recurrence"),
        (with("timeZone", json!("Europe/Atlantis")), "timeZone"),
        (with("itemIds", json!(["999999"])), "itemIds"),
        (with("title", json!("")), "title"),
        (with("reason", json!("")), "reason"),
        (with("startsAt", json!("1900-01-01T00:00:00Z")), "startsAt"),
    ] {
        let refused = app.graphql(CREATE, json!({ "input": input })).await;
        assert_eq!(error_code(&refused), Some("VALIDATION"), "{refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{refused}"
        );
    }
    assert!(
        occurrences(app, None).await.is_empty(),
        "nothing was written"
    );
    for (from, to) in [
        ("2027-03-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        ("2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    ] {
        let refused = app
            .graphql(OCCURRENCES, json!({ "from": from, "to": to }))
            .await;
        assert_eq!(error_code(&refused), Some("VALIDATION"), "{refused}");
        assert_eq!(refused["errors"][0]["extensions"]["field"], "to");
    }
}

async fn release_managers_manage_windows_under_versions(app: &TestApp) {
    let (_, change_manager) = app.user("Cora Change", &[Role::ChangeManager]).await;
    let refused = app
        .as_bearer(Some(&change_manager))
        .graphql(CREATE, json!({ "input": friday_freeze(&[]) }))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let created = app.ok(CREATE, json!({ "input": friday_freeze(&[]) })).await
        ["createScheduleWindow"]
        .clone();
    let id = created["id"].clone();
    let once = app
        .ok(
            UPDATE,
            json!({ "id": id, "v": 1, "input": { "title": "One Friday", "recurrence": null } }),
        )
        .await["updateScheduleWindow"]
        .clone();
    assert_eq!(once["version"], 2);
    assert_eq!(once["recurrence"], Value::Null);
    assert_eq!(occurrences(app, None).await.len(), 1);
    let stale = app
        .graphql(
            UPDATE,
            json!({ "id": id, "v": 1, "input": { "title": "Late" } }),
        )
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    for _ in 0..2 {
        let cancelled = app
            .ok(
                "mutation($id: ID!) { cancelScheduleWindow(id: $id) { cancelledAt version } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(cancelled["cancelScheduleWindow"]["version"], 3, "once only");
    }
    assert!(
        occurrences(app, None).await.is_empty(),
        "a cancelled window no longer occurs"
    );
    let after = app
        .graphql(
            UPDATE,
            json!({ "id": id, "v": 3, "input": { "title": "Back" } }),
        )
        .await;
    assert_eq!(error_code(&after), Some("INVALID_TRANSITION"), "{after}");
    let missing = app
        .graphql("{ scheduleWindow(id: \"999999\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"));
}

/// An edit and a cancel of one window, released together at its row lock:
/// both apply in some order, and the window ends cancelled at version 3.
async fn an_edit_and_a_cancel_of_one_window_agree(app: &TestApp) {
    let id = app.ok(CREATE, json!({ "input": friday_freeze(&[]) })).await["createScheduleWindow"]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gate = app.gate_on("schedule_windows", &id).await;
    let (edited, cancelled, ()) = tokio::join!(
        app.graphql(
            UPDATE,
            json!({ "id": id, "v": 1, "input": { "title": "Renamed" } })
        ),
        app.graphql(
            "mutation($id: ID!) { cancelScheduleWindow(id: $id) { id } }",
            json!({ "id": id }),
        ),
        gate.open_when_waiting(2),
    );
    assert_eq!(error_code(&cancelled), None, "{cancelled}");
    let now = app
        .ok(
            "query($id: ID!) { scheduleWindow(id: $id) { title version cancelledAt } }",
            json!({ "id": id }),
        )
        .await["scheduleWindow"]
        .clone();
    assert!(!now["cancelledAt"].is_null());
    match error_code(&edited) {
        // the edit went first: both applied
        None => assert_eq!(
            (now["title"].as_str(), now["version"].as_i64()),
            (Some("Renamed"), Some(3))
        ),
        // the cancel went first: the edit met a newer version or a cancelled window
        Some(code) => {
            assert!(
                ["CONFLICT", "INVALID_TRANSITION"].contains(&code),
                "{edited}"
            );
            assert_eq!(
                (now["title"].as_str(), now["version"].as_i64()),
                (Some("Friday freeze"), Some(2))
            );
        }
    }
}

// the gated settings (long lock waits) serve the race; the others do not mind them
on_both_databases!(with releasedesk_tests::gated_settings();
    a_recurring_window_keeps_its_local_hours_across_summer_time,
    bad_windows_are_refused_and_write_nothing,
    release_managers_manage_windows_under_versions,
    an_edit_and_a_cancel_of_one_window_agree,
);
