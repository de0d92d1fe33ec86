//! Opening requests, casting votes, and applying the verdict to the release or
//! milestone, all inside the caller's unit of work.

use super::delegations::{active, board_members, covered_by, is_board_member};
use super::{milestone_key, policy::policy, release_key};
use crate::entity::{
    approval_request, approval_vote, milestone, release, stakeholder, ApprovalStatus, DecisionRule,
    EventKind, ReleaseType, StakeholderRole, VoteDecision,
};
use crate::lifecycle::approval::{approvals_needed, decide, Tally, Verdict};
use crate::lifecycle::milestone::MilestoneAction;
use crate::lifecycle::release::ReleaseAction;
use crate::lifecycle::Refusal;
use crate::policy::Capability;
use crate::schedule::freeze;
use crate::{milestones, releases, validate, workflow, DomainError, DomainResult, Event};
use crate::{Subject, Tx};
use sea_orm::{prelude::*, sea_query::Expr, ActiveValue::Set, QueryOrder, QuerySelect};
use std::collections::BTreeSet;

/// Input of [`cast_vote`].
#[derive(Debug, Clone)]
pub struct VoteInput {
    pub request_id: i32,
    /// APPROVED, REJECTED, or DELEGATED (with `delegate_to`).
    pub decision: VoteDecision,
    pub comment: Option<String>,
    /// Vote for this member, whom the caller covers by a delegation in force.
    pub on_behalf_of: Option<i32>,
    /// The member who takes over this vote, for DELEGATED.
    pub delegate_to: Option<i32>,
}

