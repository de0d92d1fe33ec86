//! The Release Review Board: votes under each rule, the emergency fast path,
//! milestone approvals, delegation, cancellation, time-outs and reminders, and
//! the e-mail they send through the outbox to a real SMTP server on 127.0.0.1,
//! parsed as a mail client would. Jobs run when the test says (manual clock).

use crate::fixtures::{self, window};
use chrono::Duration;
use entities::entity::{outbox_message, OutboxStatus, Role};
use entities::outbox::{self, Mail};
use entities::{Clock, Stamp};
use jobs::Job;
use releasedesk_tests::smtp::{Received, SmtpSink};
use releasedesk_tests::{error_code, on_both_databases, test_settings, TestApp};
use sea_orm::{prelude::*, QueryOrder};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const APPROVAL_FIELDS: &str = "id status rule quorum emergency round dueAt note
    tally { approved rejected pending needed }
    votes { id decision comment approver { id name } decidedBy { id } delegatedTo { id } emailsSent }";

const CAST: &str = "mutation($input: CastVoteInput!) { castVote(input: $input) {
    id status rule quorum emergency round note tally { approved rejected pending needed }
    votes { decision approver { id } decidedBy { id } } } }";

const SET_POLICY: &str = "mutation($input: ReviewBoardPolicyInput!) {
    setReviewBoardPolicy(input: $input) { rule quorum dueHours reminderHours } }";

/// A board of `n` members; their ids and tokens.
async fn board(app: &TestApp, names: &[&str]) -> Vec<(i32, String)> {
    let mut members = Vec::new();
    for name in names {
        members.push(app.user(name, &[Role::ReviewBoard]).await);
    }
    members
}

/// A release of `kind` with a window, submitted; returns its id.
async fn submitted(app: &TestApp, title: &str, kind: &str) -> String {
    let plain: String = title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect();
    let owner = fixtures::person(app, &format!("Owner of {}", plain.trim())).await;
    let (start, end) = window(10, 20);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": title, "type": kind, "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().expect("id").to_owned();
    fixtures::transition(app, &id, "SUBMIT").await;
    id
}

/// The approvals of release `id`, oldest first.
async fn approvals_of(app: &TestApp, id: &str) -> Vec<Value> {
    app.ok(
        &format!("query($id: ID!) {{ release(id: $id) {{ approvals {{ {APPROVAL_FIELDS} }} }} }}"),
        json!({ "id": id }),
    )
    .await["release"]["approvals"]
        .as_array()
        .expect("approvals")
        .clone()
}

async fn vote(app: &TestApp, token: &str, approval: &str, decision: &str) -> Value {
    app.as_bearer(Some(token))
        .ok(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": decision, "comment": format!("{decision} from the board") } }),
        )
        .await["castVote"]
        .clone()
}

async fn status(app: &TestApp, id: &str) -> String {
    fixtures::read(app, id).await["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

async fn set_policy(app: &TestApp, rule: &str, quorum: Option<i32>, due: i32, remind: i32) {
    app.ok(
        SET_POLICY,
        json!({ "input": { "rule": rule, "quorum": quorum, "dueHours": due, "reminderHours": remind } }),
    )
    .await;
}

/// A rule, its quorum, the votes in order, and the release status after each vote.
type RuleCase = (
    &'static str,
    Option<i32>,
    &'static [&'static str],
    &'static [&'static str],
);

async fn a_major_release_is_decided_by_a_three_member_board_under_each_rule(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board", "Cy Board"]).await;
    let tokens: Vec<&str> = members.iter().map(|(_, t)| t.as_str()).collect();
    // (rule, quorum, votes in order, status after each vote)
    let cases: &[RuleCase] = &[
        (
            "ALL",
            None,
            &["APPROVED", "APPROVED", "APPROVED"],
            &["REQUESTED", "REQUESTED", "APPROVED"],
        ),
        (
            "ALL",
            None,
            &["APPROVED", "REJECTED"],
            &["REQUESTED", "REJECTED"],
        ),
        (
            "MAJORITY",
            None,
            &["APPROVED", "REJECTED", "APPROVED"],
            &["REQUESTED", "REQUESTED", "APPROVED"],
        ),
        (
            "MAJORITY",
            None,
            &["REJECTED", "REJECTED"],
            &["REQUESTED", "REJECTED"],
        ),
        (
            "QUORUM",
            Some(2),
            &["REJECTED", "APPROVED", "APPROVED"],
            &["REQUESTED", "REQUESTED", "APPROVED"],
        ),
        (
            "QUORUM",
            Some(2),
            &["REJECTED", "REJECTED"],
            &["REQUESTED", "REJECTED"],
        ),
        ("ANY", None, &["APPROVED"], &["APPROVED"]),
        ("ANY", None, &["REJECTED"], &["REJECTED"]),
    ];
    for (n, (rule, quorum, votes, statuses)) in cases.iter().enumerate() {
        set_policy(app, rule, *quorum, 72, 24).await;
        let id = submitted(app, &format!("Release {n} under {rule}"), "MAJOR").await;
        let approvals = approvals_of(app, &id).await;
        assert_eq!(approvals.len(), 1, "{approvals:?}");
        let approval = &approvals[0];
        assert_eq!(approval["status"], "OPEN");
        assert_eq!(approval["rule"], *rule);
        assert_eq!(approval["votes"].as_array().unwrap().len(), 3);
        assert_eq!(approval["tally"]["pending"], 3);
        // the release manager's direct decision is gone while the board decides
        let direct = app
            .graphql(
                fixtures::TRANSITION,
                json!({ "id": id, "action": "APPROVE" }),
            )
            .await;
        assert_eq!(error_code(&direct), Some("INVALID_TRANSITION"), "{direct}");
        assert_eq!(
            fixtures::read(app, &id).await["availableActions"],
            json!(["CANCEL"])
        );
        let approval_id = approval["id"].as_str().unwrap();
        for (i, (decision, expected)) in votes.iter().zip(statuses.iter()).enumerate() {
            vote(app, tokens[i], approval_id, decision).await;
            assert_eq!(status(app, &id).await, *expected, "{rule} vote {i}");
        }
        let decided = &approvals_of(app, &id).await[0];
        let final_status = statuses.last().unwrap();
        assert_eq!(decided["status"], *final_status, "{decided}");
        // a late vote on a decided request is refused and changes nothing
        if votes.len() < 3 {
            let late = app
                .as_bearer(Some(tokens[2]))
                .graphql(
                    CAST,
                    json!({ "input": { "approvalId": approval_id, "decision": "APPROVED" } }),
                )
                .await;
            assert_eq!(error_code(&late), Some("INVALID_TRANSITION"), "{late}");
        }
        if *final_status == "REJECTED" {
            let release = fixtures::read(app, &id).await;
            assert!(release["availableActions"].as_array().unwrap().is_empty());
            assert!(decided["note"]
                .as_str()
                .unwrap()
                .contains("REJECTED from the board"));
        }
    }
    // one vote per member: voting twice is a conflict
    set_policy(app, "ALL", None, 72, 24).await;
    let id = submitted(app, "Twice", "MAJOR").await;
    let approval_id = approvals_of(app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    vote(app, tokens[0], &approval_id, "APPROVED").await;
    let twice = app
        .as_bearer(Some(tokens[0]))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval_id, "decision": "REJECTED" } }),
        )
        .await;
    assert_eq!(error_code(&twice), Some("CONFLICT"), "{twice}");
    // someone who is not asked cannot vote, and does not learn the request exists
    let (_, outsider) = app.user("Outsider", &[Role::Stakeholder]).await;
    let not_asked = app
        .as_bearer(Some(&outsider))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval_id, "decision": "APPROVED" } }),
        )
        .await;
    assert_eq!(error_code(&not_asked), Some("NOT_FOUND"), "{not_asked}");
    // the history tells who decided what
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind to note } } }",
            json!({ "id": id }),
        )
        .await;
    let kinds: Vec<&str> = history["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"APPROVAL_REQUESTED") && kinds.contains(&"VOTE_CAST"),
        "{kinds:?}"
    );
}

