//! Freezes that hold: a hard freeze refuses APPROVE, START and a move into it
//! (by a direct action or the board's verdict) unless a release manager
//! overrides with a reason; soft freezes and maintenance windows only warn;
//! a new freeze tells the owners of the releases it overlaps, once; and a
//! freeze written while a release is approved is never passed unseen.
//! The test clock starts on Friday 2026-11-27 at 09:00 UTC.

use crate::fixtures::{self, board_decides_every_release};
use chrono::Duration;
use entities::entity::{outbox_message, Role};
use releasedesk_tests::{error_code, on_both_databases, TestApp};
use sea_orm::{prelude::*, QueryOrder};
use serde_json::{json, Value};

const CREATE_WINDOW: &str = "mutation($input: CreateScheduleWindowInput!) {
    createScheduleWindow(input: $input) { id version } }";
const MOVE: &str =
    "mutation($id: ID!, $action: ReleaseAction!, $reason: String, $override: Boolean) {
    transitionRelease(id: $id, action: $action, reason: $reason, overrideFreeze: $override) {
      id status version } }";
const EDIT: &str = "mutation($id: ID!, $v: Int!, $input: UpdateReleaseInput!, $override: Boolean, $reason: String) {
    updateRelease(id: $id, input: $input, expectedVersion: $v, overrideFreeze: $override, reason: $reason) {
      id version plannedEnd } }";
const CONFLICTS: &str = "query($id: ID!) { release(id: $id) { conflicts {
    kind blocking item { name } release { id } window { id title } occurrence { startsAt endsAt } } } }";

/// The code of an error as `Client::error` answers it.
fn code(error: &Value) -> Option<&str> {
    error["extensions"]["code"].as_str()
}

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

