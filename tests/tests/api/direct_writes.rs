//! `addMilestone` on the direct path answers, writes and audits exactly as
//! async-graphql's executor does. Each case goes to the served app and then to
//! a second one on the same database with `graphql.direct_writes` off:
//! - a failure must answer the same bytes, status and media type on both, write
//!   nothing, and leave the same audit event;
//! - a success must answer what the executor reads back for the new milestone
//!   with the same selection, leave the same audit event and history event as
//!   the executor's own add, and cost no more statements;
//! - the request log must say which path answered.

use crate::fixtures;
use entities::entity::Role;
use releasedesk::app::Application;
use releasedesk_tests::{captured_logs, on_both_databases, TestApp};
use serde_json::{json, Value};

/// Which path answers a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Direct,
    Executor,
}

/// A mutation, its variables, which path runs it, and whether it succeeds.
struct Case {
    name: &'static str,
    query: String,
    variables: Value,
    path: Path,
    succeeds: bool,
    /// Sent with the board member's token instead of the administrator's.
    as_board_member: bool,
}

const EVERY_MILESTONE_FIELD: &str = "__typename id sequence title description status \
    requiresApproval plannedStart plannedEnd actualStart actualEnd updatedAt version";

fn literal(release: &str, title: &str, selection: &str) -> String {
    format!(
        "mutation {{ addMilestone(input: {{ releaseId: \"{release}\", title: {title} }}) {{ {selection} }} }}"
    )
}

const BY_VARIABLE: &str =
    "mutation Add($input: AddMilestoneInput!) { step: addMilestone(input: $input) { ...Step } } \
     fragment Step on Milestone { id title description requiresApproval plannedStart plannedEnd status }";

/// The releases the cases write to.
struct Releases {
    draft: String,
    active: String,
    closed: String,
    window: (String, String),
}

fn cases(releases: &Releases) -> Vec<Case> {
    let Releases {
        draft,
        active,
        closed,
        window: (start, end),
    } = releases;
    let case = |name, query: String, variables: Value, path, succeeds| Case {
        name,
        query,
        variables,
        path,
        succeeds,
        as_board_member: false,
    };
    let input = |fields: Value| {
        let mut input = json!({ "releaseId": draft, "title": "Cut over" });
        if let (Some(input), Value::Object(fields)) = (input.as_object_mut(), fields) {
            input.extend(fields);
        }
        json!({ "input": input })
    };
    vec![
        case(
            "the benchmark's shape",
            literal(draft, "\"Bench step\"", "id sequence"),
            json!({}),
            Path::Direct,
            true,
        ),
        case(
            "every field, an alias on a field and an inline fragment",
            literal(
                draft,
                "\"Ünïcödé \\\"quoted\\\" \\\\ step 😀\"",
                &format!("{EVERY_MILESTONE_FIELD} n: sequence ... on Milestone {{ title }}"),
            ),
            json!({}),
            Path::Direct,
            true,
        ),
        case(
            "an Int release id",
            format!(
                "mutation {{ addMilestone(input: {{ releaseId: {draft}, title: \"By number\", requiresApproval: true, description: \"Why\" }}) {{ id requiresApproval description }} }}"
            ),
            json!({}),
            Path::Direct,
            true,
        ),
        case(
            "the whole input as a variable, with a window",
            BY_VARIABLE.to_owned(),
            input(json!({ "description": "Moves the mailboxes", "requiresApproval": true,
                "plannedStart": start, "plannedEnd": end })),
            Path::Direct,
            true,
        ),
        case(
            "an ACTIVE release starts its first milestone at once",
            literal(active, "\"First\"", "id status actualStart"),
            json!({}),
            Path::Direct,
            true,
        ),
        case(
            "a missing release",
            literal("424242", "\"Nowhere\"", "id"),
            json!({}),
            Path::Direct,
            false,
        ),
        case(
            "a release id that is not a number",
            literal("abc", "\"Nowhere\"", "id"),
            json!({}),
            Path::Direct,
            false,
        ),
        case(
            "a closed release",
            literal(closed, "\"Late\"", "id"),
            json!({}),
            Path::Direct,
            false,
        ),
        case(
            "an empty title",
            literal(draft, "\"  \"", "id"),
            json!({}),
            Path::Direct,
            false,
        ),
        case(
            "a title with a control character",
            BY_VARIABLE.to_owned(),
            input(json!({ "title": "bell\u{7}" })),
            Path::Direct,
            false,
        ),
        case(
            "a window that ends before it starts",
            BY_VARIABLE.to_owned(),
            input(json!({ "plannedStart": end, "plannedEnd": start })),
            Path::Direct,
            false,
        ),
        Case {
            as_board_member: true,
            ..case(
                "a caller who may not run releases",
                literal(draft, "\"Not mine\"", "id"),
                json!({}),
                Path::Direct,
                false,
            )
        },
        case(
            "an input field the type does not have",
            format!(
                "mutation {{ addMilestone(input: {{ releaseId: \"{draft}\", title: \"x\", colour: \"red\" }}) {{ id }} }}"
            ),
            json!({}),
            Path::Executor,
            false,
        ),
        case(
            "a nullable variable (the library lets it through)",
            "mutation($input: AddMilestoneInput) { addMilestone(input: $input) { id } }".to_owned(),
            input(json!({})),
            Path::Executor,
            true,
        ),
        case(
            "a field the milestone does not have",
            literal(draft, "\"x\"", "id colour"),
            json!({}),
            Path::Executor,
            false,
        ),
        case(
            "an unknown input field in a variable",
            BY_VARIABLE.to_owned(),
            input(json!({ "colour": "red" })),
            Path::Executor,
            false,
        ),
    ]
}

