//! `addMilestone` on the direct path answers, writes and audits exactly as
//! async-graphql's executor does. Each case goes to the served app and then to
//! a second one on the same database with `graphql.direct_writes` off:
//! - a failure must answer the same bytes, status and media type on both, write
//!   nothing, and leave the same audit event;
//! - a success must answer what the executor reads back for the new milestone
//!   with the same selection, leave the same audit event and history event as
//!   the executor's own add, and cost no more statements;
//! - the request log must say which path answered.

use crate::direct_reads::{answered_directly, ask, second_app, Dice, MILESTONE_SCALARS};
use crate::fixtures;
use entities::entity::Role;
use releasedesk::app::Application;
use releasedesk_tests::{on_both_databases, TestApp};
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
    // every case calls with a token, refused ones included
    assert!(
        events[0]["actor"]["id"].is_string() && events[0]["tokenId"].is_string(),
        "the caller of {request_id}: {events:?}"
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

/// What one comparison found.
struct Compared {
    direct: bool,
    succeeded: bool,
}

/// Sends `body` to the served app and then to the executor's, and checks that
/// both answer, write and audit alike (see the module's comment). `key` and
/// `selection` are the root field's response key and selection, for the read
/// back of a new milestone; `request` names the requests, `label` the case.
async fn compare(
    app: &TestApp,
    executor_url: &str,
    token: &str,
    body: &Value,
    (key, selection): (&str, &str),
    (request, label): (&str, &str),
    releases: &Releases,
) -> Compared {
    let direct_id = format!("write-{:?}-{request}", app.backend);
    let executor_id = format!("{direct_id}-executor");
    let before = written(app, releases).await;
    let direct = ask(app, &app.base_url, token, body, &direct_id).await;
    let after_direct = written(app, releases).await;
    let reference = ask(app, executor_url, token, body, &executor_id).await;
    assert_eq!(
        (direct.status, &direct.content_type),
        (reference.status, &reference.content_type),
        "{label}"
    );
    let answer: Value = serde_json::from_str(&direct.body).expect("JSON");
    let succeeded = answer.get("errors").is_none();
    if succeeded {
        let id = answer["data"][key]["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        let expected = read_back(app, executor_url, key, &id, selection).await;
        assert_eq!(
            direct.body, expected,
            "{label}: the answer is the milestone as read"
        );
        assert!(
            !reference.body.contains("\"errors\""),
            "{label}: {}",
            reference.body
        );
        assert_ne!(before, after_direct, "{label}: the milestone was added");
        assert!(
            direct.statements <= reference.statements,
            "{label}: {} statements against the executor's {}",
            direct.statements,
            reference.statements
        );
    } else {
        assert_eq!(direct.body, reference.body, "{label}");
        assert_eq!(before, after_direct, "{label}: nothing was written");
    }
    let direct_event = audit_event(app, &direct_id).await;
    let reference_event = audit_event(app, &executor_id).await;
    assert_eq!(direct_event, reference_event, "{label}: the audit event");
    Compared {
        direct: answered_directly(&direct_id).expect("a log line"),
        succeeded,
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
        let (key, selection) = key_and_selection(&case);
        let label = format!("{n} ({})", case.name);
        let compared = compare(
            app,
            &executor_url,
            token,
            &body,
            (key, &selection),
            (&format!("case-{n}"), &label),
            &releases,
        )
        .await;
        assert_eq!(
            compared.direct,
            case.path == Path::Direct,
            "{label}: should take the path {:?}",
            case.path
        );
        assert_eq!(compared.succeeded, case.succeeds, "{label}");
        direct_successes += usize::from(compared.direct && compared.succeeded);
    }
    assert_eq!(direct_successes, 5);
    executor.stop().await.expect("stop the second application");
}

/// A random `addMilestone`: its body, and its root key and selection.
fn random_mutation(dice: &mut Dice, releases: &Releases) -> (Value, String, String) {
    let (start, end) = &releases.window;
    let long = "x".repeat(300);
    let mut input = serde_json::Map::new();
    let release = match dice.roll(8) {
        0 => json!(releases.draft.parse::<i64>().expect("a number")),
        1 => json!("424242"),
        2 => json!("abc"),
        3 => json!(releases.closed),
        4 => json!(releases.active),
        5 => json!(4.5),
        _ => json!(releases.draft),
    };
    if dice.roll(16) != 0 {
        input.insert("releaseId".into(), release);
    }
    if dice.roll(16) != 0 {
        let title = match dice.roll(16) {
            0 => json!(""),
            1 => json!("bell\u{7}"),
            2 => json!(5),
            3 => json!(null),
            4 => json!(long),
            _ => json!(format!("Step {} ✓", dice.roll(100))),
        };
        input.insert("title".into(), title);
    }
    let optional: [(&str, &[Value]); 5] = [
        ("description", &[json!("Why"), json!(null), json!(3)]),
        (
            "requiresApproval",
            &[json!(true), json!(false), json!("yes"), json!(null)],
        ),
        (
            "plannedStart",
            &[json!(start), json!(end), json!("soon"), json!(null)],
        ),
        ("plannedEnd", &[json!(end), json!(start), json!(null)]),
        ("colour", &[json!("red")]),
    ];
    // an input field the type does not have, now and then
    let optional = &optional[..4 + usize::from(dice.roll(8) == 0)];
    for &(name, values) in optional {
        if dice.roll(3) == 0 {
            // mostly the first, valid, value
            let value = match dice.roll(4) {
                0 => &values[dice.roll(values.len())],
                _ => &values[0],
            };
            input.insert(name.into(), value.clone());
        }
    }
    let mut fields = vec!["id".to_owned()];
    for _ in 0..dice.roll(5) {
        let field = dice.pick(MILESTONE_SCALARS);
        fields.push(match dice.roll(8) {
            0 => format!("a{}: {field}", dice.roll(2)),
            _ => field.to_owned(),
        });
    }
    match dice.roll(10) {
        0 => fields.push("... on Milestone { title }".into()),
        1 => fields.push("release { id }".into()),
        2 => fields.push("colour".into()),
        _ => {}
    }
    let selection = fields.join(" ");
    let key = if dice.roll(4) == 0 {
        "step"
    } else {
        "addMilestone"
    };
    let field = if key == "step" {
        "step: addMilestone"
    } else {
        "addMilestone"
    };
    let input = Value::Object(input);
    let body = match dice.roll(3) {
        0 => {
            let nullable = if dice.roll(6) == 0 { "" } else { "!" };
            json!({
                "query": format!("mutation($input: AddMilestoneInput{nullable}) {{ {field}(input: $input) {{ {selection} }} }}"),
                "variables": { "input": input },
            })
        }
        _ => json!({
            "query": format!("mutation {{ {field}(input: {}) {{ {selection} }} }}", literal_value(&input)),
        }),
    };
    (body, key.to_owned(), selection)
}

/// `value` written as a GraphQL literal.
fn literal_value(value: &Value) -> String {
    match value {
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}: {}", literal_value(value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        other => other.to_string(),
    }
}

/// 150 random `addMilestone` documents, valid and not, literal and variable:
/// every one answers, writes and audits on the direct path as the executor does.
async fn random_mutations_answer_alike(app: &TestApp) {
    let releases = seed(app).await;
    let executor = reference_app(app).await;
    let executor_url = format!("http://{}", executor.addr);
    let mut dice = Dice(20_261_128);
    let (mut direct, mut succeeded) = (0, 0);
    for n in 0..150 {
        let (body, key, selection) = random_mutation(&mut dice, &releases);
        let label = format!("random {n}: {body}");
        let compared = compare(
            app,
            &executor_url,
            &app.admin_token,
            &body,
            (&key, &selection),
            (&format!("random-{n}"), &label),
            &releases,
        )
        .await;
        direct += usize::from(compared.direct);
        succeeded += usize::from(compared.succeeded);
    }
    eprintln!("{direct} of 150 on the direct path, {succeeded} succeeded");
    // enough of each kind that the comparison means something
    assert!(direct >= 30, "{direct} of 150 on the direct path");
    assert!(succeeded >= 20, "{succeeded} of 150 succeeded");
    assert!(succeeded <= 130, "{succeeded} of 150 succeeded");
    executor.stop().await.expect("stop the second application");
}

/// A second application on `app`'s database with the direct writes off.
async fn reference_app(app: &TestApp) -> Application {
    second_app(app, |graphql| graphql.direct_writes = false).await
}

on_both_databases!(
    direct_writes_answer_and_audit_as_the_executor,
    random_mutations_answer_alike,
);
