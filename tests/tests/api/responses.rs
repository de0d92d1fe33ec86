//! Responses as the GraphQL spec shapes them: a failed nullable field is `null`
//! in place, a failed non-null one nulls its nearest nullable parent, and keys
//! come in selection order, every time.

use crate::fixtures;
use entities::entity::Role;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

/// The raw body text of a POSTed query, as the client receives it.
async fn body_text(app: &TestApp, token: &str, query: &str) -> String {
    app.as_bearer(Some(token))
        .post(json!({ "query": query }))
        .await
        .text()
        .await
        .unwrap()
}

async fn failed_fields_are_null_in_place_and_propagate(app: &TestApp) {
    // a missing release, alone and beside another field: `release` is there, null
    let alone = app
        .graphql("{ release(id: \"999999\") { id } }", json!({}))
        .await;
    assert_eq!(alone["data"], json!({ "release": null }), "{alone}");
    assert_eq!(alone["errors"][0]["path"], json!(["release"]));
    let beside = body_text(
        app,
        &app.admin_token,
        "{ me { name } release(id: \"999999\") { id } }",
    )
    .await;
    assert!(
        beside.contains(r#""data":{"me":{"name":"Test Admin"},"release":null}"#),
        "{beside}"
    );

    // a field that depends on who asks is nullable: another person's roles
    // are null for a release manager, and the release around them stays
    let owner = fixtures::person(app, "Owner").await;
    let release = fixtures::release(app, &owner, json!({ "title": "Mail", "type": "MINOR" })).await;
    let (manager_id, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
        json!({ "r": release["id"], "p": owner }),
    )
    .await;
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: IMPLEMENTER }) { id } }",
        json!({ "r": release["id"], "p": manager_id.to_string() }),
    )
    .await;
    let deep = app
        .as_bearer(Some(&manager))
        .graphql(
            "query($id: ID!) { me { name } release(id: $id) { id stakeholders { person { name roles } } } }",
            json!({ "id": release["id"] }),
        )
        .await;
    assert!(deep.get("errors").is_none(), "{deep}");
    let people = deep["data"]["release"]["stakeholders"]
        .as_array()
        .expect("stakeholders");
    let roles_of = |name: &str| {
        people
            .iter()
            .find(|s| s["person"]["name"] == name)
            .map(|s| s["person"]["roles"].clone())
    };
    assert_eq!(roles_of("Owner"), Some(Value::Null), "{deep}");
    assert_eq!(
        roles_of("Rita Manager"),
        Some(json!(["RELEASE_MANAGER"])),
        "{deep}"
    );
    let admin_view = app
        .graphql(
            "query($id: ID!) { release(id: $id) { stakeholders { person { name roles } } } }",
            json!({ "id": release["id"] }),
        )
        .await;
    assert!(
        admin_view
            .to_string()
            .contains(r#"{"name":"Rita Manager","roles":["RELEASE_MANAGER"]}"#),
        "{admin_view}"
    );

    // a non-null root field that fails nulls `data` itself
    let root = app
        .as_bearer(Some(&manager))
        .graphql("{ me { id } apiTokens { id } }", json!({}))
        .await;
    assert_eq!(root["data"], Value::Null, "{root}");
    assert_eq!(root["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

async fn keys_come_in_selection_order_every_time(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    for n in 0..3 {
        fixtures::release(
            app,
            &owner,
            json!({ "title": format!("R{n}"), "type": "MAJOR" }),
        )
        .await;
    }
    let query = "{ releases(first: 3) { nodes { version title owner { name email } id status \
        milestones { title sequence id status } type scope } } me { email name id } }";
    let first = body_text(app, &app.admin_token, query).await;
    // the keys of the first release, in the order the query asks for them
    let keys = [
        "\"version\"",
        "\"title\"",
        "\"owner\"",
        "\"id\"",
        "\"status\"",
        "\"milestones\"",
        "\"type\"",
        "\"scope\"",
    ];
    let positions: Vec<usize> = keys.iter().map(|k| first.find(k).expect(k)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{first}");
    assert!(first.find("\"releases\"").unwrap() < first.find("\"me\"").unwrap());
    for _ in 0..20 {
        assert_eq!(body_text(app, &app.admin_token, query).await, first);
    }
}

async fn refusals_before_execution_have_no_data_key(app: &TestApp) {
    for (query, code) in [
        ("{ me { name ", "VALIDATION"),
        ("{ me { shoeSize } }", "VALIDATION"),
        ("query($id: ID!) { release(id: $id) { id } }", "VALIDATION"),
    ] {
        let body = app.graphql(query, json!({})).await;
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{query}: {body}"
        );
    }
    // a required variable left out is named as not provided, with no field path
    let missing = app
        .graphql("query($id: ID!) { release(id: $id) { id } }", json!({}))
        .await;
    assert_eq!(
        missing["errors"][0]["message"], "variable $id of type ID! was not provided",
        "{missing}"
    );
    assert!(missing["errors"][0].get("path").is_none(), "{missing}");
    // a field that fails during execution keeps `data`, with the field null
    let executed = app
        .graphql("{ release(id: \"1234567\") { id } }", json!({}))
        .await;
    assert_eq!(
        executed.get("data"),
        Some(&json!({ "release": null })),
        "{executed}"
    );
    // and success has no `errors` key
    let fine = app.graphql("{ me { name } }", json!({})).await;
    assert!(fine.get("errors").is_none(), "{fine}");
}

async fn the_graphql_response_media_type_is_served_with_its_status_codes(app: &TestApp) {
    let post = |query: &'static str, accept: &'static str| {
        app.http()
            .post(format!("{}/graphql", app.base_url))
            .header("accept", accept)
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": query }))
            .send()
    };
    let media = "application/graphql-response+json";
    let content_type = |r: &reqwest::Response| {
        r.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    // a request error: 400 with the new media type, 200 with application/json
    let refused = post("{ me { shoeSize } }", media).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(content_type(&refused).starts_with(media));
    let legacy = post("{ me { shoeSize } }", "application/json")
        .await
        .unwrap();
    assert_eq!(legacy.status(), 200);
    assert!(content_type(&legacy).starts_with("application/json"));
    // a field error during execution is still a 200, with data
    let executed = post("{ release(id: \"1234567\") { id } }", media)
        .await
        .unwrap();
    assert_eq!(executed.status(), 200);
    assert!(content_type(&executed).starts_with(media));
    let body: Value = executed.json().await.unwrap();
    assert_eq!(body["data"], json!({ "release": null }));
    // a body that is not JSON is refused before GraphQL, in the same media type
    let malformed = app
        .http()
        .post(format!("{}/graphql", app.base_url))
        .header("accept", media)
        .header("content-type", "application/json")
        .bearer_auth(&app.admin_token)
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(content_type(&malformed).starts_with(media));
}

async fn persisted_queries_are_declined_as_apollo_expects(app: &TestApp) {
    let query = "{ me { name } }";
    let hash: String = {
        use std::fmt::Write;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(query.as_bytes());
        digest.iter().fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
    };
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    // the hash alone, by POST and by GET: the link is told to send queries in full
    let posted = app
        .as_bearer(Some(&app.admin_token))
        .post(json!({ "extensions": persisted }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        posted["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_SUPPORTED",
        "{posted}"
    );
    assert_eq!(posted["errors"][0]["message"], "PersistedQueryNotSupported");
    let got = app
        .http()
        .get(format!("{}/graphql", app.base_url))
        .query(&[("extensions", persisted.to_string())])
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        got["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_SUPPORTED",
        "{got}"
    );
    // the full query with its hash runs; with a wrong hash, or a malformed one, it does not
    let full = app
        .as_bearer(Some(&app.admin_token))
        .post(json!({ "query": query, "extensions": persisted }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(full["data"]["me"]["name"], "Test Admin", "{full}");
    for extensions in [
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "00".repeat(32) } }),
        json!({ "persistedQuery": "yes" }),
        json!({ "persistedQuery": { "version": 1 } }),
    ] {
        let refused = app
            .as_bearer(Some(&app.admin_token))
            .post(json!({ "query": query, "extensions": extensions }))
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "VALIDATION",
            "{refused}"
        );
        assert!(refused.get("data").is_none(), "{refused}");
    }
}

on_both_databases!(
    persisted_queries_are_declined_as_apollo_expects,
    the_graphql_response_media_type_is_served_with_its_status_codes,
    refusals_before_execution_have_no_data_key,
    failed_fields_are_null_in_place_and_propagate,
    keys_come_in_selection_order_every_time,
);
