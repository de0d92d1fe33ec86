//! Who may do what: every query, mutation and subscription as every role and
//! as every kind of bad credential, and what a stakeholder can never see.

use crate::fixtures::{self, window};
use entities::entity::Role;
use entities::{tokens, Clock, Stamp};
use releasedesk_tests::{error_code, jwt, on_both_databases, TestApp};
use serde_json::{json, Value};

/// The identities the matrix runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    ReleaseManager,
    ChangeManager,
    ReviewBoard,
    Stakeholder,
    Anonymous,
    ExpiredToken,
    RevokedToken,
    WrongAudience,
    BadSignature,
}

const ROLES: [Who; 5] = [
    Who::Admin,
    Who::ReleaseManager,
    Who::ChangeManager,
    Who::ReviewBoard,
    Who::Stakeholder,
];
const NOBODY: [Who; 5] = [
    Who::Anonymous,
    Who::ExpiredToken,
    Who::RevokedToken,
    Who::WrongAudience,
    Who::BadSignature,
];

use Who::{
    Admin as A, ChangeManager as CM, ReleaseManager as RM, ReviewBoard as RB, Stakeholder as SH,
};

/// (name, operation, who may) — everyone else with an account gets FORBIDDEN.
const CASES: &[(&str, &str, &[Who])] = &[
    ("me", "{ me { id roles } }", &[A, RM, CM, RB, SH]),
    ("releases", "{ releases { totalCount edges { node { id } } } }", &[A, RM, CM, RB, SH]),
    ("release", "query($id: ID!) { release(id: $id) { id owner { name } stakeholders { role } } }", &[A, RM, CM, RB, SH]),
    ("milestone", "query($mid: ID!) { milestone(id: $mid) { id release { id } } }", &[A, RM, CM, RB, SH]),
    ("people", "{ people { id } }", &[A, RM, CM]),
    ("person", "query($pid: ID!) { person(id: $pid) { id email } }", &[A, RM, CM]),
    ("others_roles", "query($pid: ID!) { person(id: $pid) { roles } }", &[A]),
    ("milestoneTemplates", "{ milestoneTemplates { id } }", &[A, RM]),
    ("apiTokens", "{ apiTokens { id } }", &[A]),
    ("auditEvents", "{ auditEvents { id } }", &[A]),
    ("createRelease", "mutation($owner: ID!) { createRelease(input: { title: \"New\", type: MINOR, ownerId: $owner }) { id } }", &[A, RM]),
    ("updateRelease", "mutation($id: ID!) { updateRelease(id: $id, input: { title: \"Renamed\" }, expectedVersion: 1) { id } }", &[A, RM]),
    ("submit", "mutation($id: ID!) { transitionRelease(id: $id, action: SUBMIT) { status } }", &[A, RM, CM]),
    ("cancel_draft", "mutation($id: ID!) { transitionRelease(id: $id, action: CANCEL, reason: \"no\") { status } }", &[A, RM, CM]),
    ("cancel_requested", "mutation($requested: ID!) { transitionRelease(id: $requested, action: CANCEL, reason: \"no\") { status } }", &[A, RM]),
    ("approve", "mutation($requested: ID!) { transitionRelease(id: $requested, action: APPROVE) { status } }", &[A, RM]),
    ("recordReleaseReview", "mutation($review: ID!) { recordReleaseReview(id: $review, outcome: SUCCESSFUL, lessonsLearned: \"ok\") { id } }", &[A, RM]),
    ("addMilestone", "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"M\" }) { id } }", &[A, RM]),
    ("updateMilestone", "mutation($mid: ID!) { updateMilestone(id: $mid, input: { title: \"M2\" }) { id } }", &[A, RM]),
    ("transitionMilestone", "mutation($mid: ID!) { transitionMilestone(id: $mid, action: SKIP) { id } }", &[A, RM]),
    ("createPerson", "mutation($email: String!) { createPerson(input: { name: \"P\", email: $email }) { id } }", &[A]),
    ("addStakeholder", "mutation($id: ID!, $pid: ID!) { addStakeholder(input: { releaseId: $id, personId: $pid, role: IMPLEMENTER }) { id } }", &[A, RM]),
    ("removeStakeholder", "mutation($sid: ID!) { removeStakeholder(id: $sid) { id } }", &[A, RM]),
    ("createMilestoneTemplate", "mutation($name: String!) { createMilestoneTemplate(input: { name: $name, releaseType: MINOR, items: [{ title: \"x\" }] }) { id } }", &[A]),
    ("setPersonRoles", "mutation($pid: ID!) { setPersonRoles(personId: $pid, roles: [TESTER_ROLE_PLACEHOLDER]) }", &[A]),
    ("createApiToken", "mutation($pid: ID!) { createApiToken(input: { personId: $pid, name: \"ci\" }) { secret } }", &[A]),
    ("revokeApiToken", "mutation($tid: ID!) { revokeApiToken(id: $tid) { id } }", &[A]),
    ("changes", "{ changes { id } }", &[A, RM, CM]),
    ("configurationItems", "{ configurationItems { id } }", &[A, RM, CM]),
    ("createChange", "mutation($pid: ID!) { createChange(input: { title: \"C\", risk: LOW, requesterId: $pid }) { id } }", &[A, RM, CM]),
    ("linkChange", "mutation($cid: ID!, $id: ID!) { linkChange(id: $cid, releaseId: $id) { id } }", &[A, RM, CM]),
    ("createConfigurationItem", "mutation($name: String!) { createConfigurationItem(input: { name: $name, type: SERVER }) { id } }", &[A, RM, CM]),
    ("createPackage", "mutation($id: ID!, $iid: ID!) { createPackage(input: { name: \"P\", releaseId: $id, itemIds: [$iid] }) { id } }", &[A, RM]),
    ("change", "query($cid: ID!) { change(id: $cid) { id history { kind actor { name } } } }", &[A, RM, CM]),
    ("updateChange", "mutation($cid: ID!) { updateChange(id: $cid, input: { title: \"Renamed\" }, expectedVersion: 1) { id } }", &[A, RM, CM]),
    ("unlinkChange", "mutation($cid: ID!) { unlinkChange(id: $cid) { id } }", &[A, RM, CM]),
    ("setChangeItems", "mutation($cid: ID!, $iid: ID!) { setChangeItems(changeId: $cid, itemIds: [$iid]) }", &[A, RM, CM]),
    ("setPackageItems", "mutation($pkg: ID!, $iid: ID!) { setPackageItems(id: $pkg, itemIds: [$iid]) { id } }", &[A, RM]),
    ("releasesTouching", "query($iid: ID!) { releasesTouching(itemId: $iid) { id } }", &[A, RM, CM, RB, SH]),
    ("jobs", "{ jobs { name } }", &[A]),
    ("jobRuns", "{ jobRuns { edges { node { id } } } }", &[A]),
    ("runJob", "mutation { runJob(name: \"housekeeping\") { id } }", &[A]),
    ("approvals", "{ approvals { id } }", &[A, RM, CM, RB, SH]),
    ("approval", "query($aid: ID!) { approval(id: $aid) { id } }", &[A, RM, CM, RB, SH]),
    ("castVote", "mutation($aid: ID!) { castVote(input: { approvalId: $aid, decision: APPROVED }) { id } }", &[RB]),
    ("reopenApproval", "mutation($timed: ID!) { reopenApproval(id: $timed) { id } }", &[A, RM]),
    ("reviewBoardPolicy", "{ reviewBoardPolicy { rule } }", &[A, RM, CM, RB, SH]),
    ("setReviewBoardPolicy", "mutation { setReviewBoardPolicy(input: { rule: ALL, dueHours: 72, reminderHours: 24 }) { rule } }", &[A]),
    ("myDelegations", "{ myDelegations { id } }", &[A, RM, CM, RB, SH]),
    ("delegateApprovals", "mutation($cover: ID!, $later: DateTime!, $end: DateTime!) { delegateApprovals(input: { delegateId: $cover, startsAt: $later, endsAt: $end }) { id } }", &[RB]),
    ("revokeDelegation", "mutation($did: ID!) { revokeDelegation(id: $did) { id } }", &[A, RB]),
    ("outboxMessages", "{ outboxMessages { id } }", &[A]),
    ("retryOutboxMessage", "mutation($oid: ID!) { retryOutboxMessage(id: $oid) { id } }", &[A]),
    ("addCostLine", "mutation($id: ID!) { addCostLine(input: { releaseId: $id, category: LABOUR, description: \"Work\", amount: 100, incurredOn: \"2026-11-20\" }) { id } }", &[A, RM]),
    ("reverseCostLine", "mutation($lid: ID!) { reverseCostLine(id: $lid, reason: \"typo\") { id } }", &[A, RM]),
    ("setReleaseBudget", "mutation($id: ID!) { setReleaseBudget(id: $id, budget: 1000) { running } }", &[A, RM]),
    ("reopenCost", "mutation($frozen: ID!) { reopenCost(releaseId: $frozen, reason: \"late invoice\") { running } }", &[A]),
    ("releaseReport", "{ releaseReport(from: \"2026-11-01T00:00:00Z\", to: \"2026-12-01T00:00:00Z\") { releases { id } } }", &[A, RM]),
    ("reportSnapshots", "{ reportSnapshots { id } }", &[A, RM]),
    ("scheduleWindows", "{ scheduleWindows(from: \"2027-01-01T00:00:00Z\", to: \"2027-02-01T00:00:00Z\") { startsAt window { title items { name } } } }", &[A, RM, CM, RB, SH]),
    ("scheduleWindow", "query($wid: ID!) { scheduleWindow(id: $wid) { id reason } }", &[A, RM, CM, RB, SH]),
    ("createScheduleWindow", "mutation($iid: ID!) { createScheduleWindow(input: { title: \"Freeze\", kind: FREEZE, startsAt: \"2027-01-10T00:00:00Z\", endsAt: \"2027-01-11T00:00:00Z\", itemIds: [$iid], reason: \"year end\" }) { id } }", &[A, RM]),
    ("updateScheduleWindow", "mutation($wid: ID!) { updateScheduleWindow(id: $wid, input: { title: \"Renamed\" }, expectedVersion: 1) { id } }", &[A, RM]),
    ("cancelScheduleWindow", "mutation($wid: ID!) { cancelScheduleWindow(id: $wid) { id } }", &[A, RM]),
    ("schedule", "{ schedule(from: \"2027-01-01T00:00:00Z\", to: \"2027-02-01T00:00:00Z\") { kind title startsAt release { id } } }", &[A, RM, CM, RB, SH]),
    ("nextFreeWindow", "query($id: ID!) { nextFreeWindow(releaseId: $id, after: \"2027-01-01T00:00:00Z\") { startsAt } }", &[A, RM, CM, RB, SH]),
    ("myCalendarFeeds", "{ myCalendarFeeds { id name } }", &[A, RM, CM, RB, SH]),
    ("createCalendarFeed", "mutation { createCalendarFeed(name: \"My releases\") { url feed { id } } }", &[A, RM, CM, RB, SH]),
    ("revokeCalendarFeed", "mutation($fid: ID!) { revokeCalendarFeed(id: $fid) { id } }", &[A]),
];