async fn the_owner_does_not_approve_their_own_release(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board"]).await;
    let (start, end) = window(10, 20);
    let own = fixtures::release(
        app,
        &members[0].0.to_string(),
        json!({ "title": "Ann's own", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = own["id"].as_str().unwrap();
    fixtures::transition(app, id, "SUBMIT").await;
    let approval = &approvals_of(app, id).await[0];
    let voters: Vec<&Value> = approval["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["approver"]["id"])
        .collect();
    assert_eq!(voters, [&json!(members[1].0.to_string())], "{approval}");
}

async fn an_emergency_is_decided_by_any_one_member_and_recorded_as_such(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board", "Cy Board"]).await;
    set_board_governs(app, None, Some(true)).await;
    let id = submitted(app, "VPN hotfix", "EMERGENCY").await;
    let approval = &approvals_of(app, &id).await[0];
    assert_eq!(approval["emergency"], true);
    assert_eq!(approval["rule"], "ANY");
    assert_eq!(approval["tally"]["needed"], 1);
    let after = vote(
        app,
        &members[1].1,
        approval["id"].as_str().unwrap(),
        "APPROVED",
    )
    .await;
    assert_eq!(after["status"], "APPROVED");
    assert!(
        after["note"]
            .as_str()
            .unwrap()
            .contains("emergency approval"),
        "{after}"
    );
    assert_eq!(status(app, &id).await, "APPROVED");
}

/// Sets the policy's options, keeping its rule and times.
async fn set_board_governs(
    app: &TestApp,
    every_major: Option<bool>,
    emergency: Option<bool>,
) -> Value {
    app.ok(
        "mutation($input: ReviewBoardPolicyInput!) { setReviewBoardPolicy(input: $input) {
            everyMajor emergencyByAnyMember rule } }",
        json!({ "input": { "rule": "ALL", "dueHours": 72, "reminderHours": 24,
            "everyMajor": every_major, "emergencyByAnyMember": emergency } }),
    )
    .await["setReviewBoardPolicy"]
        .clone()
}

/// A MAJOR release submitted without template milestones (`useTemplate: false`).
async fn submitted_without_template(app: &TestApp, title: &str, kind: &str) -> String {
    let owner = fixtures::person(app, &format!("Owner of {title}")).await;
    let (start, end) = window(10, 20);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": title, "type": kind, "useTemplate": false,
                "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().expect("id").to_owned();
    fixtures::transition(app, &id, "SUBMIT").await;
    id
}

/// The seed's rule by default: the board decides releases made from a
/// template that asks for it (the default major template does); every MAJOR
/// and every EMERGENCY release are options of the policy.
async fn the_board_decides_what_its_policy_and_templates_say(app: &TestApp) {
    board(app, &["Ann Board", "Ben Board"]).await;
    let policy = app
        .ok(
            "{ reviewBoardPolicy { everyMajor emergencyByAnyMember } }",
            json!({}),
        )
        .await;
    assert_eq!(
        policy["reviewBoardPolicy"],
        json!({ "everyMajor": false, "emergencyByAnyMember": false })
    );
    let templated = submitted(app, "Mail upgrade", "MAJOR").await;
    assert_eq!(
        approvals_of(app, &templated).await.len(),
        1,
        "the default major template asks"
    );
    let direct = app
        .graphql(
            fixtures::TRANSITION,
            json!({ "id": templated, "action": "APPROVE" }),
        )
        .await;
    assert_eq!(error_code(&direct), Some("INVALID_TRANSITION"), "{direct}");
    for (title, kind) in [
        ("Bare major", "MAJOR"),
        ("VPN fix", "EMERGENCY"),
        ("Patch", "MINOR"),
    ] {
        let id = submitted_without_template(app, title, kind).await;
        assert!(
            approvals_of(app, &id).await.is_empty(),
            "{kind} without a template"
        );
        fixtures::transition(app, &id, "APPROVE").await;
        assert_eq!(status(app, &id).await, "APPROVED");
    }

    // every MAJOR release; the emergency option kept as it was
    assert_eq!(
        set_board_governs(app, Some(true), None).await,
        json!({ "everyMajor": true, "emergencyByAnyMember": false, "rule": "ALL" })
    );
    let bare = submitted_without_template(app, "Bare major 2", "MAJOR").await;
    let request = &approvals_of(app, &bare).await[0];
    assert_eq!(request["rule"], "ALL");
    assert_eq!(request["emergency"], false);
    let emergency = submitted_without_template(app, "VPN fix 2", "EMERGENCY").await;
    assert!(approvals_of(app, &emergency).await.is_empty());

    // every EMERGENCY release, by any one member; every MAJOR kept
    assert_eq!(
        set_board_governs(app, None, Some(true)).await,
        json!({ "everyMajor": true, "emergencyByAnyMember": true, "rule": "ALL" })
    );
    let emergency = submitted_without_template(app, "VPN fix 3", "EMERGENCY").await;
    let request = &approvals_of(app, &emergency).await[0];
    assert_eq!(request["rule"], "ANY");
    assert_eq!(request["emergency"], true);
    let minor = submitted_without_template(app, "Patch 2", "MINOR").await;
    assert!(
        approvals_of(app, &minor).await.is_empty(),
        "MINOR stays direct"
    );
}

async fn without_board_members_release_managers_decide_directly(app: &TestApp) {
    let id = submitted(app, "Small team", "MAJOR").await;
    assert!(approvals_of(app, &id).await.is_empty());
    fixtures::transition(app, &id, "APPROVE").await;
    assert_eq!(status(app, &id).await, "APPROVED");
    // MINOR releases keep the direct decision even with a board
    board(app, &["Ann Board"]).await;
    let minor = submitted(app, "Minor", "MINOR").await;
    assert!(approvals_of(app, &minor).await.is_empty());
    fixtures::transition(app, &minor, "APPROVE").await;
    // unless its template asks for the board
    let template = app
        .ok(
            "mutation { createMilestoneTemplate(input: { name: \"Audited minor\", releaseType: MINOR,
                boardApproval: true, items: [{ title: \"Do it\" }] }) { id boardApproval } }",
            json!({}),
        )
        .await["createMilestoneTemplate"]
        .clone();
    assert_eq!(template["boardApproval"], true);
    let owner = fixtures::person(app, "Minor Owner").await;
    let audited = fixtures::release(
        app,
        &owner,
        json!({ "title": "Audited", "type": "MINOR", "templateId": template["id"] }),
    )
    .await;
    let audited = audited["id"].as_str().unwrap();
    fixtures::transition(app, audited, "SUBMIT").await;
    assert_eq!(approvals_of(app, audited).await.len(), 1);
}

async fn a_milestone_approval_is_voted_reworked_and_completed(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 30);
    // approved before the board exists, so only the milestone goes to the board
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
    let members = board(app, &["Ann Board", "Ben Board"]).await;
    let active = fixtures::transition(app, &id, "START").await;
    let gate = active["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "ACTIVE")
        .expect("an active milestone")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fixtures::milestone_transition(app, &gate, "COMPLETE").await;
    let pending = milestone_state(app, &gate).await;
    assert_eq!(pending["status"], "PENDING_APPROVAL");
    assert_eq!(pending["approval"]["round"], 1);
    assert!(
        !strings_contain(&pending["availableActions"], "APPROVE"),
        "{pending}"
    );
    let direct = app
        .graphql(
            "mutation($id: ID!) { transitionMilestone(id: $id, action: APPROVE) { id } }",
            json!({ "id": gate }),
        )
        .await;
    assert_eq!(error_code(&direct), Some("INVALID_TRANSITION"), "{direct}");
    // a rejection sends the milestone back for rework
    let first = pending["approval"]["id"].as_str().unwrap().to_owned();
    vote(app, &members[0].1, &first, "REJECTED").await;
    assert_eq!(milestone_state(app, &gate).await["status"], "ACTIVE");
    // completing it again asks the board again, in a new round
    fixtures::milestone_transition(app, &gate, "COMPLETE").await;
    let again = milestone_state(app, &gate).await;
    assert_eq!(again["approval"]["round"], 2);
    let second = again["approval"]["id"].as_str().unwrap().to_owned();
    vote(app, &members[0].1, &second, "APPROVED").await;
    assert_eq!(
        milestone_state(app, &gate).await["status"],
        "PENDING_APPROVAL"
    );
    vote(app, &members[1].1, &second, "APPROVED").await;
    let done = fixtures::read(app, &id).await;
    let statuses: Vec<&str> = done["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["COMPLETED", "ACTIVE"], "{done}");
}

async fn milestone_state(app: &TestApp, id: &str) -> Value {
    let query = format!(
        "query($id: ID!) {{ milestone(id: $id) {{ status availableActions approval {{ {APPROVAL_FIELDS} }} }} }}"
    );
    app.ok(&query, json!({ "id": id })).await["milestone"].clone()
}

fn strings_contain(value: &Value, item: &str) -> bool {
    fixtures::strings(value).iter().any(|s| s == item)
}

async fn cancelling_a_release_cancels_its_open_requests_with_it(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board"]).await;
    let id = submitted(app, "Doomed", "MAJOR").await;
    let approval = approvals_of(app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        fixtures::TRANSITION,
        json!({ "id": id, "action": "CANCEL", "reason": "no longer needed" }),
    )
    .await;
    assert_eq!(approvals_of(app, &id).await[0]["status"], "CANCELLED");
    let late = app
        .as_bearer(Some(&members[0].1))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "APPROVED" } }),
        )
        .await;
    assert_eq!(error_code(&late), Some("INVALID_TRANSITION"), "{late}");
}

async fn a_member_on_holiday_is_covered_by_a_delegate(app: &TestApp) {
    let members = board(app, &["Ann Board", "Ben Board"]).await;
    let (ann, ann_token) = (&members[0].0, members[0].1.as_str());
    let (ben, ben_token) = (&members[1].0, members[1].1.as_str());
    let ends = (app.clock.now() + Duration::days(7)).to_rfc3339();
    let delegation = app
        .as_bearer(Some(ann_token))
        .ok(
            "mutation($input: DelegateApprovalsInput!) { delegateApprovals(input: $input) { id delegator { id } delegate { id } endsAt } }",
            json!({ "input": { "delegateId": ben.to_string(), "endsAt": ends, "reason": "holiday" } }),
        )
        .await;
    assert_eq!(
        delegation["delegateApprovals"]["delegator"]["id"],
        ann.to_string()
    );
    let id = submitted(app, "Holiday release", "MAJOR").await;
    let approval = approvals_of(app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Ben sees both votes as his to cast
    let mine = app
        .as_bearer(Some(ben_token))
        .ok("{ approvals(filter: { mine: true }) { id } }", json!({}))
        .await;
    assert_eq!(mine["approvals"].as_array().unwrap().len(), 1, "{mine}");
    vote(app, ben_token, &approval, "APPROVED").await;
    let covered = app
        .as_bearer(Some(ben_token))
        .ok(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "APPROVED", "onBehalfOf": ann.to_string() } }),
        )
        .await;
    assert_eq!(covered["castVote"]["status"], "APPROVED", "{covered}");
    let ann_vote = covered["castVote"]["votes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["approver"]["id"].as_str() == Some(ann.to_string().as_str()))
        .expect("Ann's vote")
        .clone();
    assert_eq!(ann_vote["decidedBy"]["id"], ben.to_string());
    // a revoked delegation covers nothing more
    let revoked = app
        .as_bearer(Some(ann_token))
        .ok(
            "mutation($id: ID!) { revokeDelegation(id: $id) { revokedAt } }",
            json!({ "id": delegation["delegateApprovals"]["id"] }),
        )
        .await;
    assert!(revoked["revokeDelegation"]["revokedAt"].is_string());
    // covering is only for whom a delegation names
    let id = submitted(app, "Not covered", "MAJOR").await;
    let approval = approvals_of(app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .as_bearer(Some(ann_token))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "APPROVED", "onBehalfOf": ben.to_string() } }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    // a vote handed to a member who joined later counts through them
    let (cy, cy_token) = app.user("Cy Board", &[Role::ReviewBoard]).await;
    app.as_bearer(Some(ann_token))
        .ok(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "DELEGATED", "delegateTo": cy.to_string() } }),
        )
        .await;
    vote(app, &cy_token, &approval, "APPROVED").await;
    vote(app, ben_token, &approval, "APPROVED").await;
    assert_eq!(status(app, &id).await, "APPROVED");
}

