//! The HTTP surface around GraphQL: health, GraphiQL, and the demo data.

use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

async fn health_reports_database_readiness(app: &TestApp) {
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

async fn health_reports_an_unreachable_database(app: &TestApp) {
    app.database()
        .clone()
        .close()
        .await
        .expect("close the pool");
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

async fn graphiql_is_served_on_get(app: &TestApp) {
    let response = app.get("/graphql").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page expected");
}

async fn demo_data_loads_once(app: &TestApp) {
    let db = app.database();
    let first = releasedesk::demo::seed(db, app.clock.as_ref())
        .await
        .unwrap();
    let releasedesk::demo::SeedOutcome::Loaded { releases, users } = first else {
        panic!("the first seed loads the demo, got {first:?}");
    };
    assert_eq!(releases, 8);
    let roles: Vec<&str> = users.iter().map(|u| u.role.as_str()).collect();
    assert_eq!(
        roles,
        [
            "RELEASE_MANAGER",
            "REVIEW_BOARD",
            "CHANGE_MANAGER",
            "STAKEHOLDER",
            "ADMINISTRATOR"
        ]
    );
    // the demo stakeholder's token works and sees only the release they are on
    let sam = users.iter().find(|u| u.role == "STAKEHOLDER").unwrap();
    let seen = app
        .as_bearer(Some(&sam.token))
        .ok(
            "{ me { email } releases { totalCount edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["me"]["email"], "sam.stakeholder@example.com");
    assert_eq!(seen["releases"]["totalCount"], 1);
    assert_eq!(
        seen["releases"]["edges"][0]["node"]["title"],
        "Windows 11 rollout"
    );
    let again = releasedesk::demo::seed(db, app.clock.as_ref())
        .await
        .unwrap();
    assert_eq!(again, releasedesk::demo::SeedOutcome::AlreadyPresent);
    let data = app
        .ok(
            "{ releases(filter: { scopes: [MASTER] }) { edges { node { status phases { status } milestones { status } } } } all: releases { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 8);
    let master = &data["releases"]["edges"][0]["node"];
    assert_eq!(master["status"], "ACTIVE");
    assert_eq!(master["phases"].as_array().unwrap().len(), 3);
    assert_eq!(master["phases"][0]["status"], "ACTIVE");
    assert_eq!(master["milestones"][0]["status"], "ACTIVE");
}

on_both_databases!(
    health_reports_database_readiness,
    health_reports_an_unreachable_database,
    graphiql_is_served_on_get,
    demo_data_loads_once,
);