/// Opens a request for `release` (or its `milestone`) when the board governs
/// it ([`governed`]) and has at least one approver besides its owner, who
/// never approves their own release, and queues each approver's e-mail with
/// it. Returns `None`, with a history note when the board has no one to ask,
/// when the decision stays with release managers.
pub(crate) async fn open_for(
    tx: &mut Tx,
    release: &release::Model,
    milestone: Option<&milestone::Model>,
) -> DomainResult<Option<approval_request::Model>> {
    let policy = policy(tx.db()).await?;
    if !governed(
        &policy,
        release.release_type,
        template_asks_for_board(tx, release).await?,
    ) {
        return Ok(None);
    }
    let mut approvers: BTreeSet<i32> = board_members(tx.db()).await?.into_iter().collect();
    approvers.extend(
        stakeholder::Entity::find()
            .select_only()
            .column(stakeholder::Column::PersonId)
            .filter(stakeholder::Column::ReleaseId.eq(release.id))
            .filter(stakeholder::Column::Role.eq(StakeholderRole::Approver))
            .into_tuple::<i32>()
            .all(tx.db())
            .await?,
    );
    // four eyes: neither the release's owner nor whoever asked for the
    // decision approves it
    let requester = tx.stamp().actor.person_id();
    let owner_excluded = approvers.remove(&release.owner_id);
    if let Some(requester) = requester {
        approvers.remove(&requester);
    }
    let interested = |person: i32| person == release.owner_id || Some(person) == requester;
    let history_event = |kind, note: String| {
        let event = Event::new(kind).with_note(Some(note));
        match milestone {
            Some(m) => event.on_milestone(m.id),
            None => event,
        }
    };
    if approvers.is_empty() {
        let why = if owner_excluded {
            "the Release Review Board has no members besides the release's owner: release managers decide directly"
        } else {
            "the Release Review Board has no members: release managers decide directly"
        };
        tx.record(
            Subject::Release(release.id),
            [history_event(EventKind::ApprovalRequested, why.into())],
        );
        return Ok(None);
    }
    let emergency = release.release_type == ReleaseType::Emergency;
    let (rule, quorum) = if emergency {
        (DecisionRule::Any, None)
    } else {
        (policy.rule, policy.quorum)
    };
    let voters = u32::try_from(approvers.len()).unwrap_or(u32::MAX);
    let quorum = (rule == DecisionRule::Quorum)
        .then(|| i32::try_from(approvals_needed(rule, quorum, voters)).unwrap_or(i32::MAX));
    let subject_key = match milestone {
        Some(m) => milestone_key(m.id),
        None => release_key(release.id),
    };
    let last_round: Option<i32> = approval_request::Entity::find()
        .select_only()
        .column_as(approval_request::Column::Round.max(), "round")
        .filter(approval_request::Column::SubjectKey.eq(subject_key.clone()))
        .into_tuple::<Option<i32>>()
        .one(tx.db())
        .await?
        .flatten();
    let now = tx.now();
    let due_at = now + chrono::Duration::hours(i64::from(policy.due_hours));
    let request = approval_request::ActiveModel {
        release_id: Set(release.id),
        milestone_id: Set(milestone.map(|m| m.id)),
        subject_key: Set(subject_key),
        round: Set(last_round.unwrap_or(0) + 1),
        rule: Set(rule),
        quorum: Set(quorum),
        emergency: Set(emergency),
        status: Set(ApprovalStatus::Open),
        reminder_hours: Set(policy.reminder_hours),
        opened_at: Set(now),
        due_at: Set(due_at),
        decided_at: Set(None),
        note: Set(None),
        updated_at: Set(now),
        version: Set(1),
        requested_by: Set(requester),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    // members on holiday hand their vote to their cover from the start (never
    // to the release's owner or its requester: the vote stays with the member)
    let covers = active(tx.db(), now).await?;
    let mut votes = Vec::new();
    let mut voting: BTreeSet<i32> = BTreeSet::new();
    for approver in &approvers {
        let cover = covers
            .iter()
            .find(|d| {
                d.delegator_id == *approver
                    && !approvers.contains(&d.delegate_id)
                    && !interested(d.delegate_id)
            })
            .map(|d| d.delegate_id);
        let decision = if cover.is_some() {
            VoteDecision::Delegated
        } else {
            VoteDecision::Pending
        };
        votes.push(new_vote(request.id, *approver, decision, cover, now));
        if let Some(cover) = cover {
            if voting.insert(cover) {
                votes.push(new_vote(
                    request.id,
                    cover,
                    VoteDecision::Pending,
                    None,
                    now,
                ));
            }
        }
    }
    approval_vote::Entity::insert_many(votes)
        .exec(tx.db())
        .await?;
    let what = if emergency {
        "emergency approval (any one member decides)".to_owned()
    } else {
        match quorum {
            Some(q) => format!("approval by QUORUM of {q}"),
            None => format!("approval by {}", rule_name(rule)),
        }
    };
    tx.record(
        Subject::Release(release.id),
        [history_event(
            EventKind::ApprovalRequested,
            format!(
                "approval #{} (round {}): {what} of {} approver(s), due {}",
                request.id,
                request.round,
                approvers.len(),
                due_at.format("%Y-%m-%d %H:%M UTC")
            ),
        )],
    );
    super::emails::queue_first(tx, &request).await?;
    Ok(Some(request))
}

/// Whether the board decides a release of `release_type`: always when its
/// template asks for the board (the default major template does), every MAJOR
/// one under `every_major`, every EMERGENCY one under
/// `emergency_by_any_member`; release managers decide the rest directly.
fn governed(
    policy: &crate::entity::review_board_policy::Model,
    release_type: ReleaseType,
    template_asks: bool,
) -> bool {
    template_asks
        || match release_type {
            ReleaseType::Major => policy.every_major,
            ReleaseType::Emergency => policy.emergency_by_any_member,
            ReleaseType::Minor => false,
        }
}

/// True when the release was made from a template that asks for the board.
async fn template_asks_for_board(tx: &Tx, release: &release::Model) -> DomainResult<bool> {
    let Some(template_id) = release.template_id else {
        return Ok(false);
    };
    Ok(crate::templates::find(tx.db(), template_id)
        .await
        .map(|t| t.board_approval)
        .unwrap_or(false))
}

fn new_vote(
    request_id: i32,
    approver_id: i32,
    decision: VoteDecision,
    delegated_to: Option<i32>,
    at: DateTimeUtc,
) -> approval_vote::ActiveModel {
    approval_vote::ActiveModel {
        request_id: Set(request_id),
        approver_id: Set(approver_id),
        decision: Set(decision),
        comment: Set(None),
        decided_by: Set(None),
        delegated_to: Set(delegated_to),
        decided_at: Set((decision == VoteDecision::Delegated).then_some(at)),
        emails_sent: Set(0),
        last_emailed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..Default::default()
    }
}

/// The API name of a rule.
pub fn rule_name(rule: DecisionRule) -> &'static str {
    match rule {
        DecisionRule::All => "ALL",
        DecisionRule::Majority => "MAJORITY",
        DecisionRule::Quorum => "QUORUM",
        DecisionRule::Any => "ANY",
    }
}

