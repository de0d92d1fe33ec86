//! Authentication: API tokens, JWTs from an identity provider, the bootstrap
//! administrator, and the audit trail of mutations.

use crate::fixtures;
use entities::entity::{api_token, Role};
use entities::Clock;
use releasedesk_tests::{
    error_code, jwt, on_both_databases, run_on_with, test_settings, Backend, TestApp,
};
use sea_orm::EntityTrait;
use serde_json::{json, Value};

async fn api_tokens_are_shown_once_stored_hashed_and_revocable(app: &TestApp) {
    let rm = fixtures::person(app, "Rita Manager").await;
    app.ok(
        "mutation($p: ID!) { setPersonRoles(personId: $p, roles: [RELEASE_MANAGER]) }",
        json!({ "p": rm }),
    )
    .await;
    let created = app
        .ok(
            "mutation($p: ID!) { createApiToken(input: { personId: $p, name: \"laptop\" }) { secret token { id prefix lastUsedAt } } }",
            json!({ "p": rm }),
        )
        .await["createApiToken"]
        .clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("rdk_"));
    assert!(secret.starts_with(created["token"]["prefix"].as_str().unwrap()));
    assert!(created["token"]["lastUsedAt"].is_null());

    let rows = api_token::Entity::find().all(app.database()).await.unwrap();
    assert!(rows
        .iter()
        .all(|r| r.token_hash != secret && !r.token_hash.contains(&secret[4..])));

    let me = app
        .as_bearer(Some(&secret))
        .ok("{ me { email roles } }", json!({}))
        .await;
    assert_eq!(me["me"]["email"], "rita.manager@example.com");
    assert_eq!(me["me"]["roles"], json!(["RELEASE_MANAGER"]));

    let listed = app
        .ok(
            "query($p: ID!) { apiTokens(personId: $p) { id name lastUsedAt revokedAt } }",
            json!({ "p": rm }),
        )
        .await;
    assert_eq!(listed["apiTokens"][0]["name"], "laptop");
    assert!(
        listed["apiTokens"][0]["lastUsedAt"].is_string(),
        "use is recorded"
    );

    // the holder may revoke their own token; afterwards it no longer works
    app.as_bearer(Some(&secret))
        .ok(
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": created["token"]["id"] }),
        )
        .await;
    let after = app
        .as_bearer(Some(&secret))
        .graphql("{ me { id } }", json!({}))
        .await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));
    assert!(after["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));
}

async fn expired_tokens_are_refused(app: &TestApp) {
    let person = fixtures::person(app, "Short Lived").await;
    let expires = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let created = app
        .ok(
            "mutation($p: ID!, $e: DateTime) { createApiToken(input: { personId: $p, name: \"short\", expiresAt: $e }) { secret } }",
            json!({ "p": person, "e": expires }),
        )
        .await;
    let secret = created["createApiToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(app
        .as_bearer(Some(&secret))
        .graphql("{ me { id } }", json!({}))
        .await
        .get("errors")
        .is_none());
    app.clock.advance(chrono::Duration::hours(2));
    let body = app
        .as_bearer(Some(&secret))
        .graphql("{ me { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let past = app
        .error(
            "mutation($p: ID!, $e: DateTime) { createApiToken(input: { personId: $p, name: \"x\", expiresAt: $e }) { secret } }",
            json!({ "p": person, "e": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(past["extensions"]["field"], "expiresAt");
}

/// `exp` and `nbf` at the ends of i64 are compared without overflow (no panic in
/// debug builds): the far future is valid, the far past refused.
async fn jwt_times_at_the_ends_of_i64_do_not_overflow(app: &TestApp) {
    fixtures::person(app, "Edge Case").await;
    let far_future = jwt(
        app,
        json!({ "email": "edge.case@example.com", "exp": i64::MAX, "nbf": i64::MIN }),
    );
    let me = app
        .as_bearer(Some(&far_future))
        .ok("{ me { email } }", json!({}))
        .await;
    assert_eq!(me["me"]["email"], "edge.case@example.com");
    let far_past = jwt(
        app,
        json!({ "email": "edge.case@example.com", "exp": i64::MIN }),
    );
    let body = app
        .as_bearer(Some(&far_past))
        .graphql("{ me { email } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

async fn jwts_map_their_email_to_a_person(app: &TestApp) {
    let sam = fixtures::person(app, "Sam Stakeholder").await;
    let token = jwt(app, json!({ "email": "SAM.stakeholder@example.com" }));
    let me = app
        .as_bearer(Some(&token))
        .ok("{ me { id roles } }", json!({}))
        .await;
    assert_eq!(me["me"]["id"], sam.as_str());
    assert_eq!(me["me"]["roles"], json!(["STAKEHOLDER"]));

    // with granting on (as in the tests), the roles claim adds roles
    let manager = jwt(
        app,
        json!({ "email": "sam.stakeholder@example.com", "roles": ["release_manager", "nonsense"] }),
    );
    let me = app
        .as_bearer(Some(&manager))
        .ok("{ me { roles } }", json!({}))
        .await;
    assert_eq!(me["me"]["roles"], json!(["RELEASE_MANAGER"]));

    let now = app.clock.now().timestamp();
    for (claims, why) in [
        (
            json!({ "email": "sam.stakeholder@example.com", "iss": "https://other-idp.example" }),
            "wrong issuer",
        ),
        (
            json!({ "email": "sam.stakeholder@example.com", "aud": "other-app" }),
            "wrong audience",
        ),
        (
            json!({ "email": "sam.stakeholder@example.com", "exp": now - 120 }),
            "expired beyond the leeway",
        ),
        (
            json!({ "email": "sam.stakeholder@example.com", "nbf": now + 600 }),
            "not valid yet",
        ),
        (json!({ "email": "nobody@example.com" }), "unknown person"),
        (json!({ "sub": "no-email" }), "no email claim"),
    ] {
        let body = app
            .as_bearer(Some(&jwt(app, claims)))
            .graphql("{ me { id } }", json!({}))
            .await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{why}: {body}");
    }
    let within_leeway = jwt(
        app,
        json!({ "email": "sam.stakeholder@example.com", "exp": now - 10 }),
    );
    assert!(
        app.as_bearer(Some(&within_leeway))
            .graphql("{ me { id } }", json!({}))
            .await
            .get("errors")
            .is_none(),
        "a few seconds of clock skew are tolerated"
    );
    let garbage = app
        .as_bearer(Some("not.a.jwt"))
        .graphql("{ me { id } }", json!({}))
        .await;
    assert_eq!(error_code(&garbage), Some("UNAUTHENTICATED"));
    let basic = app
        .http()
        .post(format!("{}/graphql", app.base_url))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
}

async fn es256_keys_come_from_a_jwks_file(app: &TestApp) {
    fixtures::person(app, "Jay Jwks").await;
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/es256-private.pem"
    ))
    .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("test-es256".into());
    let claims = json!({
        "email": "jay.jwks@example.com",
        "iss": releasedesk_tests::JWT_ISSUER,
        "aud": releasedesk_tests::JWT_AUDIENCE,
        "exp": app.clock.now().timestamp() + 600,
    });
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_pem(&pem).unwrap(),
    )
    .unwrap();
    let me = app
        .as_bearer(Some(&token))
        .ok("{ me { email } }", json!({}))
        .await;
    assert_eq!(me["me"]["email"], "jay.jwks@example.com");

    let rsa = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/rs256-private.pem"
    ))
    .unwrap();
    let rsa_key = jsonwebtoken::EncodingKey::from_rsa_pem(&rsa).unwrap();
    let mut rs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    rs_header.kid = Some("test-rs256".into());
    let rs_token = jsonwebtoken::encode(&rs_header, &claims, &rsa_key).unwrap();
    let me = app
        .as_bearer(Some(&rs_token))
        .ok("{ me { email } }", json!({}))
        .await;
    assert_eq!(
        me["me"]["email"], "jay.jwks@example.com",
        "RS256 keys work too"
    );
    // a token naming another key's id does not verify
    rs_header.kid = Some("test-es256".into());
    let wrong_kid = jsonwebtoken::encode(&rs_header, &claims, &rsa_key).unwrap();
    let body = app
        .as_bearer(Some(&wrong_kid))
        .graphql("{ me { email } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    // an HS256 token signed with the public key material must not pass as ES256
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"oFVifZu9zpmFePWYV8DXUH2p2GkiPi1CmKtTXGRrxp8"),
    )
    .unwrap();
    let body = app
        .as_bearer(Some(&forged))
        .graphql("{ me { email } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_on_sqlite() {
    let mut settings = test_settings();
    settings.auth.jwt.hs256_secret = None;
    settings.auth.jwt.jwks_path =
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/jwks.json").into());
    run_on_with(Backend::Sqlite, settings, |app| {
        Box::pin(es256_keys_come_from_a_jwks_file(app))
    })
    .await;
}

/// Audit rows say what the client was told, for calls refused at any stage, and
/// stay small whatever the caller sends.
async fn the_audit_trail_records_what_the_client_was_told(app: &TestApp) {
    let (_, sh_token) = app.user("Sam Stakeholder", &[]).await;
    let stakeholder = app.as_bearer(Some(&sh_token));
    let events = |operation: &'static str| async move {
        app.ok(
            "query($op: String) { auditEvents(filter: { operation: $op }) { outcome arguments } }",
            json!({ "op": operation }),
        )
        .await["auditEvents"]
            .as_array()
            .unwrap()
            .clone()
    };
    // refused at document validation (an unknown argument): still one event
    stakeholder
        .expect_code(
            "mutation { removeStakeholder(id: \"1\", nonsense: 1) { id } }",
            json!({}),
            "VALIDATION",
        )
        .await;
    let refused = events("removeStakeholder").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["outcome"], "VALIDATION");
    // a bad variable is VALIDATION for the client and in the audit
    app.expect_code(
        "mutation($id: ID!, $a: ReleaseAction!) { transitionRelease(id: $id, action: $a) { id } }",
        json!({ "id": "1", "a": "FLY" }),
        "VALIDATION",
    )
    .await;
    let coerced = events("transitionRelease").await;
    assert_eq!(coerced.len(), 1, "{coerced:?}");
    assert_eq!(coerced[0]["outcome"], "VALIDATION");
    // an omitted variable with a default is recorded with its default
    stakeholder
        .expect_code(
            "mutation($id: ID! = \"42\") { revokeApiToken(id: $id) { id } }",
            json!({}),
            "NOT_FOUND",
        )
        .await;
    let defaulted = events("revokeApiToken").await;
    assert!(
        defaulted[0]["arguments"].as_str().unwrap().contains("42"),
        "{defaulted:?}"
    );
    // a megabyte of reason is cut down, with its size noted
    stakeholder
        .expect_code(
            "mutation($r: String) { transitionRelease(id: \"1\", action: CANCEL, reason: $r) { id } }",
            json!({ "r": "x".repeat(1_000_000) }),
            "FORBIDDEN",
        )
        .await;
    let big = events("transitionRelease").await;
    let arguments = big[0]["arguments"].as_str().unwrap();
    assert!(arguments.len() < 2_000, "{} bytes kept", arguments.len());
    assert!(arguments.contains("1000000 characters"), "{arguments}");
}

