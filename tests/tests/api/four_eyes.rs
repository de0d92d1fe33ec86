//! Who may vote and what approvals and changes show: the owner and the
//! requester of a decision never vote on it, however they come to hold a
//! vote; a vote needs its standing at the time it is cast, and losing it voids
//! the vote; a hidden release's requests and changes answer like missing ones.

use crate::fixtures::{self, window};
use entities::entity::Role;
use releasedesk_tests::{error_code, on_both_databases, TestApp};
use serde_json::{json, Value};

const CAST: &str = "mutation($input: CastVoteInput!) { castVote(input: $input) {
    id status tally { approved pending } } }";
const APPROVAL: &str = "query($id: ID!) { approval(id: $id) { id status
    tally { approved rejected pending }
    votes { decision approver { id } } } }";

/// A MAJOR release owned by `owner`, submitted by the administrator; its id and approval's id.
async fn submitted(app: &TestApp, owner: &str, title: &str) -> (String, String) {
    let (start, end) = window(10, 5);
    let release = fixtures::release(
        app,
        owner,
        json!({ "title": title, "type": "MAJOR", "plannedStart": start, "plannedEnd": end, "useTemplate": false }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    fixtures::transition(app, &id, "SUBMIT").await;
    let approval = app
        .ok(
            "query($id: ID!) { release(id: $id) { approvals { id } } }",
            json!({ "id": id }),
        )
        .await["release"]["approvals"][0]["id"]
        .as_str()
        .expect("an approval")
        .to_owned();
    (id, approval)
}

fn vote_input(approval: &str, decision: &str) -> Value {
    json!({ "input": { "approvalId": approval, "decision": decision } })
}

/// The owner, also on the board, is handed a vote, given one by a delegation,
/// or votes for a member they cover: none of it counts.
async fn the_owner_never_decides_their_own_release(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let (owner_id, owner) = app
        .user("Olga Owner", &[Role::ReviewBoard, Role::ReleaseManager])
        .await;
    let (ann_id, ann) = app.user("Ann Board", &[Role::ReviewBoard]).await;
    let (_, ben) = app.user("Ben Board", &[Role::ReviewBoard]).await;
    let (release, approval) = submitted(app, &owner_id.to_string(), "Own release").await;

    // handing a vote to the owner is refused
    let handed = app
        .as_bearer(Some(&ann))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "DELEGATED", "delegateTo": owner_id.to_string() } }),
        )
        .await;
    assert_eq!(error_code(&handed), Some("VALIDATION"), "{handed:#}");
    assert!(handed["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("four eyes"));

    // a delegation to the owner does not let them vote for the member
    app.as_bearer(Some(&ann))
        .ok(
            "mutation($d: ID!, $e: DateTime!) { delegateApprovals(input: { delegateId: $d, endsAt: $e }) { id } }",
            json!({ "d": owner_id.to_string(), "e": "2026-12-31T00:00:00Z" }),
        )
        .await;
    let for_ann = app
        .as_bearer(Some(&owner))
        .graphql(
            CAST,
            json!({ "input": { "approvalId": approval, "decision": "APPROVED", "onBehalfOf": ann_id.to_string() } }),
        )
        .await;
    assert_eq!(error_code(&for_ann), Some("FORBIDDEN"), "{for_ann:#}");

    // nor is the owner an approver of their own release at all
    let own = app
        .as_bearer(Some(&owner))
        .graphql(CAST, vote_input(&approval, "APPROVED"))
        .await;
    assert_eq!(error_code(&own), Some("FORBIDDEN"), "{own:#}");

    // the two other members decide
    app.as_bearer(Some(&ann))
        .ok(CAST, vote_input(&approval, "APPROVED"))
        .await;
    let decided = app
        .as_bearer(Some(&ben))
        .ok(CAST, vote_input(&approval, "APPROVED"))
        .await;
    assert_eq!(decided["castVote"]["status"], "APPROVED");
    assert_eq!(fixtures::read(app, &release).await["status"], "APPROVED");

    // a request opened while the delegation is in force leaves Ann's vote with Ann
    let (_, second) = submitted(app, &owner_id.to_string(), "Own release again").await;
    let votes = app.ok(APPROVAL, json!({ "id": second })).await["approval"]["votes"].clone();
    let voters: Vec<&str> = votes
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["approver"]["id"].as_str().unwrap())
        .collect();
    assert!(
        !voters.contains(&owner_id.to_string().as_str()),
        "{votes:#}"
    );
    assert!(votes
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["approver"]["id"] == ann_id.to_string().as_str() && v["decision"] == "PENDING"));
}