/// The API name of a request status.
pub fn status_name(status: ApprovalStatus) -> &'static str {
    match status {
        ApprovalStatus::Open => "OPEN",
        ApprovalStatus::Approved => "APPROVED",
        ApprovalStatus::Rejected => "REJECTED",
        ApprovalStatus::TimedOut => "TIMED_OUT",
        ApprovalStatus::Cancelled => "CANCELLED",
    }
}

fn decision_name(decision: VoteDecision) -> &'static str {
    match decision {
        VoteDecision::Pending => "PENDING",
        VoteDecision::Approved => "APPROVED",
        VoteDecision::Rejected => "REJECTED",
        VoteDecision::Delegated => "DELEGATED",
        VoteDecision::Void => "VOID",
    }
}

/// Records the caller's vote (or, under a delegation in force, the vote of the
/// member they cover) and, when the votes settle it, applies the verdict to
/// the release or milestone with its cascades.
pub async fn cast_vote(tx: &mut Tx, input: VoteInput) -> DomainResult<approval_request::Model> {
    let Some(me) = tx.stamp().actor.person_id() else {
        return Err(DomainError::Forbidden("votes are cast by people".into()));
    };
    vote(tx, me, input).await
}

/// Records the vote of `member` as the service itself (demo data, imports);
/// only the system actor may.
pub async fn cast_vote_for(
    tx: &mut Tx,
    member: i32,
    input: VoteInput,
) -> DomainResult<approval_request::Model> {
    if tx.stamp().actor != crate::Actor::System {
        return Err(DomainError::Forbidden(
            "only the service votes for another member".into(),
        ));
    }
    vote(tx, member, input).await
}

