//! Pairs of writes that meet on one release, made to meet at its lock: a gate
//! holds the release's row lock until both units of work wait behind it (see
//! `Gate`), then lets them go together. Whatever order they then take, each
//! asserts the invariants (one verdict, history once, totals equal to the
//! ledger) and that the loser got a clear code, never `INTERNAL`.

use crate::fixtures::{self, window};
use entities::entity::Role;
use entities::{Clock, Stamp};
use releasedesk_tests::{error_code, on_both_databases, TestApp};
use serde_json::{json, Value};

const CAST: &str = "mutation($input: CastVoteInput!) { castVote(input: $input) { id status } }";
const APPROVALS: &str = "query($id: ID!) { release(id: $id) { status
    approvals { id status tally { approved rejected pending } }
    history { kind } } }";

/// The codes a loser may get: the state moved on, or the record changed.
const CLEAR: [&str; 2] = ["INVALID_TRANSITION", "CONFLICT"];

/// Board members with tokens.
async fn board(app: &TestApp, names: &[&str]) -> Vec<String> {
    let mut tokens = Vec::new();
    for name in names {
        tokens.push(app.user(name, &[Role::ReviewBoard]).await.1);
    }
    tokens
}

/// A MAJOR (or EMERGENCY) release submitted to the board; its id and its approval's id.
async fn before_the_board(app: &TestApp, kind: &str, rule: &str) -> (String, String) {
    app.ok(
        "mutation($input: ReviewBoardPolicyInput!) { setReviewBoardPolicy(input: $input) { rule } }",
        json!({ "input": { "rule": rule, "quorum": (rule == "QUORUM").then_some(2),
            "dueHours": 48, "reminderHours": 24, "everyMajor": true, "emergencyByAnyMember": true } }),
    )
    .await;
    let owner = fixtures::person(app, &format!("Owner {kind} {rule}")).await;
    let (start, end) = window(10, 5);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail upgrade", "type": kind, "plannedStart": start, "plannedEnd": end, "useTemplate": false }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    fixtures::transition(app, &id, "SUBMIT").await;
    let approval = state(app, &id).await["approvals"][0]["id"]
        .as_str()
        .expect("an open approval")
        .to_owned();
    (id, approval)
}

async fn state(app: &TestApp, id: &str) -> Value {
    app.ok(APPROVALS, json!({ "id": id })).await["release"].clone()
}

async fn cast(app: &TestApp, token: &str, approval: &str, decision: &str) -> Value {
    app.as_bearer(Some(token))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": decision } }),
        )
        .await
}

fn kinds(history: &Value, kind: &str) -> usize {
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .count()
}

/// Asserts `answer` succeeded or lost with a clear code; true when it succeeded.
fn won(answer: &Value) -> bool {
    match error_code(answer) {
        None => true,
        Some(code) => {
            assert!(
                CLEAR.contains(&code),
                "a loser gets a clear code: {answer:#}"
            );
            false
        }
    }
}

/// Two approvals arriving together when one already stands: under MAJORITY
/// and QUORUM of 2 the first decides and the second finds the request closed;
/// under ALL both count and the second decides. One verdict every time.
async fn concurrent_votes_reach_one_verdict_under_each_rule(app: &TestApp) {
    for (rule, both_win) in [("MAJORITY", false), ("QUORUM", false), ("ALL", true)] {
        let members = board(
            app,
            &[
                &format!("Ann {rule}"),
                &format!("Ben {rule}"),
                &format!("Cem {rule}"),
            ],
        )
        .await;
        let (id, approval) = before_the_board(app, "MAJOR", rule).await;
        assert!(won(&cast(app, &members[0], &approval, "APPROVED").await));
        let gate = app.gate(&id).await;
        let (b, c, ()) = tokio::join!(
            cast(app, &members[1], &approval, "APPROVED"),
            cast(app, &members[2], &approval, "APPROVED"),
            gate.open_when_waiting(2),
        );
        let winners = [won(&b), won(&c)].iter().filter(|w| **w).count();
        assert_eq!(winners, if both_win { 2 } else { 1 }, "{rule}: {b:#} {c:#}");
        let now = state(app, &id).await;
        assert_eq!(now["status"], "APPROVED", "{rule}: {now:#}");
        assert_eq!(now["approvals"][0]["status"], "APPROVED");
        assert_eq!(kinds(&now["history"], "APPROVAL_DECIDED"), 1, "{now:#}");
        // the board's members are everyone's board: the next rule gets its own
        for token in members {
            let person = app
                .as_bearer(Some(&token))
                .ok("{ me { id } }", json!({}))
                .await["me"]["id"]
                .clone();
            app.ok(
                "mutation($id: ID!) { setPersonRoles(personId: $id, roles: []) }",
                json!({ "id": person }),
            )
            .await;
        }
    }
}