/// Whoever asked for the decision does not vote on it either.
async fn the_requester_does_not_vote_on_their_request(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, "Owner").await;
    let (_, submitter) = app
        .user("Sam Submitter", &[Role::ReviewBoard, Role::ReleaseManager])
        .await;
    app.user("Ann Board", &[Role::ReviewBoard]).await;
    let (start, end) = window(10, 5);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Asked", "type": "MAJOR", "plannedStart": start, "plannedEnd": end, "useTemplate": false }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    app.as_bearer(Some(&submitter))
        .ok(
            fixtures::TRANSITION,
            json!({ "id": id, "action": "SUBMIT" }),
        )
        .await;
    let approval = app
        .ok(
            "query($id: ID!) { release(id: $id) { approvals { id votes { approver { name } } } } }",
            json!({ "id": id }),
        )
        .await["release"]["approvals"][0]
        .clone();
    let names: Vec<&str> = approval["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["approver"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann Board"], "{approval:#}");
    let own = app
        .as_bearer(Some(&submitter))
        .graphql(
            CAST,
            vote_input(approval["id"].as_str().unwrap(), "APPROVED"),
        )
        .await;
    assert_eq!(error_code(&own), Some("FORBIDDEN"), "{own:#}");
}

/// A member who leaves the board loses their pending votes (void, in the
/// history), cannot vote through the API or a link, no longer sees the
/// release through the vote, and the remaining votes decide.
async fn leaving_the_board_voids_a_pending_vote(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, "Owner").await;
    let (_, ann) = app.user("Ann Board", &[Role::ReviewBoard]).await;
    let (ben_id, ben) = app.user("Ben Board", &[Role::ReviewBoard]).await;
    let (release, approval) = submitted(app, &owner, "Voided").await;
    app.as_bearer(Some(&ann))
        .ok(CAST, vote_input(&approval, "APPROVED"))
        .await;
    app.ok(
        "mutation($id: ID!) { setPersonRoles(personId: $id, roles: []) }",
        json!({ "id": ben_id.to_string() }),
    )
    .await;
    let now = app.ok(APPROVAL, json!({ "id": approval })).await["approval"].clone();
    assert_eq!(
        now["status"], "APPROVED",
        "the remaining votes decide: {now:#}"
    );
    assert!(now["votes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["approver"]["id"] == ben_id.to_string().as_str() && v["decision"] == "VOID"));
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { status history { kind to note } } }",
            json!({ "id": release }),
        )
        .await["release"]
        .clone();
    assert_eq!(history["status"], "APPROVED");
    assert!(history["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["to"] == "VOID"
            && e["note"]
                .as_str()
                .is_some_and(|n| n.contains("left the Release Review Board"))));
    let late = app
        .as_bearer(Some(&ben))
        .graphql(CAST, vote_input(&approval, "REJECTED"))
        .await;
    assert_eq!(error_code(&late), Some("NOT_FOUND"), "{late:#}");
    let seen = app
        .as_bearer(Some(&ben))
        .graphql(
            "query($id: ID!) { release(id: $id) { id } }",
            json!({ "id": release }),
        )
        .await;
    assert_eq!(seen["data"]["release"], Value::Null, "{seen:#}");
}

/// An APPROVER stakeholder removed from the release loses their vote on it.
async fn removing_an_approver_voids_their_vote(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, "Owner").await;
    let (_, ann) = app.user("Ann Board", &[Role::ReviewBoard]).await;
    let (stan_id, stan) = app.user("Stan Approver", &[]).await;
    let (start, end) = window(10, 5);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Staked", "type": "MAJOR", "plannedStart": start, "plannedEnd": end, "useTemplate": false }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    let stake = app
        .ok(
            "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: APPROVER }) { id } }",
            json!({ "r": id, "p": stan_id.to_string() }),
        )
        .await["addStakeholder"]["id"]
        .clone();
    fixtures::transition(app, &id, "SUBMIT").await;
    let approval = app
        .ok(
            "query($id: ID!) { release(id: $id) { approvals { id } } }",
            json!({ "id": id }),
        )
        .await["release"]["approvals"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        "mutation($id: ID!) { removeStakeholder(id: $id) { id } }",
        json!({ "id": stake }),
    )
    .await;
    let refused = app
        .as_bearer(Some(&stan))
        .graphql(CAST, vote_input(&approval, "APPROVED"))
        .await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused:#}");
    let decided = app
        .as_bearer(Some(&ann))
        .ok(CAST, vote_input(&approval, "APPROVED"))
        .await;
    assert_eq!(
        decided["castVote"]["status"], "APPROVED",
        "Stan's void vote no longer holds the request open"
    );
}