/// How a refused identity is answered, where it is not FORBIDDEN: another
/// person's token or delegation answers like a missing one, a delegation
/// needs its delegator on the board (a rule on the input, as for a stranger),
/// and another person's roles are null without an error ([`HIDDEN`]) to
/// those who may read people at all.
fn refusal(name: &str, who: Who) -> &'static str {
    match name {
        "others_roles" if matches!(who, RM | CM) => HIDDEN,
        "revokeApiToken" | "revokeDelegation" | "revokeCalendarFeed" => "NOT_FOUND",
        "delegateApprovals" => "VALIDATION",
        _ => "FORBIDDEN",
    }
}

/// A refusal that answers null in place, with no error: the field depends on
/// who asks.
const HIDDEN: &str = "HIDDEN";

/// Whether `body` is a null answer without errors, the whole answer of a
/// [`HIDDEN`] field.
fn hidden(body: &Value) -> bool {
    fn all_null(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Object(fields) => fields.values().all(all_null),
            _ => false,
        }
    }
    body.get("errors").is_none() && body["data"].is_object() && all_null(&body["data"])
}

/// Subscriptions (over WebSocket, `tests/clients/live-access.mjs`): who may
/// open them. Every role may; what each event shows follows the subscriber's
/// visibility (see `live.rs`). Bad credentials are refused at connection_init.
const SUBSCRIPTION_CASES: &[(&str, &str, &[Who])] = &[
    (
        "releaseChanged",
        "subscription($ids: [ID!]) { releaseChanged(ids: $ids) { releaseId } }",
        &ROLES,
    ),
    (
        "myApprovals",
        "subscription { myApprovals { kind } }",
        &ROLES,
    ),
];