async fn policy_and_votes_refuse_bad_input_clearly(app: &TestApp) {
    for (input, field) in [
        (
            json!({ "rule": "QUORUM", "dueHours": 24, "reminderHours": 4 }),
            "quorum",
        ),
        (
            json!({ "rule": "ALL", "quorum": 2, "dueHours": 24, "reminderHours": 4 }),
            "quorum",
        ),
        (
            json!({ "rule": "QUORUM", "quorum": 0, "dueHours": 24, "reminderHours": 4 }),
            "quorum",
        ),
        (
            json!({ "rule": "ALL", "dueHours": 0, "reminderHours": 4 }),
            "dueHours",
        ),
        (
            json!({ "rule": "ALL", "dueHours": 100000, "reminderHours": 4 }),
            "dueHours",
        ),
        (
            json!({ "rule": "ALL", "dueHours": 24, "reminderHours": -1 }),
            "reminderHours",
        ),
    ] {
        let refused = app.graphql(SET_POLICY, json!({ "input": input })).await;
        assert_eq!(error_code(&refused), Some("VALIDATION"), "{refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{refused}"
        );
    }
    let (_, manager) = app.user("Manager", &[Role::ReleaseManager]).await;
    let forbidden = app
        .as_bearer(Some(&manager))
        .graphql(
            SET_POLICY,
            json!({ "input": { "rule": "ALL", "dueHours": 24, "reminderHours": 4 } }),
        )
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let members = board(app, &["Ann Board"]).await;
    let id = submitted(app, "Inputs", "MAJOR").await;
    let approval = approvals_of(app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (input, code) in [
        (
            json!({ "approvalId": approval, "decision": "PENDING" }),
            "VALIDATION",
        ),
        (
            json!({ "approvalId": approval, "decision": "DELEGATED" }),
            "VALIDATION",
        ),
        (
            json!({ "approvalId": approval, "decision": "APPROVED", "comment": "a\u{0}b" }),
            "VALIDATION",
        ),
        (
            json!({ "approvalId": approval, "decision": "APPROVED", "comment": "x".repeat(10_001) }),
            "VALIDATION",
        ),
        (
            json!({ "approvalId": "0", "decision": "APPROVED" }),
            "VALIDATION",
        ),
        (
            json!({ "approvalId": "999999", "decision": "APPROVED" }),
            "NOT_FOUND",
        ),
    ] {
        let refused = app
            .as_bearer(Some(&members[0].1))
            .graphql(CAST, json!({ "input": input }))
            .await;
        assert_eq!(error_code(&refused), Some(code), "{refused}");
    }
    // nothing was recorded by the refusals
    assert_eq!(approvals_of(app, &id).await[0]["tally"]["pending"], 1);
    let delegate =
        "mutation($input: DelegateApprovalsInput!) { delegateApprovals(input: $input) { id } }";
    let me = members[0].0.to_string();
    for (input, field) in [
        (
            json!({ "delegateId": me, "endsAt": "2027-01-01T00:00:00Z" }),
            "delegateId",
        ),
        (
            json!({ "delegateId": "1", "endsAt": "2020-01-01T00:00:00Z" }),
            "endsAt",
        ),
        (
            json!({ "delegateId": "1", "endsAt": "2030-01-01T00:00:00Z" }),
            "endsAt",
        ),
        (
            json!({ "delegateId": "1", "endsAt": "2027-01-01T00:00:00Z" }),
            "delegateId",
        ),
    ] {
        let refused = app
            .as_bearer(Some(&members[0].1))
            .graphql(delegate, json!({ "input": input }))
            .await;
        assert_eq!(error_code(&refused), Some("VALIDATION"), "{refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{refused}"
        );
    }
}

async fn without_smtp_mail_is_written_as_eml_files(app: &TestApp) {
    board(app, &["Ann Board"]).await;
    submitted(app, "Offline", "MAJOR").await;
    assert_eq!(queued(app, "APPROVAL_REQUEST").await, 1);
    // the request and the owner's status notice
    assert_eq!(dispatch(app, "d1").await, 2);
    let folder = app.context().settings.mail.folder.clone();
    let files: Vec<_> = std::fs::read_dir(&folder)
        .expect("the mail folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("To: ann.board@example.com") && t.contains("Offline")),
        "{texts:?}"
    );
}

/// Statements for `approvals(first: n)` with every nested field, authentication left out.
async fn statements_for_approvals(app: &TestApp, first: usize) -> usize {
    app.reset_statements();
    app.ok("{ __typename }", json!({})).await;
    let authentication = app.statements();
    app.reset_statements();
    let data = app
        .ok(
            &format!(
                "query($first: Int!) {{ approvals(first: $first) {{ {APPROVAL_FIELDS}
                    release {{ id title }} milestone {{ id }} }} }}"
            ),
            json!({ "first": first }),
        )
        .await;
    assert_eq!(data["approvals"].as_array().unwrap().len(), first);
    app.statements() - authentication
}