/// A MINOR release planned `start`–`end` with a package of `items`,
/// submitted; returns its id.
async fn requested(app: &TestApp, title: &str, start: &str, end: &str, items: &[&str]) -> String {
    let owner = fixtures::person(app, &format!("Owner {title}")).await;
    let created = fixtures::release(
        app,
        &owner,
        json!({ "title": title, "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    if !items.is_empty() {
        app.ok(
            "mutation($input: CreatePackageInput!) { createPackage(input: $input) { id } }",
            json!({ "input": { "name": format!("{title} package"), "releaseId": id, "itemIds": items } }),
        )
        .await;
    }
    fixtures::transition(app, &id, "SUBMIT").await;
    id
}

/// Fridays 16:00–24:00 in Berlin, twenty of them from 2026-10-16, so they
/// cross the end of summer time on 2026-10-25: from then on the freeze is
/// 15:00–23:00 UTC.
fn friday_freeze(enforcement: &str, items: &[&str]) -> Value {
    json!({ "title": "Friday freeze", "kind": "FREEZE", "enforcement": enforcement,
        "startsAt": "2026-10-16T14:00:00Z", "endsAt": "2026-10-16T22:00:00Z",
        "recurrence": "FREQ=WEEKLY;BYDAY=FR;COUNT=20", "timeZone": "Europe/Berlin",
        "itemIds": items, "reason": "No changes before the weekend" })
}

async fn window(app: &TestApp, token: &str, input: Value) -> String {
    app.as_bearer(Some(token))
        .ok(CREATE_WINDOW, json!({ "input": input }))
        .await["createScheduleWindow"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn history_kinds(app: &TestApp, id: &str) -> Vec<String> {
    let data = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind note } } }",
            json!({ "id": id }),
        )
        .await;
    data["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn release_facts(app: &TestApp, id: &str) -> (String, i64) {
    let r = fixtures::read(app, id).await;
    (
        r["status"].as_str().unwrap().to_owned(),
        r["version"].as_i64().unwrap(),
    )
}

async fn a_weekly_hard_freeze_holds_start_on_fridays_across_summer_time(app: &TestApp) {
    let mail = item(app, "mail-01").await;
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let (_, changes) = app.user("Carl Changes", &[Role::ChangeManager]).await;
    let freeze = window(app, &manager, friday_freeze("HARD", &[&mail])).await;
    let thursday = requested(
        app,
        "Thursday upgrade",
        "2026-12-03T10:00:00Z",
        "2026-12-03T12:00:00Z",
        &[&mail],
    )
    .await;
    let friday = requested(
        app,
        "Friday upgrade",
        "2026-12-04T16:00:00Z",
        "2026-12-04T17:00:00Z",
        &[&mail],
    )
    .await;
    let late = requested(
        app,
        "Late Thursday job",
        "2026-12-03T13:00:00Z",
        "2026-12-03T14:00:00Z",
        &[&mail],
    )
    .await;
    let rm = app.as_bearer(Some(&manager));
    for id in [&thursday, &late] {
        assert_eq!(
            rm.ok(MOVE, json!({ "id": id, "action": "APPROVE" })).await["transitionRelease"]
                ["status"],
            "APPROVED"
        );
    }

    // approving a release planned 17:00–18:00 local on a Friday is held, and writes nothing
    let before = release_facts(app, &friday).await;
    let refused = rm
        .error(MOVE, json!({ "id": friday, "action": "APPROVE" }))
        .await;
    assert_eq!(code(&refused), Some("FREEZE_CONFLICT"), "{refused}");
    let named = &refused["extensions"]["windows"][0];
    assert_eq!(named["id"], freeze.as_str());
    assert_eq!(named["title"], "Friday freeze");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(named["startsAt"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339("2026-12-04T15:00:00Z").unwrap()
    );
    assert_eq!(release_facts(app, &friday).await, before);
    // an override needs a reason
    let bare = rm
        .error(
            MOVE,
            json!({ "id": friday, "action": "APPROVE", "override": true }),
        )
        .await;
    assert_eq!(code(&bare), Some("VALIDATION"), "{bare}");
    let approved = rm
        .ok(
            MOVE,
            json!({ "id": friday, "action": "APPROVE", "override": true,
            "reason": "The vendor patch closes an exploited hole" }),
        )
        .await;
    assert_eq!(approved["transitionRelease"]["status"], "APPROVED");
    assert!(history_kinds(app, &friday)
        .await
        .contains(&"FREEZE_OVERRIDDEN".to_owned()));

    // Thursday 2026-12-03 09:00 UTC: starting is allowed
    app.clock.advance(Duration::days(6));
    assert_eq!(
        rm.ok(MOVE, json!({ "id": thursday, "action": "START" }))
            .await["transitionRelease"]["status"],
        "ACTIVE"
    );

    // Friday 17:00 local: START inside the freeze is refused
    app.clock.advance(Duration::hours(31));
    let refused = rm
        .error(MOVE, json!({ "id": friday, "action": "START" }))
        .await;
    assert_eq!(code(&refused), Some("FREEZE_CONFLICT"), "{refused}");
    // Friday 23:30 local (22:30 UTC): still frozen in winter time, though a
    // freeze kept in UTC from its summer start would have ended at 22:00
    app.clock.advance(Duration::minutes(390));
    let refused = rm
        .error(MOVE, json!({ "id": late, "action": "START" }))
        .await;
    assert_eq!(code(&refused), Some("FREEZE_CONFLICT"), "{refused}");
    // a change manager may not override, a release manager may
    let forbidden = app
        .as_bearer(Some(&changes))
        .error(
            MOVE,
            json!({ "id": late, "action": "START", "override": true, "reason": "now" }),
        )
        .await;
    assert_eq!(code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
    assert_eq!(release_facts(app, &late).await.0, "APPROVED");
    // after midnight local the freeze is over
    app.clock.advance(Duration::hours(1));
    assert_eq!(
        rm.ok(MOVE, json!({ "id": late, "action": "START" })).await["transitionRelease"]["status"],
        "ACTIVE"
    );
    let started = rm
        .ok(MOVE, json!({ "id": friday, "action": "START", "override": true, "reason": "Agreed with the service owner" }))
        .await;
    assert_eq!(started["transitionRelease"]["status"], "ACTIVE");

    // moving a running release into next Friday's freeze is held too
    let (_, version) = release_facts(app, &thursday).await;
    let into = json!({ "plannedEnd": "2026-12-11T18:00:00Z" });
    let refused = rm
        .error(EDIT, json!({ "id": thursday, "v": version, "input": into }))
        .await;
    assert_eq!(code(&refused), Some("FREEZE_CONFLICT"), "{refused}");
    assert_eq!(release_facts(app, &thursday).await.1, version);
    let moved = rm
        .ok(EDIT, json!({ "id": thursday, "v": version, "input": into, "override": true, "reason": "Data migration runs long" }))
        .await;
    assert_eq!(moved["updateRelease"]["version"], version + 1);
    assert!(history_kinds(app, &thursday)
        .await
        .contains(&"FREEZE_OVERRIDDEN".to_owned()));

    // the audit trail keeps who overrode, and how
    let audit = app
        .ok(
            "{ auditEvents(filter: { operation: \"transitionRelease\" }, first: 100) { outcome arguments } }",
            json!({}),
        )
        .await;
    let overrides: Vec<&Value> = audit["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["outcome"] == "OK"
                && e["arguments"]
                    .as_str()
                    .is_some_and(|a| a.contains("\"overrideFreeze\":true"))
        })
        .collect();
    assert_eq!(overrides.len(), 2, "{audit}");
}

async fn a_board_verdict_into_a_hard_freeze_is_held_and_recorded(app: &TestApp) {
    board_decides_every_release(app, "ALL").await;
    let (_, member) = app.user("Ann Board", &[Role::ReviewBoard]).await;
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let mail = item(app, "mail-01").await;
    window(app, &manager, friday_freeze("HARD", &[&mail])).await;
    let owner = fixtures::person(app, "Olga Owner").await;
    let created = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail cut-over", "type": "MAJOR", "useTemplate": false,
            "plannedStart": "2026-12-04T16:00:00Z", "plannedEnd": "2026-12-04T20:00:00Z" }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.ok(
        "mutation($input: CreatePackageInput!) { createPackage(input: $input) { id } }",
        json!({ "input": { "name": "mail", "releaseId": id, "itemIds": [mail] } }),
    )
    .await;
    fixtures::transition(app, &id, "SUBMIT").await;
    let approval = app
        .ok(
            "query($id: ID!) { release(id: $id) { approvals { id status } } }",
            json!({ "id": id }),
        )
        .await["release"]["approvals"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let voted = app
        .as_bearer(Some(&member))
        .ok(
            "mutation($input: CastVoteInput!) { castVote(input: $input) { status } }",
            json!({ "input": { "approvalId": approval, "decision": "APPROVED" } }),
        )
        .await;
    // the verdict stands; the release does not move into the freeze
    assert_eq!(voted["castVote"]["status"], "APPROVED");
    let read = fixtures::read(app, &id).await;
    assert_eq!(read["status"], "REQUESTED");
    assert!(history_kinds(app, &id)
        .await
        .contains(&"FREEZE_HELD".to_owned()));
    // a release manager finishes it: refused as it is, approved with an override
    assert!(fixtures::strings(&read["availableActions"]).contains(&"APPROVE".to_owned()));
    let rm = app.as_bearer(Some(&manager));
    let refused = rm
        .error(MOVE, json!({ "id": id, "action": "APPROVE" }))
        .await;
    assert_eq!(code(&refused), Some("FREEZE_CONFLICT"), "{refused}");
    let approved = rm
        .ok(MOVE, json!({ "id": id, "action": "APPROVE", "override": true, "reason": "Board approved; the outage is booked" }))
        .await;
    assert_eq!(approved["transitionRelease"]["status"], "APPROVED");
}

async fn soft_freezes_and_maintenance_windows_only_warn(app: &TestApp) {
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let web = item(app, "web-01").await;
    let db = item(app, "db-01").await;
    window(
        app,
        &manager,
        json!({ "title": "Campaign week", "kind": "FREEZE", "enforcement": "SOFT",
        "startsAt": "2026-12-04T00:00:00Z", "endsAt": "2026-12-05T00:00:00Z", "timeZone": "UTC",
        "itemIds": [web], "reason": "Marketing campaign" }),
    )
    .await;
    window(
        app,
        &manager,
        json!({ "title": "Saturday nights", "kind": "MAINTENANCE", "enforcement": "SOFT",
        "startsAt": "2026-11-28T02:00:00Z", "endsAt": "2026-11-28T06:00:00Z", "timeZone": "UTC",
        "recurrence": "FREQ=WEEKLY;COUNT=20", "itemIds": [db], "reason": "Agreed outage slot" }),
    )
    .await;
    let id = requested(
        app,
        "Web and database",
        "2026-12-04T10:00:00Z",
        "2026-12-04T11:00:00Z",
        &[&web, &db],
    )
    .await;
    let conflicts = app.ok(CONFLICTS, json!({ "id": id })).await["release"]["conflicts"].clone();
    let kinds: Vec<(String, bool, String)> = conflicts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["blocking"].as_bool().unwrap(),
                c["item"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("FREEZE".to_owned(), false, "web-01".to_owned()),
            ("OUTSIDE_MAINTENANCE".to_owned(), false, "db-01".to_owned()),
        ],
        "{conflicts}"
    );
    // warnings refuse nothing
    let rm = app.as_bearer(Some(&manager));
    assert_eq!(
        rm.ok(MOVE, json!({ "id": id, "action": "APPROVE" })).await["transitionRelease"]["status"],
        "APPROVED"
    );
    // inside Saturday's slot and outside the campaign: no conflict left
    let version = release_facts(app, &id).await.1;
    rm.ok(EDIT, json!({ "id": id, "v": version,
        "input": { "plannedStart": "2026-12-05T03:00:00Z", "plannedEnd": "2026-12-05T04:00:00Z" } }))
        .await;
    let conflicts = app.ok(CONFLICTS, json!({ "id": id })).await["release"]["conflicts"].clone();
    assert_eq!(conflicts, json!([]));

    // a hard freeze over every item holds a release without packages, and shows as blocking
    window(app, &manager, json!({ "title": "Year end", "kind": "FREEZE", "enforcement": "HARD",
        "startsAt": "2026-12-20T00:00:00Z", "endsAt": "2027-01-04T00:00:00Z", "timeZone": "Europe/Berlin",
        "itemIds": [], "reason": "Year-end closing" }))
    .await;
    let bare = requested(
        app,
        "Holiday tidy-up",
        "2026-12-24T08:00:00Z",
        "2026-12-24T09:00:00Z",
        &[],
    )
    .await;
    let conflicts = app.ok(CONFLICTS, json!({ "id": bare })).await["release"]["conflicts"].clone();
    assert_eq!(conflicts[0]["kind"], "FREEZE", "{conflicts}");
    assert_eq!(conflicts[0]["blocking"], true);
    assert_eq!(conflicts[0]["item"], Value::Null);
    assert_eq!(conflicts[0]["window"]["title"], "Year end");
    let refused = rm
        .error(MOVE, json!({ "id": bare, "action": "APPROVE" }))
        .await;
    assert_eq!(code(&refused), Some("FREEZE_CONFLICT"), "{refused}");
}

async fn freeze_mails(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("FREEZE_OVERLAP"))
        .order_by_asc(outbox_message::Column::Id)
        .all(app.database())
        .await
        .expect("outbox rows")
}

