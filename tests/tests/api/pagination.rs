//! The release list: order, cursors, filters and counts.

use crate::fixtures::{self, window};
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const LIST: &str = "query($first: Int, $after: String, $last: Int, $before: String, $filter: ReleaseFilter, $orderBy: ReleaseOrder) {
    releases(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id title } } } }";

fn ids(page: &Value) -> Vec<i64> {
    page["releases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

async fn create_many(app: &TestApp, owner: &str, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..count {
        let r = fixtures::release(
            app,
            owner,
            json!({ "title": format!("Release {n}"), "type": "MINOR" }),
        )
        .await;
        ids.push(r["id"].as_str().unwrap().parse().unwrap());
    }
    ids
}

async fn list_is_newest_first_and_cursors_survive_inserts(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let created = create_many(app, &owner, 5).await;
    let first = app.ok(LIST, json!({ "first": 2 })).await;
    assert_eq!(ids(&first), [created[4], created[3]]);
    assert_eq!(first["releases"]["totalCount"], 5);
    assert_eq!(first["releases"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["releases"]["pageInfo"]["hasPreviousPage"], false);

    // a new release arrives between page requests: the next page neither repeats nor skips
    create_many(app, &owner, 1).await;
    let after = first["releases"]["pageInfo"]["endCursor"].clone();
    let second = app.ok(LIST, json!({ "first": 2, "after": after })).await;
    assert_eq!(ids(&second), [created[2], created[1]]);
    let third = app
        .ok(
            LIST,
            json!({ "first": 2, "after": second["releases"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(ids(&third), [created[0]]);
    assert_eq!(third["releases"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(third["releases"]["totalCount"], 6);

    // and backwards from the end
    let before = third["releases"]["edges"][0]["cursor"].clone();
    let back = app.ok(LIST, json!({ "last": 2, "before": before })).await;
    assert_eq!(ids(&back), [created[2], created[1]]);
    assert_eq!(back["releases"]["pageInfo"]["hasPreviousPage"], true);
    let oldest = app.ok(LIST, json!({ "last": 1 })).await;
    assert_eq!(ids(&oldest), [created[0]]);
}

async fn planned_start_order_puts_undated_releases_last(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let mut expected = Vec::new();
    for (title, offset) in [
        ("late", Some(30)),
        ("none", None),
        ("early", Some(1)),
        ("mid", Some(10)),
    ] {
        let mut input = json!({ "title": title, "type": "MINOR" });
        if let Some(offset) = offset {
            let (start, end) = window(offset, 1);
            input["plannedStart"] = json!(start);
            input["plannedEnd"] = json!(end);
        }
        fixtures::release(app, &owner, input).await;
        expected.push(title);
    }
    let titles = |page: &Value| -> Vec<String> {
        page["releases"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(LIST, json!({ "first": 1, "after": after, "orderBy": { "field": "PLANNED_START", "direction": "ASC" } }))
            .await;
        walked.extend(titles(&page));
        if page["releases"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["releases"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, ["early", "mid", "late", "none"]);
    let desc = app
        .ok(
            LIST,
            json!({ "orderBy": { "field": "PLANNED_START", "direction": "DESC" } }),
        )
        .await;
    assert_eq!(titles(&desc), ["late", "mid", "early", "none"]);
    let back = app
        .ok(
            LIST,
            json!({ "last": 3, "orderBy": { "field": "PLANNED_START", "direction": "ASC" } }),
        )
        .await;
    assert_eq!(titles(&back), ["mid", "late", "none"]);
}

async fn filters_combine_and_count(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let other = fixtures::person(app, "Other").await;
    let (ms, me) = window(0, 100);
    let master = fixtures::release(
        app,
        &owner,
        json!({ "title": "Windows rollout", "type": "MAJOR", "scope": "MASTER", "plannedStart": ms, "plannedEnd": me }),
    )
    .await;
    let (ps, pe) = window(50, 10);
    let phase = fixtures::release(
        app,
        &other,
        json!({ "title": "Lisbon site", "type": "MINOR", "scope": "PHASE", "masterId": master["id"], "plannedStart": ps, "plannedEnd": pe }),
    )
    .await;
    let fix = fixtures::release(
        app,
        &owner,
        json!({ "title": "VPN hotfix", "description": "Patch for 100% of gateways", "type": "EMERGENCY" }),
    )
    .await;
    fixtures::transition(app, fix["id"].as_str().unwrap(), "SUBMIT").await;

    let count = |page: &Value| page["releases"]["totalCount"].as_u64().unwrap();
    let by = |filter: Value| app.ok(LIST, json!({ "filter": filter }));
    let page = by(json!({ "types": ["EMERGENCY"] })).await;
    assert_eq!(
        ids(&page),
        [fix["id"].as_str().unwrap().parse::<i64>().unwrap()]
    );
    assert_eq!(count(&by(json!({ "types": ["MAJOR", "MINOR"] })).await), 2);
    assert_eq!(count(&by(json!({ "scopes": ["PHASE"] })).await), 1);
    assert_eq!(count(&by(json!({ "statuses": ["REQUESTED"] })).await), 1);
    assert_eq!(
        count(&by(json!({ "statuses": ["DRAFT"], "types": ["EMERGENCY"] })).await),
        0
    );
    assert_eq!(
        count(&by(json!({ "search": "windows" })).await),
        1,
        "search ignores case"
    );
    assert_eq!(
        count(&by(json!({ "search": "100%" })).await),
        1,
        "search matches descriptions"
    );
    assert_eq!(
        count(&by(json!({ "search": "0%_" })).await),
        0,
        "wildcards are literal"
    );
    let phases = by(json!({ "masterId": master["id"] })).await;
    assert_eq!(
        ids(&phases),
        [phase["id"].as_str().unwrap().parse::<i64>().unwrap()]
    );
    assert_eq!(count(&by(json!({ "ownerId": other })).await), 1);
    let (s, e) = window(55, 1);
    assert_eq!(
        count(&by(json!({ "plannedBetween": { "start": s, "end": e } })).await),
        2
    );
    let (s, e) = window(200, 1);
    assert_eq!(
        count(&by(json!({ "plannedBetween": { "start": s, "end": e } })).await),
        0
    );
}

async fn page_arguments_are_checked(app: &TestApp) {
    let too_many = app
        .expect_code(LIST, json!({ "first": 101 }), "VALIDATION")
        .await;
    assert_eq!(too_many["extensions"]["field"], "first");
    app.expect_code(LIST, json!({ "first": 1, "last": 1 }), "VALIDATION")
        .await;
    let negative = app.error(LIST, json!({ "last": -1 })).await;
    assert_eq!(negative["extensions"]["field"], "last");
    let bad_cursor = app.error(LIST, json!({ "after": "bm9wZQ" })).await;
    assert_eq!(bad_cursor["extensions"]["field"], "after");
    let (s, e) = window(10, 1);
    app.expect_code(
        LIST,
        json!({ "filter": { "plannedBetween": { "start": e, "end": s } } }),
        "VALIDATION",
    )
    .await;
}

/// A forged cursor whose sort key lies outside 1970–9999 is refused, not compared
/// (SQLite would order year 20000 before 2027; PostgreSQL rejects ancient years).
async fn forged_cursors_out_of_range_are_refused(app: &TestApp) {
    // base64url of "r1:1:<micros>" for the years 20000 and about -4780
    for (cursor, field) in [
        ("cjE6MTo1Njg5NzEzNjAwMDAwMDAwMDA", "after"),
        ("cjE6MTotMjEzMDAwMDAwMDAwMDAwMDAw", "after"),
    ] {
        let error = app
            .expect_code(
                LIST,
                json!({ "first": 2, "after": cursor, "orderBy": { "field": "PLANNED_START", "direction": "ASC" } }),
                "VALIDATION",
            )
            .await;
        assert_eq!(error["extensions"]["field"], field, "{error}");
    }
}

on_both_databases!(
    forged_cursors_out_of_range_are_refused,
    list_is_newest_first_and_cursors_survive_inserts,
    planned_start_order_puts_undated_releases_last,
    filters_combine_and_count,
    page_arguments_are_checked,
);
