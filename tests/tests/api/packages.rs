//! Configuration items and release packages: what releases roll out, which
//! releases touch an item, and the conflict warning.

use crate::fixtures::{self, window};
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

async fn item(app: &TestApp, name: &str) -> Value {
    app.ok(
        "mutation($n: String!) { createConfigurationItem(input: { name: $n, type: SERVER, version: \"2019\" }) { id name } }",
        json!({ "n": name }),
    )
    .await["createConfigurationItem"]["id"]
        .clone()
}

async fn change(app: &TestApp, requester: &str, items: &[&Value]) -> Value {
    let id = app
        .ok(
            "mutation($r: ID!) { createChange(input: { title: \"Patch\", risk: LOW, requesterId: $r }) { id } }",
            json!({ "r": requester }),
        )
        .await["createChange"]["id"]
        .clone();
    app.ok(
        "mutation($c: ID!, $i: [ID!]!) { setChangeItems(changeId: $c, itemIds: $i) }",
        json!({ "c": id, "i": items }),
    )
    .await;
    id
}

const PACKAGE: &str = "mutation($i: CreatePackageInput!) { createPackage(input: $i) { id name change { id } items { name } } }";

fn names(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

async fn a_package_holds_its_change_items_unless_told_otherwise(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (a, b, c) = (
        item(app, "mail-01").await,
        item(app, "mail-02").await,
        item(app, "proxy-01").await,
    );
    let chg = change(app, &owner, &[&a, &b]).await;
    let (start, end) = window(0, 10);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let package = app
        .ok(
            PACKAGE,
            json!({ "i": { "name": "Mail servers", "releaseId": release["id"], "changeId": chg } }),
        )
        .await["createPackage"]
        .clone();
    assert_eq!(names(&package["items"]), ["mail-01", "mail-02"]);
    assert_eq!(package["change"]["id"], chg);
    let edited = app
        .ok(
            "mutation($p: ID!, $i: [ID!]!) { setPackageItems(id: $p, itemIds: $i) { items { name } } }",
            json!({ "p": package["id"], "i": [c] }),
        )
        .await;
    assert_eq!(names(&edited["setPackageItems"]["items"]), ["proxy-01"]);
    let listed = app
        .ok(
            "query($r: ID!) { release(id: $r) { packages { name items { name } } } }",
            json!({ "r": release["id"] }),
        )
        .await;
    assert_eq!(listed["release"]["packages"][0]["name"], "Mail servers");
    let missing = app
        .expect_code(
            PACKAGE,
            json!({ "i": { "name": "Bad", "releaseId": release["id"], "itemIds": ["99999"] } }),
            "VALIDATION",
        )
        .await;
    assert_eq!(missing["extensions"]["field"], "itemIds");
}

async fn phased_rollouts_have_a_package_per_phase(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let a = item(app, "ws-site-a").await;
    let (start, end) = window(0, 100);
    let master = fixtures::release(
        app,
        &owner,
        json!({ "title": "Windows 11", "type": "MAJOR", "scope": "MASTER", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let mut phases = Vec::new();
    for (n, offset) in [(1, 10), (2, 40)] {
        let (s, e) = window(offset, 20);
        phases.push(
            fixtures::release(
                app,
                &owner,
                json!({ "title": format!("Site {n}"), "type": "MINOR", "scope": "PHASE", "masterId": master["id"], "plannedStart": s, "plannedEnd": e }),
            )
            .await,
        );
    }
    let chg = change(app, &owner, &[&a]).await;
    app.ok(
        "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }",
        json!({ "c": chg, "r": master["id"] }),
    )
    .await;
    for phase in &phases {
        let package = app
            .ok(
                PACKAGE,
                json!({ "i": { "name": "Rollout", "releaseId": phase["id"], "changeId": chg } }),
            )
            .await;
        assert_eq!(names(&package["createPackage"]["items"]), ["ws-site-a"]);
    }
    // a change linked elsewhere cannot be packaged here
    let (s, e) = window(0, 5);
    let other = fixtures::release(
        app,
        &owner,
        json!({ "title": "Other", "type": "MINOR", "plannedStart": s, "plannedEnd": e }),
    )
    .await;
    let refused = app
        .expect_code(
            PACKAGE,
            json!({ "i": { "name": "Stray", "releaseId": other["id"], "changeId": chg } }),
            "VALIDATION",
        )
        .await;
    assert_eq!(refused["extensions"]["field"], "changeId");
}

async fn releases_touching_an_item_are_found_and_overlaps_warned(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let shared = item(app, "db-cluster").await;
    let mut releases = Vec::new();
    for (title, offset) in [("First", 0), ("Second", 5), ("Later", 60)] {
        let (s, e) = window(offset, 10);
        let release = fixtures::release(
            app,
            &owner,
            json!({ "title": title, "type": "MINOR", "plannedStart": s, "plannedEnd": e }),
        )
        .await;
        app.ok(
            PACKAGE,
            json!({ "i": { "name": "DB", "releaseId": release["id"], "itemIds": [shared] } }),
        )
        .await;
        releases.push(release);
    }
    let conflicts =
        "query($r: ID!) { release(id: $r) { conflicts { item { name } release { title } } } }";
    // drafts are not committed: no warning yet
    let none = app.ok(conflicts, json!({ "r": releases[0]["id"] })).await;
    assert_eq!(none["release"]["conflicts"], json!([]));
    for release in &releases {
        let id = release["id"].as_str().unwrap();
        fixtures::transition(app, id, "SUBMIT").await;
        fixtures::transition(app, id, "APPROVE").await;
    }
    let warned = app.ok(conflicts, json!({ "r": releases[0]["id"] })).await;
    assert_eq!(
        warned["release"]["conflicts"],
        json!([{ "item": { "name": "db-cluster" }, "release": { "title": "Second" } }])
    );
    let (from, to) = window(0, 30);
    let touching = app
        .ok(
            "query($i: ID!, $f: DateTime!, $t: DateTime!) { releasesTouching(itemId: $i, between: { start: $f, end: $t }) { title } }",
            json!({ "i": shared, "f": from, "t": to }),
        )
        .await;
    assert_eq!(
        touching["releasesTouching"],
        json!([{ "title": "First" }, { "title": "Second" }])
    );
}

on_both_databases!(
    a_package_holds_its_change_items_unless_told_otherwise,
    phased_rollouts_have_a_package_per_phase,
    releases_touching_an_item_are_found_and_overlaps_warned,
);