/// An emergency is decided by any one member: of two at once, one decides.
async fn concurrent_emergency_votes_decide_once(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board"]).await;
    let (id, approval) = before_the_board(app, "EMERGENCY", "MAJORITY").await;
    let gate = app.gate(&id).await;
    let (a, b, ()) = tokio::join!(
        cast(app, &members[0], &approval, "APPROVED"),
        cast(app, &members[1], &approval, "REJECTED"),
        gate.open_when_waiting(2),
    );
    assert_eq!(u8::from(won(&a)) + u8::from(won(&b)), 1, "{a:#} {b:#}");
    let now = state(app, &id).await;
    let expected = if won(&a) { "APPROVED" } else { "REJECTED" };
    assert_eq!(now["approvals"][0]["status"], expected, "{now:#}");
    assert_eq!(kinds(&now["history"], "APPROVAL_DECIDED"), 1);
}

/// A vote and a cancel of the same release: no deadlock, the release ends
/// cancelled with its request, and a vote after the cancel is refused.
async fn a_vote_and_a_cancel_do_not_deadlock(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board", "Cem Board"]).await;
    let (id, approval) = before_the_board(app, "MAJOR", "MAJORITY").await;
    let gate = app.gate(&id).await;
    let (vote, cancel, ()) = tokio::join!(
        cast(app, &members[0], &approval, "APPROVED"),
        app.graphql(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "CANCEL", "reason": "superseded" }),
        ),
        gate.open_when_waiting(2),
    );
    won(&vote);
    assert!(won(&cancel), "the cancel always applies: {cancel:#}");
    let now = state(app, &id).await;
    assert_eq!(now["status"], "CANCELLED");
    assert_eq!(now["approvals"][0]["status"], "CANCELLED", "{now:#}");
    assert_eq!(kinds(&now["history"], "VOTE_CAST"), usize::from(won(&vote)));
    assert_eq!(kinds(&now["history"], "APPROVAL_DECIDED"), 1);
}

/// The board's vote on a milestone and a release manager's cancel of it:
/// exactly one applies, and the milestone agrees with its request.
async fn a_milestone_vote_and_a_milestone_cancel_agree(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 30);
    let release = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Gated", "type": "MAJOR", "plannedStart": start, "plannedEnd": end, "useTemplate": false }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    for (title, gate) in [("Build", true), ("Deploy", false)] {
        app.ok(
            "mutation($input: AddMilestoneInput!) { addMilestone(input: $input) { id } }",
            json!({ "input": { "releaseId": id, "title": title, "requiresApproval": gate } }),
        )
        .await;
    }
    let members = board(app, &["Ann Board"]).await;
    let started = fixtures::transition(app, &id, "START").await;
    let milestone = started["milestones"][0]["id"].as_str().unwrap().to_owned();
    fixtures::milestone_transition(app, &milestone, "COMPLETE").await;
    let pending = app
        .ok(
            "query($id: ID!) { milestone(id: $id) { status approval { id } } }",
            json!({ "id": milestone }),
        )
        .await["milestone"]
        .clone();
    assert_eq!(pending["status"], "PENDING_APPROVAL");
    let approval = pending["approval"]["id"].as_str().unwrap().to_owned();
    let gate = app.gate(&id).await;
    let (vote, cancel, ()) = tokio::join!(
        cast(app, &members[0], &approval, "APPROVED"),
        app.graphql(
            "mutation($id: ID!) { transitionMilestone(id: $id, action: CANCEL) { id status } }",
            json!({ "id": milestone }),
        ),
        gate.open_when_waiting(2),
    );
    assert_eq!(
        u8::from(won(&vote)) + u8::from(won(&cancel)),
        1,
        "{vote:#} {cancel:#}"
    );
    let now = app
        .ok(
            "query($id: ID!) { milestone(id: $id) { status approval { status } } }",
            json!({ "id": milestone }),
        )
        .await["milestone"]
        .clone();
    let expected = if won(&vote) {
        ("COMPLETED", "APPROVED")
    } else {
        ("CANCELLED", "CANCELLED")
    };
    assert_eq!(now["status"], expected.0, "{now:#}");
    assert_eq!(now["approval"]["status"], expected.1, "{now:#}");
}

