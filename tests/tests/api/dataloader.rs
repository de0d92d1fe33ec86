//! Nested lists cost a fixed number of SQL statements, however long the page.

use crate::fixtures;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const DEEP_LIST: &str = "query($first: Int) { releases(first: $first) { totalCount edges { node {
    id title owner { name } availableActions master { id } phases { id }
    milestones { id title status availableActions release { id } }
    stakeholders { role person { email } }
    history { kind actor { name } }
    changes { number } packages { name items { name } } conflicts { item { name } } } } } }";

/// The page (1), its milestones (1) and its count (1), the releases'
/// lifecycle facts (1), phases (1), the milestones' actions (2), stakeholders (1), history (1), linked
/// changes (1), packages (1; their items cost nothing while there are none), the
/// conflict check (3) and the people named (1): the same for 2 releases as for 40,
/// however busy the machine, because the list resolver loads each relation for
/// the whole page.
const STATEMENTS_PER_PAGE: usize = 15;

async fn statements_for(app: &TestApp, first: usize) -> usize {
    // authentication costs the same on every request; measure it and leave it out
    app.reset_statements();
    app.ok("{ __typename }", json!({})).await;
    let authentication = app.statements();
    app.reset_statements();
    let data = app.ok(DEEP_LIST, json!({ "first": first })).await;
    assert_eq!(data["releases"]["edges"].as_array().unwrap().len(), first);
    app.statements() - authentication
}

async fn listing_releases_with_nested_lists_costs_a_fixed_number_of_queries(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let tester = fixtures::person(app, "Tester").await;
    for n in 0..40 {
        let release = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("R{n}"), "type": "MAJOR" }),
        )
        .await;
        app.ok(
            "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
            json!({ "r": release["id"], "p": tester }),
        )
        .await;
    }
    let for_two = statements_for(app, 2).await;
    let for_forty = statements_for(app, 40).await;
    eprintln!("statements: {for_two} for 2 releases, {for_forty} for 40");
    assert_eq!(for_two, STATEMENTS_PER_PAGE, "statements for a page of 2");
    assert_eq!(
        for_forty, STATEMENTS_PER_PAGE,
        "statements for a page of 40"
    );
}

/// A token's first request reads its holder and roles in one statement (and
/// notes its use); later ones are answered from memory. A release by id with
/// its milestones is one statement; a page of releases with theirs is two.
async fn a_plain_read_costs_two_statements_and_identities_are_remembered(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let release = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("R{n}"), "type": "MAJOR" }),
        )
        .await;
        ids.push(release["id"].clone());
    }
    let (_, token) = app
        .user("Reader", &[entities::entity::Role::ReleaseManager])
        .await;
    let reader = app.as_bearer(Some(&token));
    app.reset_statements();
    reader.ok("{ __typename }", json!({})).await;
    assert_eq!(
        app.statements(),
        2,
        "the holder with roles, then lastUsedAt"
    );
    app.reset_statements();
    reader.ok("{ __typename }", json!({})).await;
    assert_eq!(app.statements(), 0, "a remembered identity costs nothing");

    app.reset_statements();
    let one = reader
        .ok(
            "query($id: ID!) { release(id: $id) { id title milestones { id title status sequence } } }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_eq!(one["release"]["milestones"].as_array().unwrap().len(), 6);
    assert_eq!(
        app.statements(),
        1,
        "the release joined with its milestones"
    );
    let sequences: Vec<i64> = one["release"]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5, 6], "in sequence: {one}");

    app.reset_statements();
    let page = reader
        .ok(
            "{ releases(first: 20) { nodes { id title milestones { id title status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(page["releases"]["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.statements(),
        2,
        "the page, then the milestones of all of it"
    );

    // a hidden or missing release is one statement too, and answers the same
    app.reset_statements();
    let (_, stranger) = app.user("Stranger", &[]).await;
    let hidden = app
        .as_bearer(Some(&stranger))
        .expect_code(
            "query($id: ID!) { release(id: $id) { id } }",
            json!({ "id": ids[0] }),
            "NOT_FOUND",
        )
        .await;
    let missing = app
        .as_bearer(Some(&stranger))
        .expect_code("{ release(id: \"999999\") { id } }", json!({}), "NOT_FOUND")
        .await;
    assert_eq!(
        hidden["message"]
            .as_str()
            .unwrap()
            .replace(ids[0].as_str().unwrap(), "N"),
        missing["message"].as_str().unwrap().replace("999999", "N")
    );
}

const PAGE_WITH_MILESTONES: &str =
    "query($first: Int, $last: Int, $after: String, $order: ReleaseOrder) {
    releases(first: $first, last: $last, after: $after, orderBy: $order) {
      pageInfo { endCursor hasNextPage hasPreviousPage }
      edges { node { id milestones { id sequence title status plannedStart } } } } }";