async fn listing_approvals_costs_a_fixed_number_of_queries(app: &TestApp) {
    board(app, &["Ann Board", "Ben Board", "Cy Board"]).await;
    for n in 0..6 {
        submitted(app, &format!("Listed {n}"), "MAJOR").await;
    }
    let two = statements_for_approvals(app, 2).await;
    let six = statements_for_approvals(app, 6).await;
    assert_eq!(
        two, six,
        "the page size must not change the statement count"
    );
    // the requests, their releases, milestones, votes and the people voting
    assert_eq!(six, 4, "requests, releases, votes, people");
}

// ----- e-mail -----

/// Settings sending to `sink` without TLS, retrying after 60 s, parking after 3 attempts.
fn mail_settings(sink: &SmtpSink) -> releasedesk::Settings {
    let mut settings = test_settings();
    settings.mail.smtp_host = Some("127.0.0.1".into());
    settings.mail.smtp_port = Some(sink.addr.port());
    settings.mail.smtp_security = releasedesk::config::SmtpSecurity::None;
    settings.mail.from = "Releasedesk <releasedesk@example.com>".into();
    settings.mail.public_url = Some("http://releasedesk.example.com".into());
    settings.mail.retry_seconds = 60;
    settings.mail.max_attempts = 3;
    settings.mail.send_timeout_seconds = 10;
    settings
}

