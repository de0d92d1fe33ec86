//! The direct path answers exactly as async-graphql's executor does: every
//! document here goes to the served app and to a second one on the same
//! database with `graphql.direct_reads` off, and the two answers must be equal
//! byte for byte, with the same status, media type and statement count. The
//! request log says which path answered, so each case also checks that the
//! documents meant for the direct path took it and the others did not.

use crate::fixtures;
use entities::entity::Role;
use releasedesk::app::Application;
use releasedesk_tests::{captured_logs, on_both_databases, test_settings, TestApp};
use serde_json::{json, Value};

/// Which path answers a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// The direct path, with the executor's statements.
    Direct,
    /// Planned, but the release is missing or hidden: the executor reads it
    /// once more and reports it (one statement more).
    Missing,
    /// Declined by the planner; the executor answers.
    Executor,
}

/// A document, its variables, and the path that answers it.
struct Case {
    name: &'static str,
    query: String,
    variables: Value,
    operation_name: Option<&'static str>,
    /// The path for the administrator.
    path: Path,
    /// Selects a release the stakeholder may not see (`Missing` for them).
    hidden_from_stakeholder: bool,
}

fn case(name: &'static str, path: Path, query: &str, variables: Value) -> Case {
    Case {
        name,
        query: query.to_owned(),
        variables,
        operation_name: None,
        path,
        hidden_from_stakeholder: false,
    }
}

const EVERY_RELEASE_FIELD: &str = "__typename id title description type scope status \
    plannedStart plannedEnd actualStart actualEnd reviewOutcome lessonsLearned cancelReason \
    templateId createdAt updatedAt version";
const EVERY_MILESTONE_FIELD: &str = "__typename id sequence title description status \
    requiresApproval plannedStart plannedEnd actualStart actualEnd updatedAt version";
const EVERY_PERSON_FIELD: &str = "__typename id name email createdAt";

/// The answer of one request: status, media type, body and statements.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
    pub(crate) statements: usize,
}

/// Posts `body` to `base_url` as `token` under `request_id`, counting statements.
pub(crate) async fn ask(
    app: &TestApp,
    base_url: &str,
    token: &str,
    body: &Value,
    request_id: &str,
) -> Answer {
    app.reset_statements();
    let response = app
        .http()
        .post(format!("{base_url}/graphql"))
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
pub(crate) fn answered_directly(request_id: &str) -> Option<bool> {
    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|line| line.contains(&format!("request_id={request_id} ")))?;
    Some(line.contains("direct=true"))
}

/// Seeds releases with every kind of value a field can hold.
async fn seed(app: &TestApp) -> (Vec<String>, String, String) {
    let owner = fixtures::person(app, "Owner Ünïcödé").await;
    let other = fixtures::person(app, "Other Owner").await;
    let (viewer_id, viewer_token) = app.user("Stake Holder", &[Role::Stakeholder]).await;
    let (start, end) = fixtures::window(3, 10);
    let mut ids = Vec::new();
    let major = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail \"server\" upgrade \\ 2027 😀", "type": "MAJOR",
                "description": "Line one\nline two </script> \u{2028}",
                "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    ids.push(major["id"].as_str().unwrap().to_owned());
    let minor = fixtures::release(
        app,
        &other,
        json!({ "title": "Minor patch", "type": "MINOR", "useTemplate": false }),
    )
    .await;
    let minor_id = minor["id"].as_str().unwrap().to_owned();
    ids.push(minor_id.clone());
    let (m_start, m_end) = fixtures::window(4, 2);
    app.ok(
        "mutation($r: ID!, $s: DateTime, $e: DateTime) { a: addMilestone(input: { releaseId: $r, title: \"Prepare\", description: \"steps\", requiresApproval: true, plannedStart: $s, plannedEnd: $e }) { id }
           b: addMilestone(input: { releaseId: $r, title: \"Roll out\" }) { id } }",
        json!({ "r": minor_id, "s": m_start, "e": m_end }),
    )
    .await;
    let cancelled = fixtures::release(
        app,
        &owner,
        json!({ "title": "Cancelled one", "type": "EMERGENCY" }),
    )
    .await;
    let cancelled_id = cancelled["id"].as_str().unwrap().to_owned();
    app.ok(
        fixtures::TRANSITION,
        json!({ "id": cancelled_id, "action": "CANCEL", "reason": "No longer needed" }),
    )
    .await;
    ids.push(cancelled_id);
    for n in 0..4 {
        let plain = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("Plain {n}"), "type": "MINOR", "useTemplate": false }),
        )
        .await;
        ids.push(plain["id"].as_str().unwrap().to_owned());
    }
    for (release, person, role) in [
        (&ids[0], viewer_id.to_string(), "TESTER"),
        (&ids[0], other.clone(), "IMPLEMENTER"),
        (&ids[1], viewer_id.to_string(), "APPROVER"),
    ] {
        app.ok(
            "mutation($r: ID!, $p: ID!, $role: StakeholderRole!) { addStakeholder(input: { releaseId: $r, personId: $p, role: $role }) { id } }",
            json!({ "r": release, "p": person, "role": role }),
        )
        .await;
    }
    (ids, viewer_token, owner)
}

