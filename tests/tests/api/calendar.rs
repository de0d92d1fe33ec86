//! The forward schedule (`schedule`) as each viewer sees it, and calendar
//! feeds over the real HTTP endpoint, parsed by an iCalendar parser
//! (the `ical` crate): what the owner may see and nothing else, a SEQUENCE
//! that rises with an edit, CANCELLED releases, 304 for a matching
//! `If-None-Match`, and nothing after revocation.

use crate::fixtures;
use entities::entity::Role;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const CREATE: &str = "mutation($name: String!, $filter: CalendarFeedFilter) {
    createCalendarFeed(name: $name, filter: $filter) { url feed { id name windows } } }";

/// The path of a feed's address, and the feed's id.
async fn feed(app: &TestApp, token: &str, filter: Value) -> (String, String) {
    let issued = app
        .as_bearer(Some(token))
        .ok(CREATE, json!({ "name": "My releases", "filter": filter }))
        .await["createCalendarFeed"]
        .clone();
    let url = issued["url"].as_str().unwrap();
    let path = &url[url.find("/calendar/").expect("a feed path")..];
    assert!(path.ends_with(".ics"), "{url}");
    (
        path.to_owned(),
        issued["feed"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The feed's events by UID: each event's properties by name.
fn events(body: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut parser = ical::IcalParser::new(body.as_bytes());
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(parser.next().is_none(), "exactly one calendar");
    calendar
        .events
        .into_iter()
        .map(|event| {
            let properties: BTreeMap<String, String> = event
                .properties
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect();
            (properties["UID"].clone(), properties)
        })
        .collect()
}

async fn fetch(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = app.http().get(format!("{}{path}", app.base_url));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.expect("the feed answers")
}

async fn a_feed_shows_what_its_owner_may_see_and_follows_changes(app: &TestApp) {
    let (sam_id, sam) = app.user("Sam Stakeholder", &[]).await;
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let (start, end) = ("2026-12-10T08:00:00Z", "2026-12-10T12:00:00Z");
    let mine = fixtures::release(
        app,
        &sam_id.to_string(),
        json!({ "title": "Mail, upgrade; phase 1", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let other = fixtures::person(app, "Olga Other").await;
    let hidden = fixtures::release(
        app,
        &other,
        json!({ "title": "Payroll", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    app.as_bearer(Some(&manager))
        .ok(
            "mutation { createScheduleWindow(input: { title: \"Year end\", kind: FREEZE, enforcement: HARD,
                startsAt: \"2026-12-20T00:00:00Z\", endsAt: \"2027-01-04T00:00:00Z\", timeZone: \"UTC\",
                itemIds: [], reason: \"Closing the books\" }) { id } }",
            json!({}),
        )
        .await;
    let (path, feed_id) = feed(app, &sam, json!(null)).await;

    let first = fetch(app, &path, None).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body = first.text().await.unwrap();
    assert!(body.lines().all(|l| l.len() <= 75), "lines are folded");
    let found = events(&body);
    let uid = format!("release-{}@releasedesk", mine["id"].as_str().unwrap());
    let event = &found[&uid];
    assert_eq!(
        event["SUMMARY"],
        format!(
            "#{} Mail\\, upgrade\\; phase 1 (DRAFT)",
            mine["id"].as_str().unwrap()
        )
    );
    assert_eq!(event["DTSTART"], "20261210T080000Z");
    assert_eq!(event["DTEND"], "20261210T120000Z");
    assert_eq!(event["STATUS"], "TENTATIVE");
    assert!(event["URL"].ends_with(&format!("/#/releases/{}", mine["id"].as_str().unwrap())));
    let sequence: i64 = event["SEQUENCE"].parse().unwrap();
    assert!(
        !found.contains_key(&format!(
            "release-{}@releasedesk",
            hidden["id"].as_str().unwrap()
        )),
        "a release the owner may not see stays out"
    );
    let freeze = found
        .values()
        .find(|e| e["SUMMARY"] == "Hard freeze: Year end")
        .expect("the freeze");
    assert_eq!(freeze["DTSTART"], "20261220T000000Z");

    // unchanged: 304, no body
    let again = fetch(app, &path, Some(&etag)).await;
    assert_eq!(again.status(), 304);

    // an edit raises SEQUENCE and changes the ETag
    app.ok(
        "mutation($id: ID!, $v: Int!) { updateRelease(id: $id, input: { title: \"Mail upgrade\" }, expectedVersion: $v) { id } }",
        json!({ "id": mine["id"], "v": mine["version"] }),
    )
    .await;
    let edited = fetch(app, &path, Some(&etag)).await;
    assert_eq!(edited.status(), 200);
    let found = events(&edited.text().await.unwrap());
    assert!(found[&uid]["SEQUENCE"].parse::<i64>().unwrap() > sequence);
    // a cancelled release stays in the feed as CANCELLED
    app.ok(
        "mutation($id: ID!) { transitionRelease(id: $id, action: CANCEL, reason: \"vendor late\") { id } }",
        json!({ "id": mine["id"] }),
    )
    .await;
    let found = events(&fetch(app, &path, None).await.text().await.unwrap());
    assert_eq!(found[&uid]["STATUS"], "CANCELLED");

    // a feed without windows shows none
    let (bare, _) = feed(app, &sam, json!({ "windows": false })).await;
    let found = events(&fetch(app, &bare, None).await.text().await.unwrap());
    assert!(
        found.keys().all(|uid| uid.starts_with("release-")),
        "{found:?}"
    );

    // someone else cannot revoke it; its owner can, and it stops answering
    let refused = app
        .as_bearer(Some(&manager))
        .error(
            "mutation($id: ID!) { revokeCalendarFeed(id: $id) { id } }",
            json!({ "id": feed_id }),
        )
        .await;
    assert_eq!(refused["extensions"]["code"], "NOT_FOUND", "{refused}");
    let revoked = app
        .as_bearer(Some(&sam))
        .ok(
            "mutation($id: ID!) { revokeCalendarFeed(id: $id) { revokedAt } }",
            json!({ "id": feed_id }),
        )
        .await;
    assert!(revoked["revokeCalendarFeed"]["revokedAt"].is_string());
    assert_eq!(fetch(app, &path, None).await.status(), 404);
    let listed = app
        .as_bearer(Some(&sam))
        .ok("{ myCalendarFeeds { id revokedAt } }", json!({}))
        .await;
    assert_eq!(listed["myCalendarFeeds"].as_array().unwrap().len(), 2);
}

async fn unknown_feeds_and_bad_names_are_refused_and_write_nothing(app: &TestApp) {
    for path in [
        "/calendar/rdcal_0000000000000000000000000000000000000000000000000000000000000000.ics",
        "/calendar/nothing.ics",
        "/calendar/rdcal_abc",
    ] {
        assert_eq!(fetch(app, path, None).await.status(), 404, "{path}");
    }
    for name in ["", "   ", "two\nlines", &"x".repeat(201)] {
        let refused = app
            .error(CREATE, json!({ "name": name, "filter": null }))
            .await;
        assert_eq!(
            refused["extensions"]["code"], "VALIDATION",
            "{name:?}: {refused}"
        );
    }
    let listed = app.ok("{ myCalendarFeeds { id } }", json!({})).await;
    assert_eq!(listed["myCalendarFeeds"], json!([]));
}

async fn the_schedule_lists_releases_changes_and_windows_as_the_viewer_sees_them(app: &TestApp) {
    let (sam_id, sam) = app.user("Sam Stakeholder", &[]).await;
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let mine = fixtures::release(
        app,
        &sam_id.to_string(),
        json!({ "title": "Mail upgrade", "type": "MINOR",
            "plannedStart": "2026-12-10T08:00:00Z", "plannedEnd": "2026-12-10T12:00:00Z" }),
    )
    .await;
    let other = fixtures::person(app, "Olga Other").await;
    fixtures::release(
        app,
        &other,
        json!({ "title": "Payroll", "type": "MAJOR", "useTemplate": false,
            "plannedStart": "2026-12-09T08:00:00Z", "plannedEnd": "2026-12-09T12:00:00Z" }),
    )
    .await;
    let requester = fixtures::person(app, "Rick Requester").await;
    let change = app
        .ok(
            "mutation($p: ID!) { createChange(input: { title: \"Patch mail\", risk: LOW, requesterId: $p }) { id } }",
            json!({ "p": requester }),
        )
        .await["createChange"]["id"]
        .clone();
    app.ok(
        "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }",
        json!({ "c": change, "r": mine["id"] }),
    )
    .await;
    app.as_bearer(Some(&manager))
        .ok(
            "mutation { createScheduleWindow(input: { title: \"Audit day\", kind: FREEZE, enforcement: SOFT,
                startsAt: \"2026-12-10T00:00:00Z\", endsAt: \"2026-12-11T00:00:00Z\", timeZone: \"UTC\",
                itemIds: [], reason: \"External audit\" }) { id } }",
            json!({}),
        )
        .await;
    let query = "query($filter: ScheduleFilter) { schedule(from: \"2026-12-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\", filter: $filter) {
        kind title startsAt release { id } change { id } occurrence { window { title } } } }";
    let titles = |data: &Value| -> Vec<(String, String)> {
        data["schedule"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().to_owned(),
                    e["title"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair = |k: &str, t: &str| (k.to_owned(), t.to_owned());
    // everything, by start, for the administrator
    let all = app.ok(query, json!({ "filter": null })).await;
    assert_eq!(
        titles(&all),
        [
            pair("RELEASE", "Payroll"),
            pair("FREEZE", "Audit day"),
            pair("RELEASE", "Mail upgrade"),
            pair("CHANGE", "Patch mail"),
        ],
        "{all}"
    );
    // the stakeholder sees their release, its change and the window, not Payroll
    let seen = app
        .as_bearer(Some(&sam))
        .ok(query, json!({ "filter": null }))
        .await;
    assert_eq!(
        titles(&seen),
        [
            pair("FREEZE", "Audit day"),
            pair("RELEASE", "Mail upgrade"),
            pair("CHANGE", "Patch mail")
        ]
    );
    let majors = app
        .ok(
            query,
            json!({ "filter": { "types": ["MAJOR"], "changes": false, "windows": false } }),
        )
        .await;
    assert_eq!(titles(&majors), [pair("RELEASE", "Payroll")]);
    let refused = app
        .error(
            "{ schedule(from: \"2026-12-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\") { kind } }",
            json!({}),
        )
        .await;
    assert_eq!(refused["extensions"]["code"], "VALIDATION", "{refused}");
}

on_both_databases!(
    the_schedule_lists_releases_changes_and_windows_as_the_viewer_sees_them,
    a_feed_shows_what_its_owner_may_see_and_follows_changes,
    unknown_feeds_and_bad_names_are_refused_and_write_nothing,
);