async fn a_new_freeze_tells_the_owners_of_releases_it_overlaps_once(app: &TestApp) {
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let crm = item(app, "crm-01").await;
    let approved = requested(
        app,
        "CRM upgrade",
        "2026-12-10T10:00:00Z",
        "2026-12-10T12:00:00Z",
        &[&crm],
    )
    .await;
    fixtures::transition(app, &approved, "APPROVE").await;
    let _waiting = requested(
        app,
        "CRM report",
        "2026-12-10T13:00:00Z",
        "2026-12-10T14:00:00Z",
        &[&crm],
    )
    .await;
    let later = requested(
        app,
        "CRM cleanup",
        "2026-12-17T10:00:00Z",
        "2026-12-17T12:00:00Z",
        &[&crm],
    )
    .await;
    fixtures::transition(app, &later, "APPROVE").await;
    let id = window(
        app,
        &manager,
        json!({ "title": "Audit day", "kind": "FREEZE", "enforcement": "HARD",
        "startsAt": "2026-12-10T00:00:00Z", "endsAt": "2026-12-11T00:00:00Z", "timeZone": "UTC",
        "itemIds": [crm], "reason": "External audit" }),
    )
    .await;
    let mails = freeze_mails(app).await;
    assert_eq!(
        mails.len(),
        1,
        "only the approved release inside the freeze: {mails:?}"
    );
    assert_eq!(mails[0].release_id, Some(approved.parse().unwrap()));
    assert_eq!(mails[0].recipient, "owner.crm.upgrade@example.com");
    assert!(
        mails[0].subject.contains("Audit day"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0].text_body.contains("overrides the freeze"),
        "{}",
        mails[0].text_body
    );
    // an edit tells nobody twice
    app.as_bearer(Some(&manager))
        .ok(
            "mutation($id: ID!) { updateScheduleWindow(id: $id, expectedVersion: 1, input: { title: \"Audit days\" }) { version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(freeze_mails(app).await.len(), 1);
}

async fn a_freeze_and_an_approval_meeting_never_pass_each_other(app: &TestApp) {
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let crm = item(app, "crm-01").await;
    let id = requested(
        app,
        "CRM upgrade",
        "2026-12-10T10:00:00Z",
        "2026-12-10T12:00:00Z",
        &[&crm],
    )
    .await;
    let rm = app.as_bearer(Some(&manager));
    let freeze = json!({ "input": { "title": "Audit day", "kind": "FREEZE", "enforcement": "HARD",
        "startsAt": "2026-12-10T00:00:00Z", "endsAt": "2026-12-11T00:00:00Z", "timeZone": "UTC",
        "itemIds": [crm], "reason": "External audit" } });
    let gate = app.gate_schedule().await;
    let (approval, created, ()) = tokio::join!(
        rm.graphql(MOVE, json!({ "id": id, "action": "APPROVE" })),
        rm.graphql(CREATE_WINDOW, freeze),
        gate.open_when_waiting(2),
    );
    assert!(created["errors"].is_null(), "{created}");
    let status = release_facts(app, &id).await.0;
    let mails = freeze_mails(app).await;
    match error_code(&approval) {
        // the freeze came first: the approval saw it
        Some("FREEZE_CONFLICT") => {
            assert_eq!(status, "REQUESTED");
            assert!(mails.is_empty(), "{mails:?}");
        }
        // the approval came first: the freeze found it and told its owner
        None => {
            assert_eq!(status, "APPROVED");
            assert_eq!(mails.len(), 1, "{mails:?}");
        }
        other => panic!("unexpected answer {other:?}: {approval}"),
    }
}

async fn the_next_free_window_skips_freezes_busy_releases_and_keeps_to_maintenance(app: &TestApp) {
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let mail = item(app, "mail-01").await;
    window(app, &manager, friday_freeze("HARD", &[&mail])).await;
    let busy = requested(
        app,
        "Thursday upgrade",
        "2026-12-03T10:00:00Z",
        "2026-12-03T14:00:00Z",
        &[&mail],
    )
    .await;
    fixtures::transition(app, &busy, "APPROVE").await;
    // two hours long
    let id = requested(
        app,
        "Mail patch",
        "2027-01-10T10:00:00Z",
        "2027-01-10T12:00:00Z",
        &[&mail],
    )
    .await;
    const NEXT: &str = "query($id: ID!, $after: DateTime!, $days: Int) {
        nextFreeWindow(releaseId: $id, after: $after, withinDays: $days) { startsAt endsAt } }";
    let next = |after: &'static str| {
        let id = id.clone();
        async move { app.ok(NEXT, json!({ "id": id, "after": after })).await["nextFreeWindow"].clone() }
    };
    let at =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v["startsAt"].as_str().unwrap()).unwrap();
    let utc = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
    // Thursday: after the other release on the same item
    assert_eq!(
        at(&next("2026-12-03T09:00:00Z").await),
        utc("2026-12-03T14:00:00Z")
    );
    // Friday afternoon: after the freeze, which ends at midnight Berlin time
    assert_eq!(
        at(&next("2026-12-04T14:00:00Z").await),
        utc("2026-12-04T23:00:00Z")
    );
    // with Sunday-night maintenance on the item, inside it
    window(
        app,
        &manager,
        json!({ "title": "Sunday nights", "kind": "MAINTENANCE", "enforcement": "SOFT",
        "startsAt": "2026-11-29T02:00:00Z", "endsAt": "2026-11-29T06:00:00Z", "timeZone": "UTC",
        "recurrence": "FREQ=WEEKLY;COUNT=30", "itemIds": [mail], "reason": "Agreed outage slot" }),
    )
    .await;
    let found = next("2026-12-04T14:00:00Z").await;
    assert_eq!(at(&found), utc("2026-12-06T02:00:00Z"), "{found}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(found["endsAt"].as_str().unwrap()).unwrap(),
        utc("2026-12-06T04:00:00Z")
    );
    // none within a day of a Monday morning
    let none = app
        .ok(
            NEXT,
            json!({ "id": id, "after": "2026-12-07T08:00:00Z", "days": 1 }),
        )
        .await;
    assert_eq!(none["nextFreeWindow"], Value::Null);
    let bad = app
        .error(
            NEXT,
            json!({ "id": id, "after": "2026-12-07T08:00:00Z", "days": 0 }),
        )
        .await;
    assert_eq!(code(&bad), Some("VALIDATION"), "{bad}");
}

on_both_databases!(with releasedesk_tests::gated_settings();
    the_next_free_window_skips_freezes_busy_releases_and_keeps_to_maintenance,
    a_weekly_hard_freeze_holds_start_on_fridays_across_summer_time,
    a_board_verdict_into_a_hard_freeze_is_held_and_recorded,
    soft_freezes_and_maintenance_windows_only_warn,
    a_new_freeze_tells_the_owners_of_releases_it_overlaps_once,
    a_freeze_and_an_approval_meeting_never_pass_each_other,
);