/// A page loads its milestones with it, in one more statement: every release
/// gets exactly its own, in sequence (none for a release without any), in every
/// order and direction, as `release(id)` (a join) answers them.
async fn a_page_with_its_milestones_gives_each_release_its_own(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    for n in 0..7 {
        // MAJOR releases get template milestones, MINOR ones none; some are planned
        let mut input = json!({
            "title": format!("R{n}"),
            "type": if n % 3 == 1 { "MINOR" } else { "MAJOR" },
        });
        if n % 2 == 0 {
            let (start, end) = fixtures::window(10 - n, 3);
            input["plannedStart"] = json!(start);
            input["plannedEnd"] = json!(end);
        }
        fixtures::release(app, &owner, input).await;
    }
    let orders = [
        json!({ "first": 3 }),
        json!({ "last": 4 }),
        json!({ "first": 5, "order": { "field": "PLANNED_START", "direction": "ASC" } }),
        json!({ "last": 3, "order": { "field": "PLANNED_START", "direction": "DESC" } }),
        json!({ "first": 100 }),
    ];
    let mut seen_empty = false;
    for variables in orders {
        app.reset_statements();
        let page = app.ok(PAGE_WITH_MILESTONES, variables.clone()).await;
        assert_eq!(app.statements(), 2, "two statements for {variables}");
        let edges = page["releases"]["edges"].as_array().unwrap().clone();
        // the same rows in the same order as the page without milestones
        let plain = app
            .ok(
                "query($first: Int, $last: Int, $order: ReleaseOrder) {
                   releases(first: $first, last: $last, orderBy: $order) {
                     pageInfo { hasNextPage hasPreviousPage } nodes { id } } }",
                variables.clone(),
            )
            .await;
        let ids: Vec<&Value> = edges.iter().map(|e| &e["node"]["id"]).collect();
        let plain_ids: Vec<&Value> = plain["releases"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["id"])
            .collect();
        assert_eq!(ids, plain_ids, "order for {variables}");
        assert_eq!(
            page["releases"]["pageInfo"]["hasNextPage"],
            plain["releases"]["pageInfo"]["hasNextPage"]
        );
        assert_eq!(
            page["releases"]["pageInfo"]["hasPreviousPage"],
            plain["releases"]["pageInfo"]["hasPreviousPage"]
        );
        for edge in &edges {
            let node = &edge["node"];
            let alone = app
                .ok(
                    "query($id: ID!) { release(id: $id) { milestones { id sequence title status plannedStart } } }",
                    json!({ "id": node["id"] }),
                )
                .await;
            assert_eq!(
                node["milestones"], alone["release"]["milestones"],
                "milestones of release {}",
                node["id"]
            );
            seen_empty |= node["milestones"].as_array().unwrap().is_empty();
        }
    }
    assert!(seen_empty, "a release without milestones was on a page");
}

/// Every row of `E` in key order, decoded by SeaORM's derived code (by name)
/// and by [`entities::rows::Positional`].
async fn decoded_both_ways<E>(db: &sea_orm::DatabaseConnection) -> (Vec<E::Model>, Vec<E::Model>)
where
    E: sea_orm::EntityTrait,
    E::Model: entities::rows::ReadRow + Send + Sync,
{
    use entities::rows::Positional;
    use sea_orm::{Iterable, PrimaryKeyToColumn, QueryOrder};
    let ordered = || {
        let mut query = E::find();
        for key in E::PrimaryKey::iter() {
            query = query.order_by_asc(key.into_column());
        }
        query
    };
    let by_name = ordered().all(db).await.expect("read by name");
    let by_position = ordered()
        .into_model::<Positional<E::Model>>()
        .all(db)
        .await
        .expect("read by position")
        .into_iter()
        .map(|p| p.0)
        .collect();
    (by_name, by_position)
}

/// Reading rows by position gives exactly what SeaORM's by-name decoding
/// gives, NULLs and enums included.
async fn rows_read_by_position_equal_rows_read_by_name(app: &TestApp) {
    use entities::entity::{milestone, person, release, stakeholder};
    use entities::rows::Positional;
    use sea_orm::{EntityTrait, QuerySelect};
    let owner = fixtures::person(app, "Owner").await;
    let tester = fixtures::person(app, "Tester").await;
    let (start, end) = fixtures::window(0, 5);
    let planned = fixtures::release(
        app,
        &owner,
        json!({ "title": "Planned", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let cancelled =
        fixtures::release(app, &owner, json!({ "title": "Dropped", "type": "MINOR" })).await;
    app.ok(
        "mutation($id: ID!) { transitionRelease(id: $id, action: CANCEL, reason: \"not needed\") { id } }",
        json!({ "id": cancelled["id"] }),
    )
    .await;
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
        json!({ "r": planned["id"], "p": tester }),
    )
    .await;
    let db = app.database();
    let (by_name, by_position) = decoded_both_ways::<release::Entity>(db).await;
    assert!(by_name
        .iter()
        .any(|r| r.cancel_reason.is_some() && r.planned_start.is_none()));
    assert!(by_name.iter().any(|r| r.planned_start.is_some()));
    assert_eq!(by_position, by_name);
    let (by_name, by_position) = decoded_both_ways::<milestone::Entity>(db).await;
    assert!(!by_name.is_empty());
    assert_eq!(by_position, by_name);
    let (by_name, by_position) = decoded_both_ways::<stakeholder::Entity>(db).await;
    assert!(!by_name.is_empty());
    assert_eq!(by_position, by_name);
    let (by_name, by_position) = decoded_both_ways::<person::Entity>(db).await;
    assert_eq!(by_position, by_name);
    // a select that does not list the model's columns in order is refused
    let drifted = person::Entity::find()
        .select_only()
        .column(person::Column::Name)
        .column(person::Column::Id)
        .into_model::<Positional<person::Model>>()
        .all(db)
        .await;
    let error = drifted.expect_err("columns out of order").to_string();
    assert!(
        error.contains("expected column id at position 0"),
        "{error}"
    );
}

on_both_databases!(
    listing_releases_with_nested_lists_costs_a_fixed_number_of_queries,
    a_plain_read_costs_two_statements_and_identities_are_remembered,
    a_page_with_its_milestones_gives_each_release_its_own,
    rows_read_by_position_equal_rows_read_by_name,
);