async fn vote(tx: &mut Tx, me: i32, input: VoteInput) -> DomainResult<approval_request::Model> {
    let actor = tx.stamp().actor.clone();
    let comment = validate::optional_note("comment", input.comment)?;
    let request = find_locked(tx, input.request_id).await?;
    // a request of a release the caller may not see answers like a missing one
    super::find_visible(tx.db(), &actor, request.id).await?;
    let voter = input.on_behalf_of.unwrap_or(me);
    if voter != me && !covered_by(tx.db(), me, tx.now()).await?.contains(&voter) {
        return Err(DomainError::Forbidden(format!(
            "you do not cover for person {voter} now; a delegation in force is needed"
        )));
    }
    let votes = approval_vote::Entity::find()
        .filter(approval_vote::Column::RequestId.eq(request.id))
        .order_by_asc(approval_vote::Column::Id)
        .all(tx.db())
        .await?;
    let Some(vote) = votes.iter().find(|v| v.approver_id == voter).cloned() else {
        return Err(DomainError::Forbidden(format!(
            "person {voter} is not an approver of approval #{}",
            request.id
        )));
    };
    if request.status != ApprovalStatus::Open {
        return Err(DomainError::invalid_transition(
            status_name(request.status),
            "VOTE",
            [],
            Refusal(format!(
                "approval #{} is {}; votes are no longer taken",
                request.id,
                status_name(request.status)
            )),
        ));
    }
    if vote.decision == VoteDecision::Void {
        return Err(DomainError::Forbidden(format!(
            "the vote of person {voter} on approval #{} is void: they no longer sit on the \
             Release Review Board nor hold the APPROVER stake of its release",
            request.id
        )));
    }
    let release = releases::find(tx.db(), request.release_id).await?;
    for person in [voter, me] {
        if let Some(why) = interest(&request, &release, person) {
            return Err(DomainError::Forbidden(format!(
                "person {person} {why}: four eyes, their vote does not count on approval #{}",
                request.id
            )));
        }
    }
    if !has_standing(tx.db(), release.id, voter).await? {
        return Err(DomainError::Forbidden(format!(
            "person {voter} no longer sits on the Release Review Board nor holds the APPROVER \
             stake of release {}; the vote is not taken",
            release.id
        )));
    }
    if voter != me && !is_board_member(tx.db(), me).await? {
        return Err(DomainError::Forbidden(
            "you no longer sit on the Release Review Board; you cover for nobody".into(),
        ));
    }
    if vote.decision != VoteDecision::Pending {
        return Err(DomainError::Conflict(format!(
            "the vote of person {voter} on approval #{} is already {}",
            request.id,
            decision_name(vote.decision)
        )));
    }
    let now = tx.now();
    match input.decision {
        VoteDecision::Pending | VoteDecision::Void => {
            return Err(DomainError::validation(
                "decision",
                "vote APPROVED, REJECTED or DELEGATED",
            ))
        }
        VoteDecision::Delegated => {
            let Some(delegate) = input.delegate_to else {
                return Err(DomainError::validation(
                    "delegateTo",
                    "name the member who takes over the vote",
                ));
            };
            if let Some(why) = interest(&request, &release, delegate) {
                return Err(DomainError::validation(
                    "delegateTo",
                    format!("person {delegate} {why}: four eyes, they cannot take this vote"),
                ));
            }
            if votes.iter().any(|v| v.approver_id == delegate) {
                return Err(DomainError::validation(
                    "delegateTo",
                    format!(
                        "person {delegate} already votes on approval #{}",
                        request.id
                    ),
                ));
            }
            if !is_board_member(tx.db(), delegate).await? {
                return Err(DomainError::validation(
                    "delegateTo",
                    format!("person {delegate} is not a member of the Release Review Board"),
                ));
            }
            record_vote(
                tx,
                &vote,
                VoteDecision::Delegated,
                comment.clone(),
                me,
                Some(delegate),
            )
            .await?;
            approval_vote::Entity::insert(new_vote(
                request.id,
                delegate,
                VoteDecision::Pending,
                None,
                now,
            ))
            .exec(tx.db())
            .await?;
            super::emails::queue_first(tx, &request).await?;
        }
        decision @ (VoteDecision::Approved | VoteDecision::Rejected) => {
            if input.delegate_to.is_some() {
                return Err(DomainError::validation(
                    "delegateTo",
                    "delegateTo goes only with DELEGATED",
                ));
            }
            record_vote(tx, &vote, decision, comment.clone(), me, None).await?;
        }
    }
    let on_behalf = (voter != me).then(|| format!(" for person {voter}"));
    let note = format!(
        "approval #{}{}{}",
        request.id,
        on_behalf.unwrap_or_default(),
        comment.map(|c| format!(": {c}")).unwrap_or_default()
    );
    record_vote_event(tx, &request, input.decision, note);
    settle(tx, &request).await?;
    approval_request::Entity::find_by_id(request.id)
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("approval", request.id))
}

/// Records in the release's history that a pending vote on `request` became `decision`.
fn record_vote_event(
    tx: &mut Tx,
    request: &approval_request::Model,
    decision: VoteDecision,
    note: String,
) {
    tx.record(
        Subject::Release(request.release_id),
        [subject_event(
            request,
            Event::change(
                EventKind::VoteCast,
                "vote",
                Some("PENDING".into()),
                Some(decision_name(decision).into()),
            )
            .with_note(Some(note)),
        )],
    );
}

/// Why `person` may not vote on `request` (four eyes): they own its release
/// or asked for the decision.
fn interest(
    request: &approval_request::Model,
    release: &release::Model,
    person: i32,
) -> Option<&'static str> {
    if person == release.owner_id {
        Some("owns the release")
    } else if request.requested_by == Some(person) {
        Some("asked for this decision")
    } else {
        None
    }
}

/// True when `person` may vote on release `release_id` now: a board member,
/// or one of its APPROVER stakeholders.
async fn has_standing<C: ConnectionTrait>(
    db: &C,
    release_id: i32,
    person: i32,
) -> DomainResult<bool> {
    if is_board_member(db, person).await? {
        return Ok(true);
    }
    Ok(stakeholder::Entity::find()
        .filter(stakeholder::Column::ReleaseId.eq(release_id))
        .filter(stakeholder::Column::PersonId.eq(person))
        .filter(stakeholder::Column::Role.eq(StakeholderRole::Approver))
        .count(db)
        .await?
        > 0)
}