/// A member hands their vote on while another approves, under ALL: the
/// request stays open for the new holder, whatever the order.
async fn a_hand_over_and_a_vote_keep_the_request_open(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board"]).await;
    let (id, approval) = before_the_board(app, "MAJOR", "ALL").await;
    let (cover, _) = app.user("Cover Board", &[Role::ReviewBoard]).await;
    let first = app.as_bearer(Some(&members[0]));
    let gate = app.gate(&id).await;
    let (handed, approved, ()) = tokio::join!(
        first.graphql(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "DELEGATED", "delegateTo": cover.to_string() } }),
        ),
        cast(app, &members[1], &approval, "APPROVED"),
        gate.open_when_waiting(2),
    );
    assert!(won(&handed), "{handed:#}");
    assert!(won(&approved), "{approved:#}");
    let now = state(app, &id).await;
    assert_eq!(now["approvals"][0]["status"], "OPEN", "{now:#}");
    assert_eq!(now["approvals"][0]["tally"]["approved"], 1);
    assert_eq!(now["approvals"][0]["tally"]["pending"], 1);
    assert_eq!(now["status"], "REQUESTED");
}

/// A member votes while an administrator takes them off the board: the vote
/// counts if it came first, else it is void and the late vote is refused.
async fn a_vote_and_leaving_the_board_agree(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board", "Cem Board"]).await;
    let (id, approval) = before_the_board(app, "MAJOR", "ALL").await;
    let ben = app
        .as_bearer(Some(&members[1]))
        .ok("{ me { id } }", json!({}))
        .await["me"]["id"]
        .clone();
    let gate = app.gate(&id).await;
    let (vote, removed, ()) = tokio::join!(
        cast(app, &members[1], &approval, "APPROVED"),
        app.graphql(
            "mutation($id: ID!) { setPersonRoles(personId: $id, roles: []) }",
            json!({ "id": ben }),
        ),
        gate.open_when_waiting(2),
    );
    assert!(won(&removed), "{removed:#}");
    let votes = app
        .ok(
            "query($id: ID!) { approval(id: $id) { status votes { decision approver { id } } } }",
            json!({ "id": approval }),
        )
        .await["approval"]["votes"]
        .clone();
    let bens = votes
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["approver"]["id"] == ben)
        .expect("Ben's vote")["decision"]
        .clone();
    if error_code(&vote).is_none() {
        assert_eq!(bens, "APPROVED", "{votes:#}");
    } else {
        // NOT_FOUND when the vote authenticated after the role change (the
        // release is hidden from Ben now), FORBIDDEN (the vote is void) when
        // it authenticated before, with the board role it then had
        assert!(
            matches!(error_code(&vote), Some("NOT_FOUND" | "FORBIDDEN")),
            "{vote:#}"
        );
        assert_eq!(bens, "VOID", "{votes:#}");
    }
}

const COST: &str = "query($id: ID!) { release(id: $id) { status cost { running final }
    costLines { amount } } }";

fn ledger_total(release: &Value) -> f64 {
    release["costLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_f64().unwrap())
        .sum()
}

async fn add_cost(app: &TestApp, release: &str, amount: f64) -> Value {
    app.graphql(
        "mutation($input: AddCostLineInput!) { addCostLine(input: $input) { id } }",
        json!({ "input": { "releaseId": release, "category": "LABOUR",
            "description": "Consultant days", "amount": amount, "incurredOn": "2026-11-20" } }),
    )
    .await
}

/// A cost line written while `cost-rollup` runs is never overwritten by a
/// total computed before it existed.
async fn a_cost_line_and_the_rollup_keep_the_total_equal_to_the_ledger(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "Costly", "type": "MINOR" })).await;
    let id = release["id"].as_str().unwrap().to_owned();
    assert!(won(&add_cost(app, &id, 100.0).await));
    let runner = app.context().jobs.clone();
    let gate = app.gate(&id).await;
    let (line, rollup, ()) = tokio::join!(
        add_cost(app, &id, 25.0),
        runner.run_now("cost-rollup", Stamp::system(app.clock.now())),
        gate.open_when_waiting(2),
    );
    assert!(won(&line), "{line:#}");
    let run = rollup.expect("cost-rollup runs");
    assert_eq!(run.error, None, "{run:?}");
    let now = app.ok(COST, json!({ "id": id })).await["release"].clone();
    assert_eq!(ledger_total(&now), 125.0);
    assert_eq!(now["cost"]["running"], 125.0, "{now:#}");
}