/// The answer of one request: status, media type, body and statements.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: String,
    statements: usize,
}

async fn ask(app: &TestApp, url: &str, token: &str, body: &Value, request_id: &str) -> Answer {
    app.reset_statements();
    let response = app
        .http()
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .header("x-request-id", request_id)
        .json(body)
        .send()
        .await
        .expect("send the request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let body = response.text().await.expect("read the body");
    Answer {
        status,
        content_type,
        body,
        statements: app.statements(),
    }
}

/// Whether the log line of `request_id` says the direct path answered.
fn answered_directly(request_id: &str) -> Option<bool> {
    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|line| line.contains(&format!("request_id={request_id} ")))?;
    Some(line.contains("direct=true"))
}

/// The audit event of `request_id`, without its id and request id.
async fn audit_event(app: &TestApp, request_id: &str) -> Value {
    let events = app
        .ok(
            "query($r: String) { auditEvents(filter: { requestId: $r }) { occurredAt actor { id } tokenId operation outcome arguments } }",
            json!({ "r": request_id }),
        )
        .await;
    let events = events["auditEvents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        events.len(),
        1,
        "one audit event for {request_id}: {events:?}"
    );
    events[0].clone()
}

/// How many milestones and history events there are.
async fn written(app: &TestApp, releases: &Releases) -> Value {
    let mut counts = Vec::new();
    for id in [&releases.draft, &releases.active, &releases.closed] {
        let release = app
            .ok(
                "query($id: ID!) { release(id: $id) { milestones { id } history { id } } }",
                json!({ "id": id }),
            )
            .await;
        counts.push(json!([
            release["release"]["milestones"].as_array().map(Vec::len),
            release["release"]["history"].as_array().map(Vec::len),
        ]));
    }
    Value::Array(counts)
}

/// The milestone `id` read back through the executor with `selection`, as the
/// body of a mutation answering it under `key`.
async fn read_back(app: &TestApp, url: &str, key: &str, id: &str, selection: &str) -> String {
    let query = format!("query($id: ID!) {{ {key}: milestone(id: $id) {{ {selection} }} }}");
    ask(
        app,
        url,
        &app.admin_token,
        &json!({ "query": query, "variables": { "id": id } }),
        "read-back",
    )
    .await
    .body
}

/// The root key and selection of a case's document (its fragments inlined by
/// hand where the case uses one).
fn key_and_selection(case: &Case) -> (&'static str, String) {
    if case.query == BY_VARIABLE {
        return (
            "step",
            "id title description requiresApproval plannedStart plannedEnd status".to_owned(),
        );
    }
    let field = case.query.find("addMilestone(").expect("the root field");
    let open = field + case.query[field..].find(") {").expect("a selection") + 3;
    let last = case.query.rfind('}').expect("the operation's end");
    let close = case.query[..last].rfind('}').expect("the selection's end");
    ("addMilestone", case.query[open..close].trim().to_owned())
}