/// Every root field of the served schema's query, mutation and subscription
/// types has a case in [`CASES`] or [`SUBSCRIPTION_CASES`]: a new operation
/// without one fails here.
#[test]
fn the_matrix_covers_every_operation_in_the_schema() {
    let sdl = releasedesk::graphql::sdl();
    let mut missing = Vec::new();
    for root in ["QueryRoot", "MutationRoot", "SubscriptionRoot"] {
        let body = sdl
            .split(&format!("type {root} {{"))
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .unwrap_or_else(|| panic!("the schema has a {root}"));
        let mut in_description = false;
        for line in body.lines().map(str::trim) {
            if line.starts_with("\"\"\"") {
                // a one-line description opens and closes on the same line
                let one_line = line.len() > 3 && line.ends_with("\"\"\"");
                in_description = !(in_description || one_line);
                continue;
            }
            if in_description || line.is_empty() {
                continue;
            }
            let field: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let covered = CASES
                .iter()
                .chain(SUBSCRIPTION_CASES)
                .any(|(_, operation, _)| root_field(operation) == field);
            if !field.is_empty() && !covered {
                missing.push(format!("{root}.{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without an access case: {missing:?}"
    );
}

struct Identities {
    tokens: Vec<(Who, String)>,
    stakeholders: Vec<i32>,
}

impl Identities {
    async fn create(app: &TestApp) -> Self {
        let mut tokens = vec![(Who::Admin, app.admin_token.clone())];
        let mut stakeholders = Vec::new();
        for (who, name, roles) in [
            (Who::ReleaseManager, "Rm User", vec![Role::ReleaseManager]),
            (Who::ChangeManager, "Cm User", vec![Role::ChangeManager]),
            (Who::ReviewBoard, "Rb User", vec![Role::ReviewBoard]),
            (Who::Stakeholder, "Sh User", vec![]),
        ] {
            let (id, token) = app.user(name, &roles).await;
            if who != Who::ReleaseManager {
                stakeholders.push(id);
            }
            tokens.push((who, token));
        }
        let db = app.database();
        let now = app.clock.now();
        let (rm_id, _) = app.user("Expiring User", &[Role::ReleaseManager]).await;
        let (expiring, revoked) = entities::write(db, Stamp::system(now), async |tx| {
            let expiring =
                tokens::issue(tx, rm_id, "short", Some(now + chrono::Duration::minutes(1))).await?;
            let revoked = tokens::issue(tx, rm_id, "revoked", None).await?;
            tokens::revoke(tx, revoked.token.id).await?;
            Ok((expiring, revoked))
        })
        .await
        .unwrap();
        app.clock.advance(chrono::Duration::minutes(2));
        tokens.push((Who::ExpiredToken, expiring.secret));
        tokens.push((Who::RevokedToken, revoked.secret));
        tokens.push((
            Who::WrongAudience,
            jwt(
                app,
                json!({ "email": "rm.user@example.com", "aud": "someone-else" }),
            ),
        ));
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "email": "rm.user@example.com", "iss": releasedesk_tests::JWT_ISSUER,
                     "aud": releasedesk_tests::JWT_AUDIENCE, "exp": app.clock.now().timestamp() + 600 }),
            &jsonwebtoken::EncodingKey::from_secret(b"not-the-secret-of-the-identity-provider"),
        )
        .unwrap();
        tokens.push((Who::BadSignature, forged));
        Self {
            tokens,
            stakeholders,
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, t)| t.as_str())
    }
}