/// A cost line and the close that freezes the cost: the line lands before
/// the freeze or is refused after it; the final cost is the ledger's total.
async fn a_cost_line_and_the_close_agree_on_the_final_cost(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 10);
    let release = fixtures::approved(
        app,
        &owner,
        json!({ "title": "Closing", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    assert!(won(&add_cost(app, &id, 40.0).await));
    for action in ["START", "COMPLETE"] {
        fixtures::transition(app, &id, action).await;
    }
    app.ok(
        "mutation($id: ID!) { recordReleaseReview(id: $id, outcome: SUCCESSFUL, lessonsLearned: \"ok\") { id } }",
        json!({ "id": id }),
    )
    .await;
    let gate = app.gate(&id).await;
    let (line, close, ()) = tokio::join!(
        add_cost(app, &id, 2.0),
        app.graphql(fixtures::TRANSITION, json!({ "id": id, "action": "CLOSE" })),
        gate.open_when_waiting(2),
    );
    won(&line);
    assert!(won(&close), "{close:#}");
    let now = app.ok(COST, json!({ "id": id })).await["release"].clone();
    assert_eq!(now["status"], "CLOSED");
    let expected = if won(&line) { 42.0 } else { 40.0 };
    assert_eq!(ledger_total(&now), expected);
    assert_eq!(now["cost"]["final"], expected, "{now:#}");
    assert_eq!(now["cost"]["running"], expected);
}

/// Linking a change while the release's window moves: the change ends on
/// the window the release ends with.
async fn linking_a_change_while_the_window_moves_follows_the_final_window(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 10);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Moving", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    let change = app
        .ok(
            "mutation($i: CreateChangeInput!) { createChange(input: $i) { id } }",
            json!({ "i": { "title": "Patch mail servers", "risk": "LOW", "requesterId": owner } }),
        )
        .await["createChange"]["id"]
        .clone();
    let (moved_start, moved_end) = window(30, 3);
    let gate = app.gate(&id).await;
    let (linked, moved, ()) = tokio::join!(
        app.graphql(
            "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }",
            json!({ "c": change, "r": id }),
        ),
        app.graphql(
            "mutation($id: ID!, $s: DateTime!, $e: DateTime!) {
                updateRelease(id: $id, input: { plannedStart: $s, plannedEnd: $e }, expectedVersion: 1) { id } }",
            json!({ "id": id, "s": moved_start, "e": moved_end }),
        ),
        gate.open_when_waiting(2),
    );
    assert!(won(&linked), "{linked:#}");
    assert!(won(&moved), "{moved:#}");
    let now = app
        .ok(
            "query($c: ID!, $r: ID!) { change(id: $c) { scheduledStart scheduledEnd release { id } }
               release(id: $r) { plannedStart plannedEnd } }",
            json!({ "c": change, "r": id }),
        )
        .await;
    assert_eq!(now["change"]["release"]["id"], id.as_str());
    assert_eq!(
        now["change"]["scheduledStart"],
        now["release"]["plannedStart"]
    );
    assert_eq!(now["change"]["scheduledEnd"], now["release"]["plannedEnd"]);
}

on_both_databases!(with releasedesk_tests::gated_settings();
    concurrent_votes_reach_one_verdict_under_each_rule,
    concurrent_emergency_votes_decide_once,
    a_vote_and_a_cancel_do_not_deadlock,
    a_milestone_vote_and_a_milestone_cancel_agree,
    a_hand_over_and_a_vote_keep_the_request_open,
    a_vote_and_leaving_the_board_agree,
    a_cost_line_and_the_rollup_keep_the_total_equal_to_the_ledger,
    a_cost_line_and_the_close_agree_on_the_final_cost,
    linking_a_change_while_the_window_moves_follows_the_final_window,
);