async fn seed(app: &TestApp) -> Releases {
    let owner = fixtures::person(app, "Owner").await;
    let window = fixtures::window(0, 60);
    let input = |title: &str| {
        json!({ "title": title, "type": "MINOR",
        "plannedStart": window.0, "plannedEnd": window.1 })
    };
    let draft = fixtures::release(app, &owner, input("Mail upgrade")).await;
    let active = fixtures::approved(app, &owner, input("Rollout")).await;
    let active = active["id"].as_str().expect("id").to_owned();
    fixtures::transition(app, &active, "START").await;
    let closed = fixtures::release(app, &owner, input("Dropped")).await;
    let closed = closed["id"].as_str().expect("id").to_owned();
    app.ok(
        "mutation($id: ID!) { transitionRelease(id: $id, action: CANCEL, reason: \"Not needed\") { id } }",
        json!({ "id": closed }),
    )
    .await;
    Releases {
        draft: draft["id"].as_str().expect("id").to_owned(),
        active,
        closed,
        window,
    }
}

async fn direct_writes_answer_and_audit_as_the_executor(app: &TestApp) {
    let releases = seed(app).await;
    let (_, board_token) = app.user("Board Member", &[Role::ReviewBoard]).await;
    let executor = reference_app(app).await;
    let executor_url = format!("http://{}", executor.addr);
    let mut direct_successes = 0;
    for (n, case) in cases(&releases).into_iter().enumerate() {
        let token = if case.as_board_member {
            board_token.as_str()
        } else {
            app.admin_token.as_str()
        };
        let body = json!({ "query": case.query, "variables": case.variables });
        let direct_id = format!("write-{:?}-{n}", app.backend);
        let executor_id = format!("write-{:?}-{n}-executor", app.backend);
        let before = written(app, &releases).await;
        let direct = ask(app, &app.base_url, token, &body, &direct_id).await;
        let after_direct = written(app, &releases).await;
        let reference = ask(app, &executor_url, token, &body, &executor_id).await;
        let name = case.name;
        assert_eq!(
            answered_directly(&direct_id),
            Some(case.path == Path::Direct),
            "{name}: should take the path {:?}",
            case.path
        );
        assert_eq!(
            (direct.status, &direct.content_type),
            (reference.status, &reference.content_type),
            "{name}"
        );
        if case.succeeds {
            let answer: Value = serde_json::from_str(&direct.body).expect("JSON");
            let (key, selection) = key_and_selection(&case);
            let id = answer["data"][key]["id"]
                .as_str()
                .expect("an id")
                .to_owned();
            let expected = read_back(app, &executor_url, key, &id, &selection).await;
            assert_eq!(
                direct.body, expected,
                "{name}: the answer is the milestone as read"
            );
            assert_ne!(before, after_direct, "{name}: the milestone was added");
            assert!(
                direct.statements <= reference.statements,
                "{name}: {} statements against the executor's {}",
                direct.statements,
                reference.statements
            );
            direct_successes += usize::from(case.path == Path::Direct);
        } else {
            assert_eq!(direct.body, reference.body, "{name}");
            assert!(
                direct.body.contains("\"errors\""),
                "{name}: {}",
                direct.body
            );
            assert_eq!(before, after_direct, "{name}: nothing was written");
        }
        let direct_event = audit_event(app, &direct_id).await;
        let reference_event = audit_event(app, &executor_id).await;
        assert_eq!(direct_event, reference_event, "{name}: the audit event");
    }
    assert_eq!(direct_successes, 5);
    executor.stop().await.expect("stop the second application");
}

/// A second application on `app`'s database with the direct writes off.
async fn reference_app(app: &TestApp) -> Application {
    let mut settings = (*app.context().settings).clone();
    settings.server.bind = "127.0.0.1:0".into();
    settings.graphql.direct_writes = false;
    Application::start(settings, app.database().clone(), app.clock.clone())
        .await
        .expect("start the second application")
}

on_both_databases!(direct_writes_answer_and_audit_as_the_executor);