/// A fresh release the four non-manager users are stakeholders of, in several
/// states, plus everything else the operations need.
async fn prepare(app: &TestApp, ids: &Identities, n: usize) -> Value {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, &format!("Owner {n}")).await;
    let (start, end) = window(0, 30);
    let mut release_ids = Vec::new();
    for _ in 0..3 {
        let r = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("Secret {n}"), "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
        )
        .await;
        let id = r["id"].as_str().unwrap().to_owned();
        for person in &ids.stakeholders {
            app.ok(
                "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: STAKEHOLDER }) { id } }",
                json!({ "r": id, "p": person.to_string() }),
            )
            .await;
        }
        release_ids.push(id);
    }
    let [draft, requested, review] = [&release_ids[0], &release_ids[1], &release_ids[2]];
    let milestone = app
        .ok(
            "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Step\" }) { id } }",
            json!({ "id": draft }),
        )
        .await["addMilestone"]["id"]
        .clone();
    fixtures::transition(app, requested, "SUBMIT").await;
    for action in ["SUBMIT", "APPROVE", "START", "COMPLETE"] {
        fixtures::transition(app, review, action).await;
    }
    let stakeholder = app
        .ok(
            "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: TESTER }) { id } }",
            json!({ "r": draft, "p": owner }),
        )
        .await["addStakeholder"]["id"]
        .clone();
    let change = app
        .ok(
            "mutation($p: ID!) { createChange(input: { title: \"Change\", risk: LOW, requesterId: $p }) { id } }",
            json!({ "p": owner }),
        )
        .await["createChange"]["id"]
        .clone();
    let item = app
        .ok(
            "mutation($n: String!) { createConfigurationItem(input: { name: $n, type: SERVER }) { id } }",
            json!({ "n": format!("item-{n}") }),
        )
        .await["createConfigurationItem"]["id"]
        .clone();
    let window = app
        .ok(
            "mutation($i: ID!) { createScheduleWindow(input: { title: \"Year end\", kind: FREEZE,
                startsAt: \"2027-01-05T00:00:00Z\", endsAt: \"2027-01-06T00:00:00Z\",
                itemIds: [$i], reason: \"year end\" }) { id } }",
            json!({ "i": item }),
        )
        .await["createScheduleWindow"]["id"]
        .clone();
    let victim = app.user(&format!("Token Owner {n}"), &[]).await;
    // a feed of someone outside the five identities: only an administrator reaches it
    let feed = app
        .as_bearer(Some(&victim.1))
        .ok(
            "mutation { createCalendarFeed(name: \"The token owner's\") { feed { id } } }",
            json!({}),
        )
        .await["createCalendarFeed"]["feed"]["id"]
        .clone();
    let token_id = tokens::list(app.database(), Some(victim.0)).await.unwrap()[0].id;
    let package = app
        .ok(
            "mutation($r: ID!, $i: ID!) { createPackage(input: { name: \"Kit\", releaseId: $r, itemIds: [$i] }) { id } }",
            json!({ "r": draft, "i": item }),
        )
        .await["createPackage"]["id"]
        .clone();
    let line = app
        .ok(
            "mutation($r: ID!) { addCostLine(input: { releaseId: $r, category: LABOUR, description: \"Work\", amount: 100, incurredOn: \"2026-11-20\" }) { id } }",
            json!({ "r": draft }),
        )
        .await["addCostLine"]["id"]
        .clone();
    // the board's request, the Review Board user voting, the others on the release
    let mut approvals = Vec::new();
    for title in ["Board", "Timed out"] {
        let major = fixtures::release(
            app,
            &owner,
            json!({ "title": format!("{title} {n}"), "type": "MAJOR", "plannedStart": start, "plannedEnd": end, "useTemplate": false }),
        )
        .await;
        let major = major["id"].as_str().unwrap().to_owned();
        for person in &ids.stakeholders {
            app.ok(
                "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: STAKEHOLDER }) { id } }",
                json!({ "r": major, "p": person.to_string() }),
            )
            .await;
        }
        fixtures::transition(app, &major, "SUBMIT").await;
        approvals.push(
            app.ok(
                "query($r: ID!) { release(id: $r) { approvals { id } } }",
                json!({ "r": major }),
            )
            .await["release"]["approvals"][0]["id"]
                .clone(),
        );
    }
    let (timed, frozen) = (
        approvals[1].as_str().unwrap(),
        review.parse::<i32>().unwrap(),
    );
    fixture_sql(
        app,
        &format!("UPDATE approval_requests SET status = 'TIMED_OUT' WHERE id = {timed}"),
    )
    .await;
    fixture_sql(
        app,
        &format!("UPDATE releases SET cost_final = 0 WHERE id = {frozen}"),
    )
    .await;
    // a cover for the Review Board user, from next year, so no request opened now is handed on
    let (cover, _) = app
        .user(&format!("Board Cover {n}"), &[Role::ReviewBoard])
        .await;
    let (later, end_of_cover) = ("2027-06-01T00:00:00Z", "2027-06-30T00:00:00Z");
    let delegation = app
        .as_bearer(ids.token(Who::ReviewBoard))
        .ok(
            "mutation($d: ID!, $s: DateTime!, $e: DateTime!) { delegateApprovals(input: { delegateId: $d, startsAt: $s, endsAt: $e }) { id } }",
            json!({ "d": cover.to_string(), "s": later, "e": end_of_cover }),
        )
        .await["delegateApprovals"]["id"]
        .clone();
    let parked = entities::write(app.database(), Stamp::system(app.clock.now()), async |tx| {
        entities::outbox::enqueue(
            tx,
            vec![entities::outbox::Mail {
                key: format!("access:{n}"),
                kind: "TEST",
                release_id: None,
                recipient_id: None,
                recipient: "reader@example.com".into(),
                subject: "Parked".into(),
                text: "Body".into(),
                html: "<p>Body</p>".into(),
                attachments: Vec::new(),
            }],
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(parked, 1);
    fixture_sql(
        app,
        &format!(
            "UPDATE outbox_messages SET status = 'FAILED' WHERE idempotency_key = 'access:{n}'"
        ),
    )
    .await;
    let outbox_id = {
        use entities::entity::outbox_message::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        Entity::find()
            .filter(Column::IdempotencyKey.eq(format!("access:{n}")))
            .one(app.database())
            .await
            .unwrap()
            .unwrap()
            .id
    };
    json!({
        "id": draft, "requested": requested, "review": review, "mid": milestone,
        "owner": owner, "pid": owner, "sid": stakeholder, "tid": token_id.to_string(),
        "cid": change, "iid": item, "pkg": package, "lid": line,
        "aid": approvals[0], "timed": timed, "frozen": review,
        "cover": cover.to_string(), "later": later, "end": end_of_cover, "did": delegation,
        "oid": outbox_id.to_string(), "wid": window, "fid": feed,
        "email": format!("new.person.{n}@example.com"), "name": format!("Template {n}"),
    })
}

/// Puts a fixture into a state no operation reaches quickly (a timed-out
/// request, a frozen cost, a parked e-mail).
async fn fixture_sql(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    app.database()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
}

/// The first root field of an operation's text, as the audit trail names it.
fn root_field(operation: &str) -> &str {
    let body = operation
        .split_once('{')
        .map_or(operation, |(_, b)| b)
        .trim_start();
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
}

/// The audit events written after event id `after` (all with 0), oldest first.
async fn audit_rows_after(app: &TestApp, after: i32) -> Vec<entities::entity::audit_event::Model> {
    use entities::entity::audit_event::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    Entity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .all(app.database())
        .await
        .expect("read the audit trail")
}

/// The id of the newest audit event, 0 when there is none.
async fn last_audit_id(app: &TestApp) -> i32 {
    use entities::entity::audit_event::{Column, Entity};
    use sea_orm::{EntityTrait, QueryOrder};
    Entity::find()
        .order_by_desc(Column::Id)
        .one(app.database())
        .await
        .expect("read the audit trail")
        .map_or(0, |e| e.id)
}

async fn every_operation_as_every_identity(app: &TestApp) {
    let ids = Identities::create(app).await;
    let mut n = 0;
    let mut failures = Vec::new();
    for (name, operation, allowed) in CASES {
        let operation = operation.replace("TESTER_ROLE_PLACEHOLDER", "CHANGE_MANAGER");
        for who in ROLES {
            n += 1;
            let vars = prepare(app, &ids, n).await;
            let audited_before = last_audit_id(app).await;
            let body = app
                .as_bearer(ids.token(who))
                .graphql(&operation, vars)
                .await;
            let refusal = refusal(name, who);
            let expected = if allowed.contains(&who) {
                None
            } else {
                Some(refusal.to_owned())
            };
            let answered_as_expected = match expected.as_deref() {
                Some(HIDDEN) => hidden(&body),
                None if *name == "others_roles" => error_code(&body).is_none() && !hidden(&body),
                expected => error_code(&body) == expected,
            };
            if !answered_as_expected {
                failures.push(format!(
                    "{name} as {who:?}: expected {expected:?}, got {body}"
                ));
            }
            if operation.starts_with("mutation") {
                let audited = audit_rows_after(app, audited_before).await;
                let outcome = expected.clone().unwrap_or_else(|| "OK".to_owned());
                let recorded: Vec<(&str, &str)> = audited
                    .iter()
                    .map(|e| (e.operation.as_str(), e.outcome.as_str()))
                    .collect();
                if recorded != [(root_field(&operation), outcome.as_str())] {
                    failures.push(format!(
                        "{name} as {who:?}: expected one audit event with outcome {outcome}, got {recorded:?}"
                    ));
                }
            }
            if expected.is_some()
                && expected.as_deref() != Some(HIDDEN)
                && !body["data"].is_null()
                && body["data"]
                    .as_object()
                    .is_some_and(|d| d.values().any(|v| !v.is_null()))
            {
                failures.push(format!(
                    "{name} as {who:?}: refused but returned data {body}"
                ));
            }
        }
        for who in NOBODY {
            let body = app
                .as_bearer(ids.token(who))
                .graphql(&operation, json!({ "id": "1", "mid": "1", "pid": "1", "sid": "1", "tid": "1",
                    "requested": "1", "review": "1", "owner": "1", "email": "x@example.com", "name": "x",
                    "cid": "1", "iid": "1", "pkg": "1", "lid": "1", "aid": "1", "timed": "1",
                    "frozen": "1", "cover": "1", "later": "2027-06-01T00:00:00Z",
                    "end": "2027-06-30T00:00:00Z", "did": "1", "oid": "1", "wid": "1", "fid": "1" }))
                .await;
            if error_code(&body) != Some("UNAUTHENTICATED")
                || body.get("data").is_some_and(|d| !d.is_null())
            {
                failures.push(format!(
                    "{name} as {who:?}: expected UNAUTHENTICATED, got {body}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn every_subscription_as_every_identity(app: &TestApp) {
    let ids = Identities::create(app).await;
    let vars = prepare(app, &ids, 0).await;
    let identities: Vec<Value> = ROLES
        .iter()
        .chain(NOBODY.iter())
        .map(|who| json!({ "who": format!("{who:?}"), "token": ids.token(*who) }))
        .collect();
    let cases: Vec<Value> = SUBSCRIPTION_CASES
        .iter()
        .map(|(name, query, allowed)| {
            json!({ "name": name, "query": query,
                    "allowed": allowed.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>() })
        })
        .collect();
    let file = std::env::temp_dir().join(format!(
        "releasedesk-live-access-{}-{:?}.json",
        std::process::id(),
        app.backend
    ));
    let input = json!({ "adminToken": app.admin_token, "releaseId": vars["id"],
                        "identities": identities, "cases": cases });
    std::fs::write(&file, input.to_string()).unwrap();
    crate::clients::node(
        "live-access.mjs",
        vec![app.base_url.clone(), file.display().to_string()],
    )
    .await;
    std::fs::remove_file(&file).ok();
}

async fn a_stakeholder_sees_nothing_they_are_not_on(app: &TestApp) {
    let (sam, sam_token) = app.user("Sam Stakeholder", &[]).await;
    let owner = fixtures::person(app, "Owner").await;
    let (ms, me) = window(0, 90);
    let master = fixtures::release(
        app,
        &owner,
        json!({ "title": "Hidden master", "type": "MAJOR", "scope": "MASTER", "plannedStart": ms, "plannedEnd": me }),
    )
    .await;
    let (ps, pe) = window(10, 5);
    let mut phases = Vec::new();
    for title in ["Visible phase", "Hidden phase"] {
        phases.push(
            fixtures::release(
                app,
                &owner,
                json!({ "title": title, "type": "MINOR", "scope": "PHASE", "masterId": master["id"], "plannedStart": ps, "plannedEnd": pe }),
            )
            .await,
        );
    }
    let hidden_milestone = master["milestones"][0]["id"].clone();
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: STAKEHOLDER }) { id } }",
        json!({ "r": phases[0]["id"], "p": sam.to_string() }),
    )
    .await;
    let sam_client = app.as_bearer(Some(&sam_token));

    let list = sam_client
        .ok("{ releases { totalCount edges { node { id title master { id title } phases { id } } } } }", json!({}))
        .await;
    assert_eq!(list["releases"]["totalCount"], 1);
    let node = &list["releases"]["edges"][0]["node"];
    assert_eq!(node["title"], "Visible phase");
    assert!(node["master"].is_null(), "the master is not Sam's to see");

    for filter in [
        json!({ "search": "hidden" }),
        json!({ "masterId": master["id"] }),
        json!({ "scopes": ["MASTER"] }),
        json!({ "types": ["MAJOR"] }),
    ] {
        let page = sam_client
            .ok(
                "query($f: ReleaseFilter) { releases(filter: $f) { totalCount edges { node { title } } } }",
                json!({ "f": filter }),
            )
            .await;
        let titles: Vec<_> = page["releases"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].clone())
            .collect();
        assert!(
            titles.iter().all(|t| t == "Visible phase"),
            "{filter}: {titles:?}"
        );
        assert!(page["releases"]["totalCount"].as_u64().unwrap() <= 1);
    }
    assert_eq!(
        sam_client
            .ok(
                "query($f: ReleaseFilter) { releases(filter: $f) { totalCount } }",
                json!({ "f": { "masterId": master["id"] } })
            )
            .await["releases"]["totalCount"],
        1,
        "only the visible phase counts"
    );

    for (query, vars) in [
        (
            "query($id: ID!) { release(id: $id) { id title } }",
            json!({ "id": master["id"] }),
        ),
        (
            "query($id: ID!) { release(id: $id) { id title } }",
            json!({ "id": phases[1]["id"] }),
        ),
        (
            "query($id: ID!) { milestone(id: $id) { id title } }",
            json!({ "id": hidden_milestone }),
        ),
    ] {
        let body = sam_client.graphql(query, vars.clone()).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
        let text = body.to_string();
        assert!(
            !text.contains("Hidden"),
            "no title leaks through errors: {text}"
        );
    }
    // asking for something that does not exist looks the same as asking for something hidden
    let missing = sam_client
        .graphql("{ release(id: \"99999\") { id } }", json!({}))
        .await;
    let hidden = sam_client
        .graphql(
            "query($id: ID!) { release(id: $id) { id } }",
            json!({ "id": master["id"] }),
        )
        .await;
    assert_eq!(
        missing["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace("99999", "N"),
        hidden["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(master["id"].as_str().unwrap(), "N")
    );
    let visible = sam_client
        .ok("query($id: ID!) { release(id: $id) { master { id } stakeholders { person { email } } } }", json!({ "id": phases[0]["id"] }))
        .await;
    assert!(visible["release"]["master"].is_null());
    // a reader gets no buttons, though the lifecycle would allow SUBMIT and SKIP
    app.ok(
        "mutation($id: ID!) { addMilestone(input: { releaseId: $id, title: \"Pilot\" }) { id } }",
        json!({ "id": phases[0]["id"] }),
    )
    .await;
    let buttons = sam_client
        .ok(
            "query($id: ID!) { release(id: $id) { availableActions milestones { availableActions } } }",
            json!({ "id": phases[0]["id"] }),
        )
        .await;
    assert!(fixtures::strings(&buttons["release"]["availableActions"]).is_empty());
    assert!(fixtures::strings(&buttons["release"]["milestones"][0]["availableActions"]).is_empty());
    let admin_view = read_actions(app, &phases[0]["id"]).await;
    assert_eq!(admin_view, ["SUBMIT", "CANCEL"]);
}

async fn read_actions(app: &TestApp, id: &Value) -> Vec<String> {
    let data = app
        .ok(
            "query($id: ID!) { release(id: $id) { availableActions } }",
            json!({ "id": id }),
        )
        .await;
    fixtures::strings(&data["release"]["availableActions"])
}

async fn the_board_sees_what_awaits_a_decision(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let draft = fixtures::release(app, &owner, json!({ "title": "Draft", "type": "MINOR" })).await;
    let requested = fixtures::release(
        app,
        &owner,
        json!({ "title": "Requested", "type": "MINOR" }),
    )
    .await;
    fixtures::transition(app, requested["id"].as_str().unwrap(), "SUBMIT").await;
    let (start, end) = window(0, 10);
    let gated = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Gate", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let active = fixtures::transition(app, gated["id"].as_str().unwrap(), "START").await;
    // the board forms after the release was approved directly
    let (_, board_token) = app.user("Board Member", &[Role::ReviewBoard]).await;
    fixtures::milestone_transition(
        app,
        active["milestones"][0]["id"].as_str().unwrap(),
        "COMPLETE",
    )
    .await;
    let seen = app
        .as_bearer(Some(&board_token))
        .ok(
            "{ releases { totalCount edges { node { title } } } }",
            json!({}),
        )
        .await;
    let titles: Vec<_> = seen["releases"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["Gate", "Requested"]);
    let hidden = app
        .as_bearer(Some(&board_token))
        .graphql(
            "query($id: ID!) { release(id: $id) { id } }",
            json!({ "id": draft["id"] }),
        )
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
}

async fn a_change_manager_cancels_only_drafts_even_when_racing(app: &TestApp) {
    let (cm, cm_token) = app.user("Change Manager", &[Role::ChangeManager]).await;
    let owner = fixtures::person(app, "Owner").await;
    let release = fixtures::release(app, &owner, json!({ "title": "R", "type": "MINOR" })).await;
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: REQUESTER }) { id } }",
        json!({ "r": release["id"], "p": cm.to_string() }),
    )
    .await;
    let cm_client = app.as_bearer(Some(&cm_token));
    let buttons = cm_client
        .ok(
            "query($id: ID!) { release(id: $id) { availableActions } }",
            json!({ "id": release["id"] }),
        )
        .await;
    assert_eq!(
        fixtures::strings(&buttons["release"]["availableActions"]),
        ["SUBMIT", "CANCEL"]
    );
    let submitted = cm_client
        .ok(
            fixtures::TRANSITION,
            json!({ "id": release["id"], "action": "SUBMIT" }),
        )
        .await;
    assert!(
        fixtures::strings(&submitted["transitionRelease"]["availableActions"]).is_empty(),
        "a change manager may not approve, reject or cancel a request: no buttons"
    );
    cm_client
        .expect_code(
            fixtures::TRANSITION,
            json!({ "id": release["id"], "action": "CANCEL", "reason": "changed my mind" }),
            "FORBIDDEN",
        )
        .await;
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { status history { kind actor { email } } } }",
            json!({ "id": release["id"] }),
        )
        .await;
    assert_eq!(history["release"]["status"], "REQUESTED");
    let submit = history["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "RELEASE_STATUS_CHANGED")
        .unwrap()
        .clone();
    assert_eq!(
        submit["actor"]["email"], "change.manager@example.com",
        "history records who"
    );
}

on_both_databases!(
    every_operation_as_every_identity,
    every_subscription_as_every_identity,
    a_stakeholder_sees_nothing_they_are_not_on,
    the_board_sees_what_awaits_a_decision,
    a_change_manager_cancels_only_drafts_even_when_racing,
);