async fn queue_approval_mail(app: &TestApp) -> u64 {
    jobs::approval_requests::ApprovalRequests
        .run(app.context().jobs.context())
        .await
        .expect("approval-requests runs")
        .changed
}

/// How many e-mails of `kind` the outbox holds.
async fn queued(app: &TestApp, kind: &str) -> usize {
    outbox_rows(app)
        .await
        .iter()
        .filter(|m| m.kind == kind)
        .count()
}

async fn dispatch(app: &TestApp, dispatcher: &str) -> u64 {
    jobs::outbox_dispatch::dispatch(app.context().jobs.context(), dispatcher)
        .await
        .expect("outbox-dispatch runs")
        .changed
}

/// The messages the board and release managers got about approvals (the
/// status-change notices to followers are left out).
fn approval_mail(sink: &SmtpSink) -> Vec<Received> {
    sink.messages()
        .into_iter()
        .filter(|m| {
            let subject = m.parsed().subject().unwrap_or_default().to_owned();
            !subject.starts_with("Release ")
        })
        .collect()
}

/// Sends what is due and returns how many approval e-mails went out.
async fn dispatch_approvals(app: &TestApp, sink: &SmtpSink, dispatcher: &str) -> usize {
    let before = approval_mail(sink).len();
    dispatch(app, dispatcher).await;
    approval_mail(sink).len() - before
}

async fn outbox_rows(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .order_by_asc(outbox_message::Column::Id)
        .all(app.database())
        .await
        .expect("outbox rows")
}

fn header<'a>(message: &'a mail_parser::Message<'a>, name: &str) -> Option<String> {
    message.header(name).map(|h| match h {
        mail_parser::HeaderValue::Text(t) => t.to_string(),
        other => format!("{other:?}"),
    })
}

/// The approve and reject links of an approval e-mail (paths on the server).
fn vote_links(text: &str) -> (String, String) {
    let link = |label: &str| {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("a {label} line in {text}"));
        let url = line[label.len()..].trim();
        url.strip_prefix("http://releasedesk.example.com")
            .expect("links start with mail.public_url")
            .to_owned()
    };
    (link("Approve:"), link("Reject:"))
}