/// A board member who may not see a release learns nothing of it through
/// approvals: its requests answer exactly like missing ones.
async fn a_hidden_release_has_no_visible_approvals(app: &TestApp) {
    fixtures::board_decides_every_release(app, "ALL").await;
    let owner = fixtures::person(app, "Owner").await;
    let (_, ann) = app.user("Ann Board", &[Role::ReviewBoard]).await;
    let (release, approval) = submitted(app, &owner, "Decided before you came").await;
    app.as_bearer(Some(&ann))
        .ok(CAST, vote_input(&approval, "APPROVED"))
        .await;
    // a member who joined after the decision: the release no longer awaits one
    let (_, newcomer) = app.user("Nina New", &[Role::ReviewBoard]).await;
    let as_new = app.as_bearer(Some(&newcomer));
    let list = as_new
        .ok(
            "query($r: ID) { approvals(filter: { releaseId: $r }) { id milestone { id } } }",
            json!({ "r": release }),
        )
        .await;
    assert_eq!(list["approvals"], json!([]));
    let missing = as_new
        .ok(
            "query($r: ID) { approvals(filter: { releaseId: $r }) { id } }",
            json!({ "r": "999999" }),
        )
        .await;
    assert_eq!(missing["approvals"], json!([]));
    let all = as_new.ok("{ approvals { id } }", json!({})).await;
    assert_eq!(all["approvals"], json!([]));
    let hidden = as_new.graphql(APPROVAL, json!({ "id": approval })).await;
    let absent = as_new.graphql(APPROVAL, json!({ "id": "999999" })).await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{hidden:#}");
    assert_eq!(
        hidden["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&approval, "N")),
        absent["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace("999999", "N")),
    );
    for id in [approval.as_str(), "999999"] {
        let on_behalf = as_new
            .graphql(
                CAST,
                json!({ "input": { "approvalId": id, "decision": "APPROVED", "onBehalfOf": "1" } }),
            )
            .await;
        assert_eq!(error_code(&on_behalf), Some("NOT_FOUND"), "{on_behalf:#}");
    }
}

/// A change manager neither reads nor writes the changes of a release they
/// may not see; unlinked changes stay theirs to manage.
async fn a_change_manager_does_not_reach_into_hidden_releases(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (_, manager) = app.user("Carl Change", &[Role::ChangeManager]).await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "Hidden", "type": "MINOR" })).await;
    let release = release["id"].as_str().unwrap().to_owned();
    let change = app
        .ok(
            "mutation($i: CreateChangeInput!) { createChange(input: $i) { id } }",
            json!({ "i": { "title": "Patch", "risk": "LOW", "requesterId": owner } }),
        )
        .await["createChange"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }",
        json!({ "c": change, "r": release }),
    )
    .await;
    let history_before = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind } } }",
            json!({ "id": release }),
        )
        .await;
    let as_manager = app.as_bearer(Some(&manager));
    let listed = as_manager
        .ok(
            "query($r: ID) { changes(releaseId: $r) { id } }",
            json!({ "r": release }),
        )
        .await;
    assert_eq!(listed["changes"], json!([]));
    let all = as_manager.ok("{ changes { id } }", json!({})).await;
    assert_eq!(all["changes"], json!([]));
    let writes = [
        (
            "query($c: ID!) { change(id: $c) { id } }",
            json!({ "c": change }),
        ),
        (
            "mutation($c: ID!) { updateChange(id: $c, input: { title: \"Mine now\" }, expectedVersion: 2) { id } }",
            json!({ "c": change }),
        ),
        (
            "mutation($c: ID!) { updateChange(id: $c, input: { scheduledStart: \"2027-02-01T00:00:00Z\" }, expectedVersion: 2) { id } }",
            json!({ "c": change }),
        ),
        (
            "mutation($c: ID!) { unlinkChange(id: $c) { id } }",
            json!({ "c": change }),
        ),
        (
            "mutation($c: ID!) { setChangeItems(changeId: $c, itemIds: []) }",
            json!({ "c": change }),
        ),
    ];
    for (document, variables) in writes {
        let answer = as_manager.graphql(document, variables).await;
        assert_eq!(
            error_code(&answer),
            Some("NOT_FOUND"),
            "{document}: {answer:#}"
        );
        assert!(
            !answer.to_string().contains(&format!("release {release}")),
            "the answer names no hidden release: {answer:#}"
        );
    }
    let history_after = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind } } }",
            json!({ "id": release }),
        )
        .await;
    assert_eq!(
        history_before, history_after,
        "nothing landed in its history"
    );
    // an unlinked change is the change manager's to edit
    app.ok(
        "mutation($c: ID!) { unlinkChange(id: $c) { id } }",
        json!({ "c": change }),
    )
    .await;
    let edited = as_manager
        .ok(
            "mutation($c: ID!) { updateChange(id: $c, input: { title: \"Mine now\" }, expectedVersion: 3) { title } }",
            json!({ "c": change }),
        )
        .await;
    assert_eq!(edited["updateChange"]["title"], "Mine now");
}