fn cases(ids: &[String], cursor: &str) -> Vec<Case> {
    let first = &ids[0];
    let hidden = &ids[3];
    let mut cases = vec![
        case(
            "the benchmark's list",
            Path::Direct,
            "{ releases(first: 20) { nodes { id title status plannedStart milestones { id title status sequence } } } }",
            json!({}),
        ),
        case(
            "every field of a page",
            Path::Direct,
            &format!(
                "{{ __typename releases {{ __typename pageInfo {{ __typename hasPreviousPage hasNextPage startCursor endCursor }}
                   edges {{ __typename cursor node {{ {EVERY_RELEASE_FIELD} owner {{ {EVERY_PERSON_FIELD} }}
                     milestones {{ {EVERY_MILESTONE_FIELD} }}
                     stakeholders {{ __typename id role notify createdAt person {{ {EVERY_PERSON_FIELD} }} }} }} }}
                   nodes {{ id owner {{ name }} }} }} }}"
            ),
            json!({}),
        ),
        case(
            "pages forwards and backwards with variables",
            Path::Direct,
            "query($n: Int, $after: String, $m: Int!, $before: String) {
               forward: releases(first: $n, after: $after) { pageInfo { hasPreviousPage hasNextPage startCursor endCursor } nodes { id } }
               backward: releases(last: $m, before: $before) { pageInfo { hasPreviousPage hasNextPage } edges { cursor node { id } } } }",
            json!({ "n": 2, "after": cursor, "m": 2, "before": cursor }),
        ),
        case(
            "a null page size",
            Path::Direct,
            "query($n: Int) { releases(first: $n) { nodes { id } } }",
            json!({ "n": null }),
        ),
        case(
            "an empty page",
            Path::Direct,
            "{ releases(first: 0) { pageInfo { startCursor endCursor hasNextPage } nodes { id milestones { id } owner { id } } } }",
            json!({}),
        ),
        case(
            "one release by a literal id",
            Path::Direct,
            &format!("{{ release(id: \"{first}\") {{ {EVERY_RELEASE_FIELD} milestones {{ {EVERY_MILESTONE_FIELD} }} }} }}"),
            json!({}),
        ),
        case(
            "one release by an integer id, without milestones",
            Path::Direct,
            &format!("{{ release(id: {first}) {{ id title owner {{ name }} stakeholders {{ role person {{ email }} }} }} }}"),
            json!({}),
        ),
        case(
            "one release by a variable, with aliases and fragments",
            Path::Direct,
            "query One($id: ID!) { r: release(id: $id) { ...Head ... on Release { id s: status } ... { milestones { ...Step } } id } }
             fragment Head on Release { id title }
             fragment Step on Milestone { id title title }",
            json!({ "id": first }),
        ),
        case(
            "several roots",
            Path::Direct,
            &format!("{{ a: release(id: \"{first}\") {{ id }} __typename b: releases(first: 2) {{ nodes {{ id }} }} c: releases(first: 1) {{ nodes {{ title }} }} }}"),
            json!({}),
        ),
        case(
            "a release that is not there",
            Path::Missing,
            "{ release(id: \"999999\") { id title } }",
            json!({}),
        ),
        case(
            "an id that is not a number",
            Path::Executor,
            "{ release(id: \"abc\") { id } }",
            json!({}),
        ),
        case(
            "a page too long",
            Path::Executor,
            "{ releases(first: 1000) { nodes { id } } }",
            json!({}),
        ),
        case(
            "a cursor from elsewhere",
            Path::Executor,
            "{ releases(after: \"bm90IGEgY3Vyc29y\") { nodes { id } } }",
            json!({}),
        ),
        case(
            "first and last together",
            Path::Executor,
            "{ releases(first: 1, last: 1) { nodes { id } } }",
            json!({}),
        ),
        case(
            "a filter",
            Path::Executor,
            "{ releases(filter: { types: [MAJOR] }) { nodes { id type } } }",
            json!({}),
        ),
        case(
            "a field the plan does not know",
            Path::Executor,
            "{ releases { totalCount nodes { id availableActions } } }",
            json!({}),
        ),
        case(
            "a directive",
            Path::Executor,
            "{ releases { nodes { id title @include(if: false) } } }",
            json!({}),
        ),
        case(
            "an unused fragment",
            Path::Executor,
            "{ releases { nodes { id } } } fragment Unused on Release { id }",
            json!({}),
        ),
        case(
            "an unused variable",
            Path::Executor,
            "query($n: Int) { releases { nodes { id } } }",
            json!({ "n": 1 }),
        ),
        case(
            "a nullable variable for a required id",
            Path::Executor,
            "query($id: ID) { release(id: $id) { id } }",
            json!({ "id": first }),
        ),
        case(
            "a variable of the wrong type",
            Path::Executor,
            "query($n: Int) { releases(first: $n) { nodes { id } } }",
            json!({ "n": "two" }),
        ),
        case(
            "a required variable left out",
            Path::Executor,
            "query($id: ID!) { release(id: $id) { id } }",
            json!({}),
        ),
        case(
            "a leaf with a selection",
            Path::Executor,
            "{ releases { nodes { id { x } } } }",
            json!({}),
        ),
        case(
            "an object without one",
            Path::Executor,
            "{ releases { nodes { milestones } } }",
            json!({}),
        ),
        case(
            "conflicting fields under one key",
            Path::Executor,
            "{ releases { nodes { x: id x: title } } }",
            json!({}),
        ),
        case(
            "too complex",
            Path::Executor,
            &format!(
                "{{ releases(first: 100) {{ edges {{ cursor node {{ {EVERY_RELEASE_FIELD} milestones {{ {EVERY_MILESTONE_FIELD} }} owner {{ {EVERY_PERSON_FIELD} }} }} }}
                   nodes {{ {EVERY_RELEASE_FIELD} milestones {{ {EVERY_MILESTONE_FIELD} }} }} }} }}"
            ),
            json!({}),
        ),
        case(
            "a mutation",
            Path::Executor,
            "mutation { updateRelease(id: \"999999\", input: {}) { id } }",
            json!({}),
        ),
    ];
    let mut hidden = case(
        "a release the stakeholder does not see",
        Path::Direct,
        &format!("{{ release(id: \"{hidden}\") {{ id title }} }}"),
        json!({}),
    );
    hidden.hidden_from_stakeholder = true;
    cases.push(hidden);
    let mut named = case(
        "a named operation picked by name",
        Path::Direct,
        "query Mine { releases(first: 3) { nodes { id } } }",
        json!({}),
    );
    named.operation_name = Some("Mine");
    cases.push(named);
    let mut wrong = case(
        "a named operation asked by another name",
        Path::Executor,
        "query Mine { releases(first: 3) { nodes { id } } }",
        json!({}),
    );
    wrong.operation_name = Some("Yours");
    cases.push(wrong);
    cases
}