async fn every_mutation_is_audited_with_actor_token_and_request(app: &TestApp) {
    let (rm_id, rm_token) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let (sh_id, sh_token) = app.user("Sam Stakeholder", &[]).await;
    let response = app
        .as_bearer(Some(&rm_token))
        .post(json!({ "query": "mutation($o: ID!) { createRelease(input: { title: \"Audited\", type: MINOR, ownerId: $o }) { id } }",
                      "variables": { "o": rm_id.to_string() } }))
        .await;
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    let release_id = body["data"]["createRelease"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .as_bearer(Some(&sh_token))
        .graphql(
            "mutation($id: ID!) { transitionRelease(id: $id, action: SUBMIT) { id } }",
            json!({ "id": release_id }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let invalid = app
        .as_bearer(Some(&rm_token))
        .graphql(
            "mutation($o: ID!) { createRelease(input: { title: \"  \", type: MINOR, ownerId: $o }) { id } }",
            json!({ "o": rm_id.to_string() }),
        )
        .await;
    assert_eq!(error_code(&invalid), Some("VALIDATION"));

    let events = app
        .ok(
            "{ auditEvents { operation outcome requestId tokenId arguments actor { id } } }",
            json!({}),
        )
        .await["auditEvents"]
        .clone();
    let events = events.as_array().unwrap();
    let outcomes: Vec<&str> = events
        .iter()
        .filter(|e| e["operation"] == "createRelease")
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["VALIDATION", "OK"],
        "one event per attempt, newest first; the success is written once, with the change"
    );
    let created = events
        .iter()
        .find(|e| e["operation"] == "createRelease" && e["outcome"] == "OK")
        .expect("createRelease audited");
    assert_eq!(created["outcome"], "OK");
    assert_eq!(created["requestId"], request_id.as_str());
    assert_eq!(created["actor"]["id"], rm_id.to_string());
    assert!(created["tokenId"].is_string());
    assert!(
        created["arguments"].as_str().unwrap().contains("Audited"),
        "variables are resolved"
    );
    let denied = events
        .iter()
        .find(|e| e["operation"] == "transitionRelease")
        .expect("refusal audited");
    assert_eq!(denied["outcome"], "FORBIDDEN");
    assert_eq!(denied["actor"]["id"], sh_id.to_string());

    let filtered = app
        .ok(
            "{ auditEvents(filter: { operation: \"transitionRelease\" }) { outcome } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered["auditEvents"].as_array().unwrap().len(), 1);
    // queries are not audited
    assert!(events.iter().all(|e| e["operation"] != "releases"));
}

async fn the_first_administrator_is_bootstrapped_once(app: &TestApp) {
    // the test app already has an administrator
    let refused = releasedesk::bootstrap::create_first_admin(
        app.database(),
        app.clock.as_ref(),
        "new@example.com",
        None,
    )
    .await;
    assert!(refused.is_err());

    let path = std::env::temp_dir().join(format!(
        "releasedesk-bootstrap-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let db = releasedesk::db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 1)
        .await
        .unwrap();
    releasedesk::db::migrate(&db).await.unwrap();
    let secret = releasedesk::bootstrap::create_first_admin(
        &db,
        app.clock.as_ref(),
        "Boss@Example.com",
        Some("The Boss"),
    )
    .await
    .unwrap();
    let holder = entities::tokens::authenticate(&db, &secret, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.person.email, "boss@example.com");
    assert_eq!(
        entities::tokens::find(&db, holder.token_id)
            .await
            .unwrap()
            .name,
        "bootstrap"
    );
    assert_eq!(holder.roles, [Role::Administrator]);
    assert!(releasedesk::bootstrap::create_first_admin(
        &db,
        app.clock.as_ref(),
        "other@example.com",
        None
    )
    .await
    .is_err());
    db.close().await.ok();
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
}

on_both_databases!(
    api_tokens_are_shown_once_stored_hashed_and_revocable,
    expired_tokens_are_refused,
    jwts_map_their_email_to_a_person,
    jwt_times_at_the_ends_of_i64_do_not_overflow,
    every_mutation_is_audited_with_actor_token_and_request,
    the_audit_trail_records_what_the_client_was_told,
    the_first_administrator_is_bootstrapped_once,
    websocket_connection_init_payloads_authenticate,
);

async fn websocket_connection_init_payloads_authenticate(app: &TestApp) {
    let (_, token) = app.user("Socket User", &[Role::ReviewBoard]).await;
    let services = app.context();
    let authenticator = releasedesk::auth::Authenticator::new(None);
    for payload in [
        json!({ "Authorization": format!("Bearer {token}") }),
        json!({ "authorization": format!("bearer {token}") }),
        json!({ "token": token }),
    ] {
        let viewer = authenticator
            .authenticate_connection_init(services, &payload)
            .await
            .unwrap_or_else(|e| panic!("{payload}: {e}"));
        assert_eq!(viewer.person.email, "socket.user@example.com");
        assert_eq!(viewer.roles, [Role::ReviewBoard]);
    }
    for payload in [json!({}), json!(null), json!({ "token": "rdk_wrong" })] {
        assert!(authenticator
            .authenticate_connection_init(services, &payload)
            .await
            .is_err());
    }
}