/// A change moved from a release the reader may not see into one they may:
/// the history shows that it moved, not from where, nor that release's window.
async fn history_names_no_hidden_release(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (reader_id, reader) = app.user("Rita Reader", &[]).await;
    let (hidden_start, hidden_end) = window(40, 3);
    let hidden = fixtures::release(
        app,
        &owner,
        json!({ "title": "Hidden", "type": "MINOR", "plannedStart": hidden_start, "plannedEnd": hidden_end }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (start, end) = window(10, 3);
    let seen = fixtures::release(
        app,
        &owner,
        json!({ "title": "Seen", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        "mutation($r: ID!, $p: ID!) { addStakeholder(input: { releaseId: $r, personId: $p, role: STAKEHOLDER }) { id } }",
        json!({ "r": seen, "p": reader_id.to_string() }),
    )
    .await;
    let change = app
        .ok(
            "mutation($i: CreateChangeInput!) { createChange(input: $i) { id } }",
            json!({ "i": { "title": "Patch", "risk": "LOW", "requesterId": owner } }),
        )
        .await["createChange"]["id"]
        .clone();
    for release in [&hidden, &seen] {
        app.ok(
            "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }",
            json!({ "c": change, "r": release }),
        )
        .await;
    }
    let query = "query($id: ID!) { release(id: $id) { history { kind field from to note } } }";
    let as_reader = app
        .as_bearer(Some(&reader))
        .ok(query, json!({ "id": seen }))
        .await
        .to_string();
    let as_admin = app.ok(query, json!({ "id": seen })).await.to_string();
    for leak in [
        format!("release {hidden}"),
        format!("\"from\":\"{hidden}\""),
        hidden_start.clone(),
    ] {
        assert!(
            as_admin.contains(&leak),
            "the administrator sees {leak}: {as_admin}"
        );
        assert!(
            !as_reader.contains(&leak),
            "the reader does not see {leak}: {as_reader}"
        );
    }
    assert!(as_reader.contains("CHANGE_LINKED") && as_reader.contains("another release"));
}

/// Who changed the board's policy is shown to those who may look people up.
async fn the_policys_author_is_shown_only_to_who_may_look_people_up(app: &TestApp) {
    app.ok(
        "mutation { setReviewBoardPolicy(input: { rule: MAJORITY, dueHours: 48, reminderHours: 24 }) { rule } }",
        json!({}),
    )
    .await;
    let query = "{ reviewBoardPolicy { rule updatedBy { name email } } }";
    let (_, stakeholder) = app.user("Sid Stakeholder", &[]).await;
    let hidden = app.as_bearer(Some(&stakeholder)).ok(query, json!({})).await;
    assert_eq!(hidden["reviewBoardPolicy"]["rule"], "MAJORITY");
    assert_eq!(hidden["reviewBoardPolicy"]["updatedBy"], Value::Null);
    let shown = app.ok(query, json!({})).await;
    assert_eq!(
        shown["reviewBoardPolicy"]["updatedBy"]["email"],
        "test.admin@example.com"
    );
}

on_both_databases!(
    the_owner_never_decides_their_own_release,
    the_requester_does_not_vote_on_their_request,
    leaving_the_board_voids_a_pending_vote,
    removing_an_approver_voids_their_vote,
    a_hidden_release_has_no_visible_approvals,
    a_change_manager_does_not_reach_into_hidden_releases,
    the_policys_author_is_shown_only_to_who_may_look_people_up,
    history_names_no_hidden_release,
);