async fn direct_answers_equal_the_executors(app: &TestApp) {
    let Setup {
        ids,
        viewer_token,
        library,
        library_url,
        cursor,
    } = setup(app).await;
    let mut checked = 0;
    for (who, token) in [
        ("admin", app.admin_token.as_str()),
        ("stakeholder", &viewer_token),
    ] {
        warm(app, token, &library_url).await;
        for (n, case) in cases(&ids, &cursor).into_iter().enumerate() {
            let mut body = json!({ "query": case.query, "variables": case.variables });
            if let Some(name) = case.operation_name {
                body["operationName"] = json!(name);
            }
            let request_id = format!("direct-{:?}-{who}-{n}", app.backend);
            let direct = ask(app, &app.base_url, token, &body, &request_id).await;
            let reference = ask(app, &library_url, token, &body, "reference").await;
            let path = if who == "stakeholder" && case.hidden_from_stakeholder {
                Path::Missing
            } else {
                case.path
            };
            assert_eq!(
                (direct.status, &direct.content_type, &direct.body),
                (reference.status, &reference.content_type, &reference.body),
                "{who}: {}",
                case.name
            );
            let extra = usize::from(path == Path::Missing);
            assert_eq!(
                direct.statements,
                reference.statements + extra,
                "{who}: statements of {}",
                case.name
            );
            assert_eq!(
                answered_directly(&request_id),
                Some(path == Path::Direct),
                "{who}: {} should take the path {path:?}",
                case.name
            );
            checked += 1;
        }
    }
    // the direct answers hold data, not errors
    let answer = ask(
        app,
        &app.base_url,
        &app.admin_token,
        &json!({ "query": "{ releases { nodes { id milestones { id } } } }" }),
        "count",
    )
    .await;
    let data: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(
        data["data"]["releases"]["nodes"].as_array().map(Vec::len),
        Some(ids.len())
    );
    assert!(checked > 50);
    library.stop().await.expect("stop the second application");
}

