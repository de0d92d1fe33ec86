//! Limits on what one request may ask for, each answered with a coded error.

use entities::entity::Role;
use releasedesk::config::Environment;
use releasedesk::Settings;
use releasedesk_tests::{
    error_code, on_both_databases, run_on_with, test_settings, Backend, TestApp,
};
use serde_json::{json, Value};

fn tight() -> Settings {
    let mut settings = test_settings();
    settings.graphql.max_depth = 5;
    settings.graphql.max_complexity = 60;
    settings.graphql.max_aliases = 3;
    settings.server.max_body_bytes = 2048;
    settings
}

async fn limits_return_coded_errors(app: &TestApp) {
    let client = app.as_bearer(Some(&app.admin_token));

    let deep = client
        .graphql(
            "{ releases { edges { node { master { master { master { id } } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&deep), Some("LIMIT_EXCEEDED"), "{deep}");

    let fine = client
        .graphql(
            "{ releases(first: 5) { edges { node { id title } } } }",
            json!({}),
        )
        .await;
    assert!(fine.get("errors").is_none(), "{fine}");
    let complex = client
        .graphql(
            "{ releases(first: 100) { edges { node { id title status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&complex), Some("LIMIT_EXCEEDED"), "{complex}");

    let aliased = client
        .graphql(
            "{ a: me { id } b: me { id } c: me { id } d: me { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&aliased), Some("LIMIT_EXCEEDED"), "{aliased}");

    let padding = " ".repeat(4096);
    let response = client
        .post(json!({ "query": format!("{{ me {{ id }} }}{padding}") }))
        .await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"));
}

async fn batching_is_off_unless_configured(app: &TestApp) {
    let client = app.as_bearer(Some(&app.admin_token));
    let response = client
        .post(json!([{ "query": "{ me { id } }" }, { "query": "{ me { id } }" }]))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("VALIDATION"));
}

async fn mutations_are_refused_over_get_and_queries_work(app: &TestApp) {
    let get = |query: &'static str| {
        app.http()
            .get(format!("{}/graphql", app.base_url))
            .query(&[("query", query)])
            .bearer_auth(&app.admin_token)
            .send()
    };
    let query = get("{ me { email } }").await.unwrap();
    assert_eq!(query.status(), 200);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["data"]["me"]["email"], "test.admin@example.com");

    let mutation =
        get("mutation { createPerson(input: { name: \"X\", email: \"x@example.com\" }) { id } }")
            .await
            .unwrap();
    assert_eq!(mutation.status(), 405);
    let body: Value = mutation.json().await.unwrap();
    assert_eq!(error_code(&body), Some("METHOD_NOT_ALLOWED"));
    let put = app
        .http()
        .put(format!("{}/graphql", app.base_url))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
    let people = app
        .ok("{ people(search: \"x@example.com\") { id } }", json!({}))
        .await;
    assert!(
        people["people"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
}

async fn requests_carry_a_request_id(app: &TestApp) {
    let response = app
        .http()
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(&app.admin_token)
        .header("x-request-id", "trace-123")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-123");
    let generated = app
        .http()
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(&app.admin_token)
        .header("x-request-id", "not ok; has spaces")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a fresh UUID replaces an unusable id: {id}");
}

async fn the_request_log_names_the_request_and_never_the_credentials(app: &TestApp) {
    let jwt = releasedesk_tests::jwt(app, json!({ "email": "test.admin@example.com" }));
    for (token, request_id) in [
        (app.admin_token.as_str(), "log-check-token"),
        (jwt.as_str(), "log-check-jwt"),
    ] {
        let response = app
            .http()
            .post(format!("{}/graphql", app.base_url))
            .bearer_auth(token)
            .header("x-request-id", request_id)
            .json(&json!({ "query": "query WhoAmI { me { email } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let logs = releasedesk_tests::captured_logs();
    for request_id in ["log-check-token", "log-check-jwt"] {
        let line = logs
            .lines()
            .find(|l| l.contains(request_id))
            .unwrap_or_else(|| panic!("no log line for {request_id}"));
        for field in [
            "operation=WhoAmI",
            "actor=test.admin@example.com",
            "outcome=OK",
            "duration_ms=",
        ] {
            assert!(line.contains(field), "{field} missing from {line}");
        }
    }
    assert!(
        !logs.contains(&app.admin_token),
        "an API token reached the log"
    );
    assert!(!logs.contains(&jwt), "a JWT reached the log");
    assert!(
        !logs.contains(releasedesk_tests::JWT_SECRET),
        "the JWT secret reached the log"
    );
}

async fn defaults_cap_pages_and_depth(app: &TestApp) {
    app.expect_code(
        "{ releases(first: 101) { totalCount } }",
        json!({}),
        "VALIDATION",
    )
    .await;
    let mut query = String::from("{ releases { edges { node { id");
    for _ in 0..20 {
        query.push_str(" master { id");
    }
    query.push_str(&" }".repeat(20));
    query.push_str(" } } } }");
    let deep = app.graphql(&query, json!({})).await;
    assert_eq!(error_code(&deep), Some("LIMIT_EXCEEDED"));
    // beyond the library's own recursion limit (32) the code is the same
    let mut deeper = String::from("{ releases { edges { node { id");
    deeper.push_str(&" master { id".repeat(40));
    deeper.push_str(&" }".repeat(40));
    deeper.push_str(" } } } }");
    let deeper = app.graphql(&deeper, json!({})).await;
    assert_eq!(error_code(&deeper), Some("LIMIT_EXCEEDED"), "{deeper}");
}

/// Each fragment spreads the one before twice: 2^40 fields if expanded. The
/// document is measured without expanding it, so the answer is immediate.
async fn fragment_bombs_are_refused_before_any_costly_work(app: &TestApp) {
    let (_, stakeholder) = app.user("Plain Stakeholder", &[Role::Stakeholder]).await;
    let mut query = String::from("query { ...F40 } fragment F0 on QueryRoot { me { id } }");
    for level in 1..=40 {
        let previous = level - 1;
        query.push_str(&format!(
            " fragment F{level} on QueryRoot {{ ...F{previous} ...F{previous} }}"
        ));
    }
    let body = app
        .as_bearer(Some(&stakeholder))
        .graphql(&query, json!({}))
        .await;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    assert_eq!(app.get("/health").await.status(), 200);
}

async fn unauthenticated_requests_learn_nothing(app: &TestApp) {
    let response = app
        .http()
        .post(format!("{}/graphql", app.base_url))
        .json(&json!({ "query": "{ releases { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    assert!(body.get("data").is_none());
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200, "health stays open for load balancers");
}

on_both_databases!(
    batching_is_off_unless_configured,
    mutations_are_refused_over_get_and_queries_work,
    requests_carry_a_request_id,
    defaults_cap_pages_and_depth,
    fragment_bombs_are_refused_before_any_costly_work,
    unauthenticated_requests_learn_nothing,
    the_request_log_names_the_request_and_never_the_credentials,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tight_limits_on_sqlite() {
    run_on_with(Backend::Sqlite, tight(), |app| {
        Box::pin(limits_return_coded_errors(app))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn tight_limits_on_postgres() {
    run_on_with(Backend::Postgres, tight(), |app| {
        Box::pin(limits_return_coded_errors(app))
    })
    .await;
}

async fn batches_up_to_the_limit(app: &TestApp) {
    let client = app.as_bearer(Some(&app.admin_token));
    let two = client
        .post(json!([{ "query": "{ me { id } }" }, { "query": "{ me { email } }" }]))
        .await;
    let body: Value = two.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    assert_eq!(body[1]["data"]["me"]["email"], "test.admin@example.com");
    let three = client
        .post(json!([{ "query": "{ me { id } }" }, { "query": "{ me { id } }" }, { "query": "{ me { id } }" }]))
        .await;
    assert_eq!(three.status(), 400);
    let body: Value = three.json().await.unwrap();
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_batching_on_sqlite() {
    let mut settings = test_settings();
    settings.server.batching = true;
    settings.server.max_batch_size = 2;
    run_on_with(Backend::Sqlite, settings, |app| {
        Box::pin(batches_up_to_the_limit(app))
    })
    .await;
}

async fn production_hides_the_schema(app: &TestApp) {
    let introspection = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        introspection["data"]["__schema"].is_null(),
        "introspection answers nothing: {introspection}"
    );
    let page = app
        .http()
        .get(format!("{}/graphql", app.base_url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404, "no GraphiQL in production");
    let works = app.ok("{ me { email } }", json!({})).await;
    assert_eq!(works["me"]["email"], "test.admin@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_defaults_on_sqlite() {
    let settings = Settings {
        env: Environment::Production,
        ..test_settings()
    };
    run_on_with(Backend::Sqlite, settings, |app| {
        Box::pin(production_hides_the_schema(app))
    })
    .await;
}

async fn cors_admits_only_listed_origins(app: &TestApp) {
    let preflight = |origin: &'static str| {
        app.http()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/graphql", app.base_url),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("https://app.example.com")
    );
    let denied = preflight("https://evil.example.net").await.unwrap();
    assert!(denied
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // refusals are JSON with a code and a request id, like every other refusal
    assert_eq!(denied.status(), 403);
    assert!(denied.headers().get("x-request-id").is_some());
    let body: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    // Apollo's and tracing headers are allowed by default
    let apollo = app
        .http()
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base_url))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, apollographql-client-name, apollographql-client-version, traceparent, baggage, sentry-trace",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(apollo.status(), 200, "{:?}", apollo.headers());
    // an allowed origin's answer varies by origin, for shared caches
    let answered = app
        .http()
        .post(format!("{}/graphql", app.base_url))
        .header("origin", "https://app.example.com")
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(
        answered.headers().get("vary").map(|v| v.to_str().unwrap()),
        Some("Origin")
    );
    // an unknown path is a coded JSON answer too
    let lost = app.get("/nowhere").await;
    assert_eq!(lost.status(), 404);
    let body: serde_json::Value = lost.json().await.unwrap();
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allow_list_on_sqlite() {
    let mut settings = test_settings();
    settings.server.cors_origins = "https://app.example.com".into();
    run_on_with(Backend::Sqlite, settings, |app| {
        Box::pin(cors_admits_only_listed_origins(app))
    })
    .await;
}

/// A POST from a page the server itself served (GraphiQL in Chromium sends
/// `Origin` on same-origin POSTs) is answered, whatever the allow-list says;
/// another origin is still refused.
async fn same_origin_posts_are_answered_and_other_origins_refused(app: &TestApp) {
    let post = |origin: String| {
        app.http()
            .post(format!("{}/graphql", app.base_url))
            .header("origin", origin)
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({ "query": "{ me { name } }" }))
            .send()
    };
    let same = post(app.base_url.clone()).await.unwrap();
    assert_eq!(same.status(), 200);
    let body: serde_json::Value = same.json().await.unwrap();
    assert_eq!(body["data"]["me"]["name"], "Test Admin", "{body}");
    let other = post("http://evil.example.net".into()).await.unwrap();
    assert_eq!(other.status(), 403);
    // the same host on another port is another origin
    let port = app
        .base_url
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let next_port = post(format!("http://127.0.0.1:{}", port.wrapping_add(1)))
        .await
        .unwrap();
    assert_eq!(next_port.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_origin_posts_work_without_an_allow_list() {
    run_on_with(Backend::Sqlite, test_settings(), |app| {
        Box::pin(same_origin_posts_are_answered_and_other_origins_refused(
            app,
        ))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_origin_posts_work_with_an_allow_list() {
    let mut settings = test_settings();
    settings.server.cors_origins = "https://app.example.com".into();
    run_on_with(Backend::Sqlite, settings, |app| {
        Box::pin(same_origin_posts_are_answered_and_other_origins_refused(
            app,
        ))
    })
    .await;
}
