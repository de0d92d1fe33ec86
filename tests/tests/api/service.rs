//! The HTTP surface around GraphQL: health, GraphiQL, and the demo data.

use entities::SystemClock;
use releasedesk::config::Secret;
use releasedesk::{bootstrap, Application, Settings};
use releasedesk_tests::{fresh_database, on_both_databases, Backend, TestApp};
use serde_json::json;
use std::sync::Arc;

/// What `releasedesk` does on a fresh machine: default settings, an empty database,
/// `Application::build` (as `main` calls it); then `admin create` and a first query.
async fn an_empty_database_is_served_as_cargo_run_serves_it(backend: Backend) {
    let Some((url, cleanup)) = fresh_database(backend).await else {
        return;
    };
    let mut settings = Settings::default();
    settings.database.url = Secret::new(url);
    settings.server.bind = "127.0.0.1:0".into();
    // the link key file a first start makes, somewhere other than the source tree
    let key_file = std::env::temp_dir().join(format!("releasedesk-{}.key", uuid::Uuid::new_v4()));
    settings.mail.link_key_file = key_file.clone();
    let application = Application::build(settings, Arc::new(SystemClock))
        .await
        .expect("the service starts on an empty database");
    let key = std::fs::read_to_string(&key_file).expect("a first start makes the link key");
    assert_eq!(key.len(), 64, "32 random bytes, hex");
    std::fs::remove_file(&key_file).ok();
    let base = format!("http://{}", application.addr);
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let graphiql = client
        .get(format!("{base}/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    let token = bootstrap::create_first_admin(
        &application.context.db,
        &SystemClock,
        "first@example.com",
        None,
    )
    .await
    .expect("admin create");
    let me: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { email roles } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["email"], "first@example.com", "{me}");
    assert_eq!(me["data"]["me"]["roles"], json!(["ADMINISTRATOR"]), "{me}");
    application.stop().await.unwrap();
    cleanup.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_sqlite_database_is_served_like_cargo_run() {
    an_empty_database_is_served_as_cargo_run_serves_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn empty_postgres_database_is_served_like_cargo_run() {
    an_empty_database_is_served_as_cargo_run_serves_it(Backend::Postgres).await;
}

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
    // API calls say the same, with their own code, not as bad credentials
    let response = app
        .as_bearer(Some(&app.admin_token))
        .post(json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
}

async fn graphiql_is_served_on_get(app: &TestApp) {
    let get = |accept: &'static str| {
        app.http()
            .get(format!("{}/graphql", app.base_url))
            .header("accept", accept)
            .send()
    };
    // a browser asks for HTML
    let response = get("text/html,application/xhtml+xml,*/*;q=0.8")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page expected");
    // everything it loads comes from this server, pinned, cached for good
    assert!(!html.contains("://"), "no external URL in {html}");
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(assets.len(), 5, "{assets:?}");
    for asset in assets {
        let loaded = app
            .http()
            .get(format!("{}{asset}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(loaded.status(), 200, "{asset}");
        assert_eq!(
            loaded.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let kind = loaded.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = loaded.bytes().await.unwrap();
        assert!(body.len() > 500, "{asset}");
        assert!(
            kind.starts_with(if asset.ends_with(".css") {
                "text/css"
            } else {
                "text/javascript"
            }),
            "{asset}: {kind}"
        );
        // production builds: no development React
        assert!(!String::from_utf8_lossy(&body).contains("react.development"));
    }
    let start = app.get("/graphiql/start-1.js").await.text().await.unwrap();
    assert!(start.contains("defaultEditorToolsVisibility") && start.contains("Authorization"));
    assert_eq!(app.get("/graphiql/nothing.js").await.status(), 404);
    // an API client without a query gets a coded JSON error, not a page
    let json = get("application/json").await.unwrap();
    assert_eq!(json.status(), 400);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(
        releasedesk_tests::error_code(&body),
        Some("VALIDATION"),
        "{body}"
    );
}

async fn demo_data_loads_once(app: &TestApp) {
    let db = app.database();
    let currency = app.context().settings.costs.currency.clone();
    let first = releasedesk::demo::seed(db, app.clock.as_ref(), &currency)
        .await
        .unwrap();
    let releasedesk::demo::SeedOutcome::Loaded { releases, users } = first else {
        panic!("the first seed loads the demo, got {first:?}");
    };
    assert_eq!(releases, 14);
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
    let again = releasedesk::demo::seed(db, app.clock.as_ref(), &currency)
        .await
        .unwrap();
    assert_eq!(again, releasedesk::demo::SeedOutcome::AlreadyPresent);
    let data = app
        .ok(
            "{ releases(filter: { scopes: [MASTER] }) { edges { node { status phases { status } milestones { status } } } } all: releases { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 14);
    let master = &data["releases"]["edges"][0]["node"];
    assert_eq!(master["status"], "ACTIVE");
    assert_eq!(master["phases"].as_array().unwrap().len(), 3);
    assert_eq!(master["phases"][0]["status"], "ACTIVE");
    assert_eq!(master["milestones"][0]["status"], "ACTIVE");
}

/// The demo is a lived-in installation: its past shows in the report, with
/// every event at its own time, and its present waits in the outbox.
async fn the_demo_has_a_past_and_a_present(app: &TestApp) {
    use entities::Clock;
    let currency = app.context().settings.costs.currency.clone();
    releasedesk::demo::seed(app.database(), app.clock.as_ref(), &currency)
        .await
        .unwrap();
    let now = app.clock.now();
    let report = app
        .ok(
            "query($from: DateTime!, $to: DateTime!) { releaseReport(from: $from, to: $to) {
                total completed onTime late averageSlipHours
                reviews { successful partiallySuccessful failed }
                byStatus { key count }
                costByType { releaseType budget cost }
                largestOverruns { title }
                upcoming { title }
                approvalsWaitingLongest { releaseTitle } } }",
            json!({ "from": (now - chrono::Duration::days(185)).to_rfc3339(),
                    "to": (now + chrono::Duration::days(95)).to_rfc3339() }),
        )
        .await["releaseReport"]
        .clone();
    assert_eq!(report["total"], 14, "{report}");
    assert_eq!(report["completed"], 4, "{report}");
    assert_eq!(report["onTime"], 2, "{report}");
    assert_eq!(report["late"], 2, "{report}");
    assert!(
        report["averageSlipHours"].as_f64().unwrap() > 24.0,
        "{report}"
    );
    assert_eq!(
        report["reviews"],
        json!({ "successful": 2, "partiallySuccessful": 1, "failed": 1 })
    );
    let status_count = |key: &str| {
        report["byStatus"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .map_or(0, |c| c["count"].as_i64().unwrap())
    };
    for (status, count) in [
        ("CLOSED", 4),
        ("REJECTED", 1),
        ("CANCELLED", 1),
        ("ACTIVE", 3),
        ("REQUESTED", 2),
    ] {
        assert_eq!(status_count(status), count, "{status}: {report}");
    }
    assert!(
        report["costByType"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["cost"].as_f64().unwrap() > 0.0 && t["budget"].as_f64().unwrap() > 0.0),
        "costs against budgets for every type: {report}"
    );
    assert_eq!(
        report["largestOverruns"][0]["title"], "Core switch firmware 17.9",
        "{report}"
    );
    assert_eq!(
        report["approvalsWaitingLongest"][0]["releaseTitle"],
        "ERP database upgrade"
    );
    assert!(
        !report["upcoming"].as_array().unwrap().is_empty(),
        "{report}"
    );

    // history at the times things happened, not at the moment of seeding
    let closed = app
        .ok(
            "{ releases(first: 100, filter: { search: \"Exchange 2016\" }) { nodes {
                plannedEnd actualStart actualEnd history { kind occurredAt } } } }",
            json!({}),
        )
        .await["releases"]["nodes"][0]
        .clone();
    let at = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert!(
        at(&closed["actualEnd"]) <= at(&closed["plannedEnd"]),
        "{closed}"
    );
    assert!(at(&closed["actualEnd"]) < now - chrono::Duration::days(100));
    let times: Vec<_> = closed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| at(&e["occurredAt"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in order: {closed}");
    assert!(times.first().unwrap() < &(now - chrono::Duration::days(150)));
    assert!(times.iter().all(|t| *t < now - chrono::Duration::days(100)));

    // the e-mails of the submit made as the demo loads wait; the past's
    // count as sent back then
    let outbox = app
        .ok(
            "{ queued: outboxMessages(statuses: [QUEUED]) { kind recipient }
               sent: outboxMessages(statuses: [SENT], first: 100) { kind } }",
            json!({}),
        )
        .await;
    let mut queued: Vec<(String, String)> = outbox["queued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().into(),
                m["recipient"].as_str().unwrap().into(),
            )
        })
        .collect();
    queued.sort();
    assert_eq!(
        queued,
        [
            ("APPROVAL_REQUEST".into(), "bora.board@example.com".into()),
            ("STATUS_CHANGED".into(), "rita.manager@example.com".into())
        ]
    );
    assert!(
        outbox["sent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "APPROVAL_REQUEST"),
        "the board's past requests were mailed: {outbox}"
    );

    // the weekly report's run the next morning has releases to report
    use jobs::Job;
    app.clock.advance(chrono::Duration::days(1));
    jobs::release_report::ReleaseReportJob
        .run(app.context().jobs.context())
        .await
        .expect("the weekly report runs");
    let weekly = app
        .ok(
            "{ reportSnapshots { report { total upcoming { title } } } }",
            json!({}),
        )
        .await;
    assert!(
        weekly["reportSnapshots"][0]["report"]["total"]
            .as_i64()
            .unwrap()
            >= 3,
        "{weekly}"
    );
    assert!(!weekly["reportSnapshots"][0]["report"]["upcoming"]
        .as_array()
        .unwrap()
        .is_empty());
}

on_both_databases!(
    the_demo_has_a_past_and_a_present,
    health_reports_database_readiness,
    health_reports_an_unreachable_database,
    graphiql_is_served_on_get,
    demo_data_loads_once,
);