/// A small deterministic generator (an LCG), so the random documents are the
/// same on every run.
pub(crate) struct Dice(pub(crate) u64);

impl Dice {
    pub(crate) fn roll(&mut self, sides: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % sides as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.roll(options.len())]
    }

    /// Some of `fields`, in a random order, now and then one twice.
    fn some(&mut self, fields: &[&str]) -> String {
        let mut chosen: Vec<String> = Vec::new();
        for _ in 0..1 + self.roll(fields.len()) {
            let field = self.pick(fields);
            let aliased = match self.roll(6) {
                0 => format!("a{}: {field}", self.roll(3)),
                _ => field.to_owned(),
            };
            chosen.push(aliased);
        }
        chosen.join(" ")
    }
}

const RELEASE_SCALARS: &[&str] = &[
    "id",
    "title",
    "description",
    "type",
    "scope",
    "status",
    "plannedStart",
    "plannedEnd",
    "actualStart",
    "actualEnd",
    "reviewOutcome",
    "lessonsLearned",
    "cancelReason",
    "templateId",
    "createdAt",
    "updatedAt",
    "version",
    "__typename",
];
pub(crate) const MILESTONE_SCALARS: &[&str] = &[
    "id",
    "sequence",
    "title",
    "description",
    "status",
    "requiresApproval",
    "plannedStart",
    "plannedEnd",
    "actualStart",
    "actualEnd",
    "updatedAt",
    "version",
    "__typename",
];
const PERSON_SCALARS: &[&str] = &["id", "name", "email", "createdAt", "__typename"];

fn random_release(dice: &mut Dice) -> String {
    let mut parts = vec![dice.some(RELEASE_SCALARS)];
    if dice.roll(2) == 0 {
        parts.push(format!("milestones {{ {} }}", dice.some(MILESTONE_SCALARS)));
    }
    if dice.roll(3) == 0 {
        parts.push(format!("owner {{ {} }}", dice.some(PERSON_SCALARS)));
    }
    if dice.roll(3) == 0 {
        parts.push(format!(
            "stakeholders {{ {} person {{ {} }} }}",
            dice.some(&["id", "role", "notify", "createdAt", "__typename"]),
            dice.some(PERSON_SCALARS)
        ));
    }
    match dice.roll(12) {
        0 => parts.push("... on Release { id title }".into()),
        1 => parts.push("bogus".into()),
        2 => parts.push("availableActions".into()),
        _ => {}
    }
    parts.join(" ")
}