/// Applies the verdict when the request's votes now settle it.
async fn settle(tx: &mut Tx, request: &approval_request::Model) -> DomainResult<()> {
    let votes = approval_vote::Entity::find()
        .filter(approval_vote::Column::RequestId.eq(request.id))
        .all(tx.db())
        .await?;
    let tally = tally(&votes);
    if let Some(verdict) = decide(request.rule, request.quorum, tally) {
        let reasons: Vec<String> = votes
            .iter()
            .filter(|v| v.decision == VoteDecision::Rejected)
            .filter_map(|v| v.comment.clone())
            .collect();
        resolve(tx, request, verdict, tally, reasons).await?;
    }
    Ok(())
}

/// The open requests of `release_ids` (all releases when `None`) where
/// `person` has a pending vote: what [`void_without_standing`] looks at.
pub(crate) async fn pending_votes_of<C: ConnectionTrait>(
    db: &C,
    person: i32,
    release_ids: Option<&[i32]>,
) -> DomainResult<Vec<(approval_request::Model, approval_vote::Model)>> {
    let mut requests = approval_request::Entity::find()
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
        .order_by_asc(approval_request::Column::Id);
    if let Some(ids) = release_ids {
        requests = requests.filter(approval_request::Column::ReleaseId.is_in(ids.iter().copied()));
    }
    let requests = requests.all(db).await?;
    let votes = approval_vote::Entity::find()
        .filter(approval_vote::Column::RequestId.is_in(requests.iter().map(|r| r.id)))
        .filter(approval_vote::Column::ApproverId.eq(person))
        .filter(approval_vote::Column::Decision.eq(VoteDecision::Pending))
        .all(db)
        .await?;
    Ok(votes
        .into_iter()
        .filter_map(|vote| {
            requests
                .iter()
                .find(|r| r.id == vote.request_id)
                .map(|r| (r.clone(), vote))
        })
        .collect())
}

/// Voids `person`'s pending votes on `pending` (see [`pending_votes_of`])
/// where they no longer have standing (the board role, or the APPROVER stake
/// of the release), records why, and settles each request: the remaining
/// votes may decide it now. The caller has locked the requests' releases.
pub(crate) async fn void_without_standing(
    tx: &mut Tx,
    person: i32,
    pending: Vec<(approval_request::Model, approval_vote::Model)>,
    why: &str,
) -> DomainResult<()> {
    for (request, vote) in pending {
        if has_standing(tx.db(), request.release_id, person).await? {
            continue;
        }
        let now = tx.now();
        let voided = approval_vote::Entity::update_many()
            .col_expr(
                approval_vote::Column::Decision,
                Expr::value(VoteDecision::Void),
            )
            .col_expr(approval_vote::Column::DecidedAt, Expr::value(Some(now)))
            .col_expr(approval_vote::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                approval_vote::Column::Version,
                Expr::value(vote.version + 1),
            )
            .filter(approval_vote::Column::Id.eq(vote.id))
            .filter(approval_vote::Column::Decision.eq(VoteDecision::Pending))
            .exec(tx.db())
            .await?
            .rows_affected;
        if voided == 0 {
            continue;
        }
        let note = format!(
            "approval #{}: the vote of person {person} is void: {why}",
            request.id
        );
        record_vote_event(tx, &request, VoteDecision::Void, note);
        settle(tx, &request).await?;
    }
    Ok(())
}

/// Locks the release of request `id` (the lock order), then loads the request
/// as it is now: its status and votes are decided on from here.
async fn find_locked(tx: &mut Tx, id: i32) -> DomainResult<approval_request::Model> {
    let find = async |tx: &Tx| {
        approval_request::Entity::find_by_id(id)
            .one(tx.db())
            .await?
            .ok_or_else(|| DomainError::not_found("approval", id))
    };
    let release_id = find(tx).await?.release_id;
    tx.lock_release(release_id).await?;
    find(tx).await
}