async fn approval_email_links_confirm_before_they_vote(app: &TestApp, sink: &SmtpSink) {
    let members = board(app, &["Ann Board"]).await;
    let id = submitted(app, "Mail server upgrade", "MAJOR").await;
    // queued with the request, in the transaction of the submit
    assert_eq!(queued(app, "APPROVAL_REQUEST").await, 1);
    // the job (on any replica) queues nothing more
    assert_eq!(queue_approval_mail(app).await, 0);
    assert_eq!(dispatch_approvals(app, sink, "d1").await, 1);
    let received = approval_mail(sink);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].recipients, ["ann.board@example.com"]);
    let message = received[0].parsed();
    let subject = message.subject().unwrap_or_default().to_owned();
    assert!(subject.contains("Mail server upgrade"), "{subject}");
    assert!(message
        .message_id()
        .is_some_and(|id| id.ends_with("@example.com")));
    let text = message.body_text(0).expect("a text part").to_string();
    let html = message.body_html(0).expect("an HTML part").to_string();
    for expected in [
        "MAJOR / STANDALONE",
        "Decide by",
        "Milestones:",
        "Linked changes:",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let (approve, reject) = vote_links(&text);
    assert!(html.contains(&approve.replace('&', "&amp;")), "{html}");
    assert!(html.contains(&reject));

    // opening the link (as a mail scanner does) records nothing
    let page = app.get(&approve).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let body = page.text().await.unwrap();
    assert!(
        body.contains("<form method=\"post\">") && body.contains("Mail server upgrade"),
        "{body}"
    );
    assert_eq!(status(app, &id).await, "REQUESTED");
    // a tampered token is refused and records nothing
    let tampered = format!("{}x", &approve);
    let page = app
        .http()
        .post(format!("{}{tampered}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    assert_eq!(status(app, &id).await, "REQUESTED");
    // a form posted from another site is refused with a page, recording nothing
    let foreign = app
        .http()
        .post(format!("{}{approve}", app.base_url))
        .header("origin", "https://elsewhere.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("comment=Not+mine")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(foreign.text().await.unwrap().contains("another site"));
    assert_eq!(status(app, &id).await, "REQUESTED");
    // confirming records the vote; the page was served behind a reverse
    // proxy at mail.public_url that passes the upstream Host, as nginx does
    let confirmed = app
        .http()
        .post(format!("{}{approve}", app.base_url))
        .header("origin", "http://releasedesk.example.com")
        .header(
            "referer",
            format!("http://releasedesk.example.com{approve}"),
        )
        .header("x-forwarded-host", "releasedesk.example.com")
        .header("x-forwarded-proto", "http")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("comment=Fine+by+me")
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let request_id = confirmed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(confirmed.text().await.unwrap().contains("Vote recorded"));
    assert_eq!(status(app, &id).await, "APPROVED");
    let approval = &approvals_of(app, &id).await[0];
    assert_eq!(approval["votes"][0]["comment"], "Fine by me");
    assert_eq!(
        approval["votes"][0]["decidedBy"]["id"],
        members[0].0.to_string()
    );
    let audit = app
        .ok(
            "{ auditEvents(filter: { operation: \"approvalLinkVote\" }) { outcome requestId actor { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(audit["auditEvents"][0]["outcome"], "OK", "{audit}");
    assert_eq!(
        audit["auditEvents"][0]["requestId"], request_id,
        "the audit row carries the request id of the log line and the response header"
    );
    assert_eq!(
        audit["auditEvents"][0]["actor"]["id"],
        members[0].0.to_string()
    );
    // used: neither link records anything any more
    for link in [&approve, &reject] {
        let again = app
            .http()
            .post(format!("{}{link}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 409);
        assert!(again.text().await.unwrap().contains("already"));
    }
    // an expired link: past the due time
    let later = submitted(app, "Later", "MAJOR").await;
    dispatch(app, "d1").await;
    let text = approval_mail(sink)[1]
        .parsed()
        .body_text(0)
        .unwrap()
        .to_string();
    let (approve, _) = vote_links(&text);
    app.clock.advance(Duration::hours(73));
    let expired = app
        .http()
        .post(format!("{}{approve}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 410);
    assert_eq!(status(app, &later).await, "REQUESTED");
}

async fn reminders_and_time_outs_follow_the_clock(app: &TestApp, sink: &SmtpSink) {
    set_policy(app, "ALL", None, 48, 24).await;
    board(app, &["Ann Board", "Ben Board"]).await;
    let id = submitted(app, "Slow board", "MAJOR").await;
    assert_eq!(queued(app, "APPROVAL_REQUEST").await, 2);
    assert_eq!(queue_approval_mail(app).await, 0);
    app.clock.advance(Duration::hours(23));
    assert_eq!(
        queue_approval_mail(app).await,
        0,
        "no reminder before the interval"
    );
    app.clock.advance(Duration::hours(1));
    assert_eq!(queue_approval_mail(app).await, 2, "one reminder each");
    app.clock.advance(Duration::hours(24));
    // past the due time: timed out, the owner is told, no more reminders
    assert_eq!(queue_approval_mail(app).await, 1);
    assert_eq!(queue_approval_mail(app).await, 0);
    let approval = &approvals_of(app, &id).await[0];
    assert_eq!(approval["status"], "TIMED_OUT");
    assert_eq!(dispatch_approvals(app, sink, "d1").await, 5);
    let kinds: Vec<String> = outbox_rows(app)
        .await
        .into_iter()
        .map(|m| m.kind)
        .filter(|k| k != "STATUS_CHANGED")
        .collect();
    assert_eq!(
        kinds,
        [
            "APPROVAL_REQUEST",
            "APPROVAL_REQUEST",
            "APPROVAL_REMINDER",
            "APPROVAL_REMINDER",
            "APPROVAL_TIMED_OUT"
        ]
    );
    let received = approval_mail(sink);
    let last = received.last().unwrap();
    assert_eq!(last.recipients, ["owner.of.slow.board@example.com"]);
    assert!(last.parsed().subject().unwrap().contains("timed out"));
    // still undecided: the release manager reopens it for a new round
    let direct = app
        .graphql(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "APPROVE" }),
        )
        .await;
    assert_eq!(error_code(&direct), Some("INVALID_TRANSITION"));
    let reopened = app
        .ok(
            "mutation($id: ID!) { reopenApproval(id: $id) { status round } }",
            json!({ "id": approval["id"] }),
        )
        .await;
    assert_eq!(
        reopened["reopenApproval"],
        json!({ "status": "OPEN", "round": 2 })
    );
    assert_eq!(
        queued(app, "APPROVAL_REQUEST").await,
        4,
        "a new round mails its own requests"
    );
    assert_eq!(queue_approval_mail(app).await, 0);
}

async fn with_smtp_down_for_a_while_every_email_arrives_once(app: &TestApp, sink: &SmtpSink) {
    board(app, &["Ann Board", "Ben Board", "Cy Board"]).await;
    submitted(app, "Outage", "MAJOR").await;
    assert_eq!(queued(app, "APPROVAL_REQUEST").await, 3);
    // the owner's status notice is in the outbox too: four e-mails in all
    sink.set_down(true);
    assert_eq!(dispatch(app, "d1").await, 0);
    let rows = outbox_rows(app).await;
    assert!(rows
        .iter()
        .all(|m| m.status == OutboxStatus::Queued && m.attempts == 1));
    assert!(rows
        .iter()
        .all(|m| m.last_error.as_deref().is_some_and(|e| !e.is_empty())));
    // not due again yet: the backoff holds them
    assert_eq!(dispatch(app, "d1").await, 0);
    assert_eq!(outbox_rows(app).await[0].attempts, 1);
    app.clock.advance(Duration::seconds(61));
    assert_eq!(dispatch(app, "d1").await, 0);
    assert_eq!(outbox_rows(app).await[0].attempts, 2);
    // the second wait is twice as long
    app.clock.advance(Duration::seconds(61));
    assert_eq!(dispatch(app, "d1").await, 0);
    sink.set_down(false);
    app.clock.advance(Duration::seconds(60));
    assert_eq!(dispatch(app, "d1").await, 4);
    assert_eq!(dispatch(app, "d1").await, 0);
    let recipients: Vec<String> = sink
        .messages()
        .iter()
        .flat_map(|m| m.recipients.clone())
        .collect();
    assert_eq!(recipients.len(), 4);
    assert_eq!(recipients.iter().collect::<BTreeSet<_>>().len(), 4);

    // after the last attempt a message is parked for administrators, not dropped
    submitted(app, "Parked", "MAJOR").await;
    sink.set_down(true);
    for _ in 0..3 {
        dispatch(app, "d1").await;
        app.clock.advance(Duration::hours(1));
    }
    let failed = app
        .ok(
            "{ outboxMessages(statuses: [FAILED]) { id attempts lastError } }",
            json!({}),
        )
        .await;
    let failed = failed["outboxMessages"].as_array().unwrap().clone();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed.iter().all(|m| m["attempts"] == 3));
    sink.set_down(false);
    assert_eq!(
        dispatch(app, "d1").await,
        0,
        "parked messages wait for an administrator"
    );
    for message in &failed {
        app.ok(
            "mutation($id: ID!) { retryOutboxMessage(id: $id) { status } }",
            json!({ "id": message["id"] }),
        )
        .await;
    }
    assert_eq!(dispatch(app, "d1").await, 4);
    assert_eq!(sink.messages().len(), 8);
}

async fn a_dispatcher_killed_after_its_claim_leaves_the_rows_to_the_others(
    app: &TestApp,
    sink: &SmtpSink,
) {
    board(app, &["Ann Board", "Ben Board"]).await;
    submitted(app, "Crash", "MAJOR").await;
    // a dispatcher claims, then dies before sending
    let claimed = outbox::claim(
        app.database(),
        "doomed",
        app.clock.now(),
        Duration::minutes(5),
        10,
    )
    .await
    .unwrap();
    // two approval requests and the owner's status notice
    assert_eq!(claimed.len(), 3);
    assert_eq!(dispatch(app, "survivor").await, 0, "still claimed");
    app.clock.advance(Duration::minutes(5));
    assert_eq!(dispatch(app, "survivor").await, 3);
    assert_eq!(sink.messages().len(), 3);
    // the dead dispatcher's late report changes nothing
    assert!(
        !outbox::mark_sent(app.database(), &claimed[0], app.clock.now())
            .await
            .unwrap()
    );
}

/// `count` test e-mails, each to its own reader.
fn test_mails(count: usize) -> Vec<Mail> {
    (0..count)
        .map(|i| Mail {
            key: format!("test:{i}"),
            kind: "TEST",
            release_id: None,
            recipient_id: None,
            recipient: format!("reader{i}@example.com"),
            subject: format!("Message {i}"),
            text: format!("Body {i}"),
            html: format!("<p>Body {i}</p>"),
            attachments: Vec::new(),
        })
        .collect()
}

/// `count` test e-mails, queued.
async fn queue_test_mail(app: &TestApp, count: usize) {
    let mails = test_mails(count);
    entities::write(app.database(), Stamp::system(app.clock.now()), async |tx| {
        outbox::enqueue(tx, mails.clone()).await
    })
    .await
    .unwrap();
}

/// A dispatcher paused after its claim, past the claim's end, finds on
/// resuming that it no longer holds the rows and sends none of them: the
/// dispatcher that took over sent each once.
async fn a_dispatcher_resumed_after_its_claim_ran_out_sends_nothing(
    app: &TestApp,
    sink: &SmtpSink,
) {
    queue_test_mail(app, 20).await;
    let paused = outbox::claim(
        app.database(),
        "paused",
        app.clock.now(),
        Duration::minutes(5),
        10,
    )
    .await
    .unwrap();
    assert_eq!(paused.len(), 10);
    app.clock.advance(Duration::minutes(6));
    assert_eq!(dispatch(app, "survivor").await, 20);
    let resumed = jobs::outbox_dispatch::send_claimed(app.context().jobs.context(), paused)
        .await
        .unwrap();
    assert_eq!(resumed, jobs::Counts::default(), "nothing sent again");
    assert_eq!(sink.messages().len(), 20);
    let sent = outbox_rows(app).await;
    assert!(sent.iter().all(|m| m.status == OutboxStatus::Sent));
    assert!(sent
        .iter()
        .all(|m| m.claimed_by.as_deref() == Some("survivor")));
}

/// A claim that would run out before a send could time out is not used: the
/// send waits for the next claim instead of overlapping another dispatcher's.
async fn a_send_starts_only_while_the_claim_outlasts_it(app: &TestApp, sink: &SmtpSink) {
    queue_test_mail(app, 3).await;
    // mail_settings: sends time out after 10 s; this claim has 5 s left
    let short = outbox::claim(
        app.database(),
        "short",
        app.clock.now(),
        Duration::seconds(5),
        10,
    )
    .await
    .unwrap();
    let counts = jobs::outbox_dispatch::send_claimed(app.context().jobs.context(), short)
        .await
        .unwrap();
    assert_eq!(counts.examined, 0);
    assert!(sink.messages().is_empty());
    app.clock.advance(Duration::seconds(5));
    assert_eq!(dispatch(app, "next").await, 3);
    assert_eq!(sink.messages().len(), 3);
}

/// What the database holds is not enough to vote: a queued approval e-mail
/// carries only the unsigned claim of its links, and no key is stored; the
/// e-mail as sent carries links that work. Rotating the key (a key file)
/// has every pending vote's approver mailed new links.
async fn links_at_rest_hold_nothing_to_vote_with(app: &TestApp, sink: &SmtpSink) {
    board(app, &["Ann Board"]).await;
    let id = submitted(app, "At rest", "MAJOR").await;
    assert_eq!(queued(app, "APPROVAL_REQUEST").await, 1);
    let queued = outbox_rows(app).await;
    let request_mail = queued
        .iter()
        .find(|m| m.idempotency_key.starts_with("approval-request:"))
        .expect("the approval e-mail");
    for body in [&request_mail.text_body, &request_mail.html_body] {
        assert!(body.contains("\u{1}vote:"), "{body}");
        assert!(
            !body.contains("/approvals/vote/"),
            "no address at rest: {body}"
        );
        for claim in body.split("\u{1}vote:").skip(1) {
            let claim = claim.split('\u{1}').next().unwrap_or_default();
            let page = app.get(&format!("/approvals/vote/{claim}")).await;
            assert_eq!(page.status(), 400, "a stored claim is no link");
        }
    }
    let keys = entities::entity::service_key::Entity::find()
        .count(app.database())
        .await
        .unwrap();
    assert_eq!(keys, 0, "no signing key in the database");
    dispatch_approvals(app, sink, "d1").await;
    let sent = approval_mail(sink)[0]
        .parsed()
        .body_text(0)
        .unwrap()
        .into_owned();
    let (approve, _) = vote_links(&sent);
    assert_eq!(app.get(&approve).await.status(), 200, "the sent link works");
    assert_eq!(status(app, &id).await, "REQUESTED");

    let folder = std::env::temp_dir().join(format!("releasedesk-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let mut settings = test_settings();
    settings.mail.link_key = None;
    settings.mail.link_key_file = folder.join("releasedesk.key");
    let first = releasedesk::keys::link_key(&settings).unwrap();
    assert_eq!(
        releasedesk::keys::link_key(&settings).unwrap(),
        first,
        "kept"
    );
    let rotated = releasedesk::keys::rotate(&settings, app.database())
        .await
        .unwrap();
    assert_eq!(rotated.votes_to_mail, 1);
    assert_ne!(releasedesk::keys::link_key(&settings).unwrap(), first);
    assert_eq!(queue_approval_mail(app).await, 1, "new links are mailed");
    std::fs::remove_dir_all(&folder).ok();
}

async fn three_dispatchers_deliver_each_email_exactly_once(app: &TestApp, sink: &SmtpSink) {
    let mails = test_mails(30);
    let queued = entities::write(app.database(), Stamp::system(app.clock.now()), async |tx| {
        let first = outbox::enqueue(tx, mails.clone()).await?;
        // the same keys again (a retried change) queue nothing
        let again = outbox::enqueue(tx, mails.clone()).await?;
        Ok((first, again))
    })
    .await
    .unwrap();
    assert_eq!(queued, (30, 0));
    let (a, b, c) = tokio::join!(
        dispatch(app, "d1"),
        dispatch(app, "d2"),
        dispatch(app, "d3")
    );
    assert_eq!(a + b + c, 30);
    let received = sink.messages();
    assert_eq!(received.len(), 30);
    let ids: BTreeSet<String> = received
        .iter()
        .map(|m| m.parsed().message_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 30);
    let to: BTreeSet<String> = received.iter().map(|m| m.recipients[0].clone()).collect();
    assert_eq!(to.len(), 30);
}

/// Names and titles are one line: the domain refuses line breaks in them. Rows
/// stored before that rule still render harmlessly: no header injection, and
/// the HTML is escaped.
async fn header_injection_through_a_title_or_name_is_harmless(app: &TestApp, sink: &SmtpSink) {
    use entities::entity::{person, release};
    let evil = "Ann\r\nBcc: victim@example.com";
    let evil_title = "Upgrade\r\nBcc: evil@example.com\r\n\r\n<script>x</script>";
    let refused = entities::write(app.database(), Stamp::system(app.clock.now()), async |tx| {
        entities::people::create(tx, evil, "mallory@example.com").await
    })
    .await;
    assert!(refused.is_err(), "a name with a line break is refused");
    let (start, end) = window(10, 20);
    let owner = fixtures::person(app, "Owner").await;
    app.expect_code(
        "mutation($input: CreateReleaseInput!) { createRelease(input: $input) { id } }",
        json!({ "input": { "title": evil_title, "type": "MAJOR", "ownerId": owner,
                           "plannedStart": start, "plannedEnd": end } }),
        "VALIDATION",
    )
    .await;
    entities::write(app.database(), Stamp::system(app.clock.now()), async |tx| {
        let person = entities::people::create(tx, "Ann", "ann@example.com").await?;
        entities::access::set_roles(tx, person.id, &[Role::ReviewBoard]).await
    })
    .await
    .unwrap();
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Upgrade", "type": "MAJOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id: i32 = release["id"].as_str().unwrap().parse().unwrap();
    // as if stored before titles and names had to be one line
    let db = app.database();
    person::Entity::update_many()
        .col_expr(person::Column::Name, Expr::value(evil))
        .filter(person::Column::Email.eq("ann@example.com"))
        .exec(db)
        .await
        .unwrap();
    release::Entity::update_many()
        .col_expr(release::Column::Title, Expr::value(evil_title))
        .filter(release::Column::Id.eq(id))
        .exec(db)
        .await
        .unwrap();
    fixtures::transition(app, &id.to_string(), "SUBMIT").await;
    assert_eq!(dispatch_approvals(app, sink, "d1").await, 1);
    let received: Vec<Received> = approval_mail(sink);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].recipients, ["ann@example.com"]);
    let message = received[0].parsed();
    assert!(message.header("Bcc").is_none());
    assert!(header(&message, "Subject")
        .unwrap()
        .contains("Upgrade  Bcc: evil@example.com"));
    let html = message.body_html(0).unwrap().to_string();
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
}

on_both_databases!(
    the_board_decides_what_its_policy_and_templates_say,
    a_major_release_is_decided_by_a_three_member_board_under_each_rule,
    an_emergency_is_decided_by_any_one_member_and_recorded_as_such,
    the_owner_does_not_approve_their_own_release,
    without_board_members_release_managers_decide_directly,
    a_milestone_approval_is_voted_reworked_and_completed,
    cancelling_a_release_cancels_its_open_requests_with_it,
    a_member_on_holiday_is_covered_by_a_delegate,
    policy_and_votes_refuse_bad_input_clearly,
    listing_approvals_costs_a_fixed_number_of_queries,
);

/// The `.eml` fallback, in a folder of its own.
mod eml {
    use releasedesk_tests::{run_on_with, test_settings, Backend};

    async fn in_own_folder(backend: Backend) {
        let mut settings = test_settings();
        let folder = std::env::temp_dir().join(format!("releasedesk-eml-{}", uuid::Uuid::new_v4()));
        settings.mail.folder = folder.clone();
        run_on_with(backend, settings, |app| {
            Box::pin(super::without_smtp_mail_is_written_as_eml_files(app))
        })
        .await;
        let _ = std::fs::remove_dir_all(folder);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_smtp_mail_is_written_as_eml_files_sqlite() {
        in_own_folder(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
    )]
    async fn without_smtp_mail_is_written_as_eml_files_postgres() {
        in_own_folder(Backend::Postgres).await;
    }
}

/// E-mail tests: each starts an SMTP server, then the service sending to it.
mod smtp {
    use super::*;
    use releasedesk_tests::{run_on_with, Backend};

    async fn with_sink(
        backend: Backend,
        test: for<'a> fn(&'a TestApp, &'a SmtpSink) -> futures::future::BoxFuture<'a, ()>,
    ) {
        let sink = std::sync::Arc::new(SmtpSink::start().await);
        let settings = mail_settings(&sink);
        run_on_with(backend, settings, move |app| {
            Box::pin(async move { test(app, &sink).await })
        })
        .await;
    }

    macro_rules! smtp_tests {
        ($($name:ident),* $(,)?) => {
            $(
                mod $name {
                    use super::*;
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn sqlite() {
                        with_sink(Backend::Sqlite, |app, sink| Box::pin(super::super::$name(app, sink))).await;
                    }
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    #[cfg_attr(not(postgres_tests), ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL")]
                    async fn postgres() {
                        with_sink(Backend::Postgres, |app, sink| Box::pin(super::super::$name(app, sink))).await;
                    }
                }
            )*
        };
    }

    smtp_tests!(
        approval_email_links_confirm_before_they_vote,
        reminders_and_time_outs_follow_the_clock,
        with_smtp_down_for_a_while_every_email_arrives_once,
        a_dispatcher_killed_after_its_claim_leaves_the_rows_to_the_others,
        a_dispatcher_resumed_after_its_claim_ran_out_sends_nothing,
        a_send_starts_only_while_the_claim_outlasts_it,
        links_at_rest_hold_nothing_to_vote_with,
        three_dispatchers_deliver_each_email_exactly_once,
        header_injection_through_a_title_or_name_is_harmless,
    );
}