fn random_document(dice: &mut Dice, ids: &[String], cursor: &str) -> (String, Value) {
    let mut roots = Vec::new();
    let mut variables = serde_json::Map::new();
    let mut definitions = Vec::new();
    for n in 0..1 + dice.roll(2) {
        let alias = if n == 0 {
            String::new()
        } else {
            format!("r{n}: ")
        };
        if dice.roll(3) == 0 {
            let id = match dice.roll(6) {
                0 => "\"0\"".to_owned(),
                1 => "\"abc\"".to_owned(),
                2 => "424242".to_owned(),
                _ => format!("\"{}\"", ids[dice.roll(ids.len())]),
            };
            let id = if dice.roll(3) == 0 {
                definitions.push(format!("$id{n}: ID!"));
                variables.insert(format!("id{n}"), json!(id.trim_matches('"')));
                format!("$id{n}")
            } else {
                id
            };
            roots.push(format!(
                "{alias}release(id: {id}) {{ {} }}",
                random_release(dice)
            ));
        } else {
            let mut arguments = Vec::new();
            let size = ["0", "1", "3", "100", "101", "-1", "null"];
            match dice.roll(5) {
                0 => arguments.push(format!("first: {}", dice.pick(&size))),
                1 => arguments.push(format!("last: {}", dice.pick(&size))),
                2 => {
                    definitions.push(format!("$n{n}: Int"));
                    variables.insert(format!("n{n}"), json!(dice.roll(5)));
                    arguments.push(format!("first: $n{n}"));
                }
                _ => {}
            }
            match dice.roll(6) {
                0 => arguments.push(format!("after: \"{cursor}\"")),
                1 => arguments.push(format!("before: \"{cursor}\"")),
                2 => arguments.push("after: \"garbage\"".into()),
                _ => {}
            }
            let arguments = if arguments.is_empty() {
                String::new()
            } else {
                format!("({})", arguments.join(", "))
            };
            let mut connection = Vec::new();
            if dice.roll(2) == 0 {
                connection.push(format!("nodes {{ {} }}", random_release(dice)));
            }
            if dice.roll(2) == 0 {
                connection.push(format!(
                    "edges {{ cursor node {{ {} }} }}",
                    random_release(dice)
                ));
            }
            if dice.roll(3) == 0 || connection.is_empty() {
                connection.push(format!(
                    "pageInfo {{ {} }}",
                    dice.some(&["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"])
                ));
            }
            if dice.roll(10) == 0 {
                connection.push("totalCount".into());
            }
            roots.push(format!(
                "{alias}releases{arguments} {{ {} }}",
                connection.join(" ")
            ));
        }
    }
    let header = if definitions.is_empty() {
        String::new()
    } else {
        format!("query({})", definitions.join(", "))
    };
    (
        format!("{header} {{ {} }}", roots.join(" ")),
        Value::Object(variables),
    )
}

/// Random documents over the fields the direct path knows, and some it does
/// not: both paths answer each alike.
async fn random_documents_answer_alike(app: &TestApp) {
    let Setup {
        ids,
        viewer_token,
        library,
        library_url,
        cursor,
    } = setup(app).await;
    let mut dice = Dice(20_261_127);
    let mut direct = 0;
    for (who, token) in [
        ("admin", app.admin_token.as_str()),
        ("stakeholder", &viewer_token),
    ] {
        warm(app, token, &library_url).await;
        for n in 0..150 {
            let (query, variables) = random_document(&mut dice, &ids, &cursor);
            let body = json!({ "query": query, "variables": variables });
            let request_id = format!("random-{:?}-{who}-{n}", app.backend);
            let answer = ask(app, &app.base_url, token, &body, &request_id).await;
            let reference = ask(app, &library_url, token, &body, "reference").await;
            assert_eq!(answer.status, reference.status, "{who}: {query}");
            assert_eq!(
                comparable(&answer.body),
                comparable(&reference.body),
                "{who}: {query} with {variables}"
            );
            if answered_directly(&request_id) == Some(true) {
                direct += 1;
                // several roots share one statement per relation, as the request
                // loader shares them; never more statements than the executor
                assert!(
                    answer.statements <= reference.statements,
                    "{who}: {} statements against {} for {query}",
                    answer.statements,
                    reference.statements
                );
            }
        }
    }
    // the generator reaches the direct path often, and the executor too
    assert!(
        (50..280).contains(&direct),
        "{direct} of 300 answered directly"
    );
    library.stop().await.expect("stop the second application");
}