async fn record_vote(
    tx: &mut Tx,
    vote: &approval_vote::Model,
    decision: VoteDecision,
    comment: Option<String>,
    decided_by: i32,
    delegated_to: Option<i32>,
) -> DomainResult<()> {
    let now = tx.now();
    let result = approval_vote::Entity::update_many()
        .set(approval_vote::ActiveModel {
            decision: Set(decision),
            comment: Set(comment),
            decided_by: Set(Some(decided_by)),
            delegated_to: Set(delegated_to),
            decided_at: Set(Some(now)),
            updated_at: Set(now),
            version: Set(vote.version + 1),
            ..Default::default()
        })
        .filter(approval_vote::Column::Id.eq(vote.id))
        .filter(approval_vote::Column::Version.eq(vote.version))
        .exec(tx.db())
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "the vote was cast by someone else meanwhile; reload and try again".into(),
        ));
    }
    Ok(())
}

/// The counted votes of a request.
pub fn tally(votes: &[approval_vote::Model]) -> Tally {
    let mut tally = Tally::default();
    for vote in votes {
        match vote.decision {
            VoteDecision::Approved => tally.approved += 1,
            VoteDecision::Rejected => tally.rejected += 1,
            VoteDecision::Pending => tally.pending += 1,
            VoteDecision::Delegated | VoteDecision::Void => {}
        }
    }
    tally
}

fn subject_event(request: &approval_request::Model, event: Event) -> Event {
    match request.milestone_id {
        Some(id) => event.on_milestone(id),
        None => event,
    }
}

/// Ends an open request (guarded on its version) and records why.
async fn close_request(
    tx: &mut Tx,
    request: &approval_request::Model,
    status: ApprovalStatus,
    note: String,
) -> DomainResult<()> {
    let now = tx.now();
    let result = approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Status, Expr::value(status))
        .col_expr(approval_request::Column::DecidedAt, Expr::value(Some(now)))
        .col_expr(
            approval_request::Column::Note,
            Expr::value(Some(note.clone())),
        )
        .col_expr(approval_request::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            approval_request::Column::Version,
            Expr::value(request.version + 1),
        )
        .filter(approval_request::Column::Id.eq(request.id))
        .filter(approval_request::Column::Version.eq(request.version))
        .exec(tx.db())
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::Conflict(format!(
            "approval #{} changed meanwhile; reload and try again",
            request.id
        )));
    }
    tx.record(
        Subject::Release(request.release_id),
        [subject_event(
            request,
            Event::change(
                EventKind::ApprovalDecided,
                "approval",
                Some(status_name(request.status).into()),
                Some(status_name(status).into()),
            )
            .with_note(Some(format!("approval #{}: {note}", request.id))),
        )],
    );
    Ok(())
}

/// Applies the board's verdict: the release to APPROVED or REJECTED, or the
/// milestone to COMPLETED (and on) or back to ACTIVE for rework.
async fn resolve(
    tx: &mut Tx,
    request: &approval_request::Model,
    verdict: Verdict,
    tally: Tally,
    reasons: Vec<String>,
) -> DomainResult<()> {
    let (status, words) = match verdict {
        Verdict::Approved => (ApprovalStatus::Approved, "approved"),
        Verdict::Rejected => (ApprovalStatus::Rejected, "rejected"),
    };
    let kind = if request.emergency {
        "emergency approval"
    } else {
        "Release Review Board"
    };
    let mut note = format!(
        "{words} by the {kind} ({} approved, {} rejected, {} pending)",
        tally.approved, tally.rejected, tally.pending
    );
    if !reasons.is_empty() {
        note.push_str(": ");
        note.push_str(&reasons.join("; "));
    }
    close_request(tx, request, status, note.clone()).await?;
    let release = releases::find(tx.db(), request.release_id).await?;
    match request.milestone_id {
        Some(milestone_id) => {
            let milestone = milestones::find(tx.db(), milestone_id).await?;
            let action = match verdict {
                Verdict::Approved => MilestoneAction::Approve,
                Verdict::Rejected => MilestoneAction::Reject,
            };
            let after = milestones::apply(tx, &release, milestone, action).await?;
            workflow::run(tx, workflow::effects_of_milestone(&release, &after)).await
        }
        None => {
            let action = match verdict {
                Verdict::Approved => ReleaseAction::Approve,
                Verdict::Rejected => ReleaseAction::Reject,
            };
            if let (Verdict::Approved, (Some(start), Some(end))) =
                (verdict, crate::windows::of_release(&release))
            {
                let frozen = freeze::hard_freezes_over(tx, release.id, (start, end), None).await?;
                if !frozen.is_empty() {
                    freeze::hold_verdict(tx, &release, &frozen);
                    return Ok(());
                }
            }
            let after = releases::apply(tx, release, action, Some(note)).await?;
            workflow::run(tx, workflow::effects_of_release(&after)).await
        }
    }
}