/// A body to compare: the bytes when it holds no errors; with errors, the
/// parsed JSON with its errors sorted, since the library orders the errors of
/// several root fields by which resolver failed first.
fn comparable(body: &str) -> String {
    let Ok(mut parsed) = serde_json::from_str::<Value>(body) else {
        return body.to_owned();
    };
    match parsed.get_mut("errors").and_then(Value::as_array_mut) {
        Some(errors) => {
            errors.sort_by_key(|error| error.to_string());
            parsed.to_string()
        }
        None => body.to_owned(),
    }
}

/// What both comparison tests start from: the seeded releases, the
/// stakeholder's token, the reference application and its URL, and a cursor.
struct Setup {
    ids: Vec<String>,
    viewer_token: String,
    library: Application,
    library_url: String,
    cursor: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (ids, viewer_token, _) = seed(app).await;
    let library = reference_app(app).await;
    let library_url = format!("http://{}", library.addr);
    let page = app
        .ok("{ releases(first: 3) { edges { cursor } } }", json!({}))
        .await;
    let cursor = page["releases"]["edges"][1]["cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    Setup {
        ids,
        viewer_token,
        library,
        library_url,
        cursor,
    }
}

/// Authentication is remembered per app: pay it on both before counting.
async fn warm(app: &TestApp, token: &str, library_url: &str) {
    for url in [app.base_url.as_str(), library_url] {
        ask(
            app,
            url,
            token,
            &json!({ "query": "{ __typename }" }),
            "warm",
        )
        .await;
    }
}

/// A second application on `app`'s database with the direct path off.
async fn reference_app(app: &TestApp) -> Application {
    second_app(app, |graphql| graphql.direct_reads = false).await
}

/// A second application on `app`'s database, its `graphql` settings changed.
pub(crate) async fn second_app(
    app: &TestApp,
    change: impl FnOnce(&mut releasedesk::config::GraphqlSettings),
) -> Application {
    let mut settings = (*app.context().settings).clone();
    settings.server.bind = "127.0.0.1:0".into();
    change(&mut settings.graphql);
    Application::start(settings, app.database().clone(), app.clock.clone())
        .await
        .expect("start the second application")
}

/// Batches mix direct and executed answers in one array.
async fn a_batch_mixes_both_paths(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "Batch", "type": "MAJOR" })).await;
    let id = release["id"].as_str().unwrap();
    let batch = json!([
        { "query": "query($id: ID!) { release(id: $id) { id title milestones { title } } }", "variables": { "id": id } },
        { "query": "{ releases { totalCount } }" },
        { "query": "{ release(id: \"424242\") { id } }" },
    ]);
    let request_id = format!("batch-{:?}", app.backend);
    let answer = ask(app, &app.base_url, &app.admin_token, &batch, &request_id).await;
    assert_eq!(answer.status, 200);
    let answers: Value = serde_json::from_str(&answer.body).expect("a JSON array");
    assert_eq!(answers[0]["data"]["release"]["id"], json!(id));
    assert_eq!(answers[1]["data"]["releases"]["totalCount"], json!(1));
    assert_eq!(
        answers[2]["errors"][0]["extensions"]["code"],
        json!("NOT_FOUND")
    );
    assert_eq!(answered_directly(&request_id), Some(true));
}

/// Test settings with batching on, for the batch test.
fn settings() -> releasedesk::config::Settings {
    let mut settings = test_settings();
    settings.server.batching = true;
    settings
}

on_both_databases!(
    with super::settings();
    direct_answers_equal_the_executors,
    random_documents_answer_alike,
    a_batch_mixes_both_paths,
);