/// Cancels the open requests of a release (all of them, or one milestone's).
pub(crate) async fn cancel_open(
    tx: &mut Tx,
    release_id: i32,
    milestone_id: Option<i32>,
) -> DomainResult<()> {
    let mut query = approval_request::Entity::find()
        .filter(approval_request::Column::ReleaseId.eq(release_id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open));
    if let Some(id) = milestone_id {
        query = query.filter(approval_request::Column::MilestoneId.eq(id));
    }
    let note = match milestone_id {
        Some(_) => "the milestone was cancelled",
        None => "the release was cancelled",
    };
    for request in query.all(tx.db()).await? {
        close_request(tx, &request, ApprovalStatus::Cancelled, note.into()).await?;
    }
    Ok(())
}

/// Marks every open request past its due time TIMED_OUT and returns them; the
/// caller tells their release managers in the same unit of work.
pub async fn time_out_due(tx: &mut Tx) -> DomainResult<Vec<approval_request::Model>> {
    let now = tx.now();
    let due_query = || {
        approval_request::Entity::find()
            .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
            .filter(approval_request::Column::DueAt.lte(now))
            .order_by_asc(approval_request::Column::Id)
    };
    let releases: BTreeSet<i32> = due_query()
        .all(tx.db())
        .await?
        .iter()
        .map(|r| r.release_id)
        .collect();
    if releases.is_empty() {
        return Ok(Vec::new());
    }
    let releases: Vec<i32> = releases.into_iter().collect();
    tx.lock_releases(&releases).await?;
    // decided on after the locks: a request decided meanwhile is no longer due
    let due = due_query().all(tx.db()).await?;
    let mut timed_out = Vec::with_capacity(due.len());
    for request in due {
        close_request(
            tx,
            &request,
            ApprovalStatus::TimedOut,
            "no decision by the due time".into(),
        )
        .await?;
        timed_out.push(approval_request::Model {
            status: ApprovalStatus::TimedOut,
            decided_at: Some(tx.now()),
            ..request
        });
    }
    Ok(timed_out)
}

/// Opens the next round of a timed-out request, with fresh votes and due time.
pub async fn reopen(tx: &mut Tx, request_id: i32) -> DomainResult<approval_request::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let request = find_locked(tx, request_id).await?;
    let newer = approval_request::Entity::find()
        .filter(approval_request::Column::SubjectKey.eq(request.subject_key.clone()))
        .filter(approval_request::Column::Round.gt(request.round))
        .count(tx.db())
        .await?;
    if request.status != ApprovalStatus::TimedOut || newer > 0 {
        return Err(DomainError::invalid_transition(
            status_name(request.status),
            "REOPEN",
            [],
            Refusal("only the latest request, once TIMED_OUT, can be reopened".into()),
        ));
    }
    let release = releases::find(tx.db(), request.release_id).await?;
    let milestone = match request.milestone_id {
        Some(id) => Some(milestones::find(tx.db(), id).await?),
        None => None,
    };
    let still_waiting = match &milestone {
        Some(m) => m.status == crate::entity::MilestoneStatus::PendingApproval,
        None => release.status == crate::entity::ReleaseStatus::Requested,
    };
    if !still_waiting {
        return Err(DomainError::invalid_transition(
            status_name(request.status),
            "REOPEN",
            [],
            Refusal("its release or milestone no longer waits for a decision".into()),
        ));
    }
    open_for(tx, &release, milestone.as_ref())
        .await?
        .ok_or_else(|| {
            DomainError::Conflict(
                "the Release Review Board has no members now; add members and reopen".into(),
            )
        })
}
