//! The Release Review Board: approval requests, votes, the board's policy,
//! delegation, and the e-mail outbox for administrators.

use super::error::{list_limit, parse_id, GqlResultExt};
use super::guard;
use super::loaders::{MilestoneById, PersonById, ReleaseById, VotesOf};
use super::milestone::Milestone;
use super::people::{load_person, Person};
use super::release::Release;
use super::write::write;
use super::RequestLoader;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::approvals::{self, ApprovalFilter, NewDelegation, PolicyInput, VoteInput};
use entities::entity::{
    approval_delegation, approval_request, approval_vote, outbox_message, review_board_policy,
    ApprovalStatus, DecisionRule, OutboxStatus, VoteDecision,
};
use entities::outbox;
use entities::policy::Capability;

/// Most requests one `approvals` list holds.
const MAX_APPROVALS: i32 = 200;
/// Most messages one `outboxMessages` list holds.
const MAX_OUTBOX: i32 = 200;

/// A request for the Release Review Board's decision on a release or one of its milestones.
pub struct Approval(pub approval_request::Model);

#[Object]
impl Approval {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The release decided on; null if you may not see it.
    async fn release(&self, ctx: &Context<'_>) -> Result<Option<Release>> {
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader
            .load_one(ReleaseById(self.0.release_id))
            .await
            .gql()?
            .map(Release))
    }
    /// The milestone decided on, for a milestone's approval.
    async fn milestone(&self, ctx: &Context<'_>) -> Result<Option<Milestone>> {
        let Some(id) = self.0.milestone_id else {
            return Ok(None);
        };
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader
            .load_one(MilestoneById(id))
            .await
            .gql()?
            .map(Milestone))
    }
    /// 1 for the first request about its subject, then one more per new request.
    async fn round(&self) -> i32 {
        self.0.round
    }
    async fn rule(&self) -> DecisionRule {
        self.0.rule
    }
    /// Approvals needed under QUORUM (capped at the number of approvers).
    async fn quorum(&self) -> Option<i32> {
        self.0.quorum
    }
    /// Opened on the emergency fast path: any one member decides.
    async fn emergency(&self) -> bool {
        self.0.emergency
    }
    async fn status(&self) -> ApprovalStatus {
        self.0.status
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    /// Past this, an open request becomes TIMED_OUT.
    async fn due_at(&self) -> DateTime<Utc> {
        self.0.due_at
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// How it ended, in words (the tally and the rejecting comments).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// One vote per approver, in the order they were asked.
    async fn votes(&self, ctx: &Context<'_>) -> Result<Vec<Vote>> {
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader
            .load_one(VotesOf(self.0.id))
            .await
            .gql()?
            .unwrap_or_default()
            .into_iter()
            .map(Vote)
            .collect())
    }
    /// The counted votes (delegated ones count through their delegate).
    async fn tally(&self, ctx: &Context<'_>) -> Result<Tally> {
        let loader = ctx.data::<RequestLoader>()?;
        let votes = loader
            .load_one(VotesOf(self.0.id))
            .await
            .gql()?
            .unwrap_or_default();
        let tally = approvals::tally(&votes);
        Ok(Tally {
            approved: tally.approved as i32,
            rejected: tally.rejected as i32,
            pending: tally.pending as i32,
            needed: entities::lifecycle::approval::approvals_needed(
                self.0.rule,
                self.0.quorum,
                tally.voters(),
            ) as i32,
        })
    }
}

/// Where a request's votes stand.
#[derive(async_graphql::SimpleObject)]
pub struct Tally {
    pub approved: i32,
    pub rejected: i32,
    pub pending: i32,
    /// Approvals the rule needs.
    pub needed: i32,
}

/// One approver's vote.
pub struct Vote(approval_vote::Model);

#[Object]
impl Vote {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn approver(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.approver_id)).await
    }
    async fn decision(&self) -> VoteDecision {
        self.0.decision
    }
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    /// Who cast it: the approver, or the member covering for them.
    async fn decided_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.decided_by).await
    }
    /// For DELEGATED: the member whose vote counts instead.
    async fn delegated_to(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.delegated_to).await
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// Request e-mails queued for it (the first, then reminders).
    async fn emails_sent(&self) -> i32 {
        self.0.emails_sent
    }
}

/// How the board decides.
pub struct ReviewBoardPolicy(review_board_policy::Model);

#[Object]
impl ReviewBoardPolicy {
    /// ALL (default), MAJORITY, QUORUM or ANY; EMERGENCY requests always take ANY.
    async fn rule(&self) -> DecisionRule {
        self.0.rule
    }
    async fn quorum(&self) -> Option<i32> {
        self.0.quorum
    }
    /// Hours from opening until a request times out.
    async fn due_hours(&self) -> i32 {
        self.0.due_hours
    }
    /// Hours between reminders to approvers who have not voted.
    async fn reminder_hours(&self) -> i32 {
        self.0.reminder_hours
    }
    /// The board decides every MAJOR release; otherwise only releases made
    /// from a template that asks for it (the default major template does).
    async fn every_major(&self) -> bool {
        self.0.every_major
    }
    /// The board decides every EMERGENCY release, by any one member;
    /// otherwise only those whose template asks for it.
    async fn emergency_by_any_member(&self) -> bool {
        self.0.emergency_by_any_member
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Who last changed the policy; null unless you may look people up.
    async fn updated_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let actor = guard::viewer(ctx)?.actor();
        let shown = self.0.updated_by.filter(|id| actor.may_look_up(*id));
        load_person(ctx, shown).await
    }
}

/// A member's cover for a period.
pub struct Delegation(approval_delegation::Model);

#[Object]
impl Delegation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Whose votes are covered.
    async fn delegator(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.delegator_id)).await
    }
    /// Who votes for them.
    async fn delegate(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.delegate_id)).await
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// An e-mail in the outbox.
pub struct OutboxMessage(outbox_message::Model);

#[Object]
impl OutboxMessage {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What makes it this e-mail; the same key is never queued twice.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }
    /// APPROVAL_REQUEST, APPROVAL_REMINDER, APPROVAL_TIMED_OUT, STATUS_CHANGED.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn status(&self) -> OutboxStatus {
        self.0.status
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    /// Why the latest attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

/// Which approval requests `approvals` answers.
#[derive(InputObject, Default)]
pub struct ApprovalFilterInput {
    /// Only those waiting for your vote (or the vote of someone you cover now).
    #[graphql(default)]
    pub mine: bool,
    /// Only these statuses (OPEN for what is pending).
    pub statuses: Option<Vec<ApprovalStatus>>,
    pub release_id: Option<ID>,
}

#[derive(Default)]
pub struct ApprovalQuery;

/// Warms the request loader with what a list of approvals selects, one batch
/// per relation, so the list costs a fixed number of statements whatever the
/// load on the machine (no batching window decides it).
async fn prefetch(ctx: &Context<'_>, rows: &[approval_request::Model]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let loader = ctx.data::<RequestLoader>()?;
    let selection = ctx.look_ahead();
    let releases = async {
        if selection.field("release").exists() {
            loader
                .load_many(rows.iter().map(|r| ReleaseById(r.release_id)))
                .await
                .gql()?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let milestones = async {
        if selection.field("milestone").exists() {
            loader
                .load_many(
                    rows.iter()
                        .filter_map(|r| r.milestone_id)
                        .map(MilestoneById),
                )
                .await
                .gql()?;
        }
        Ok(())
    };
    let votes = async {
        let votes = selection.field("votes");
        if !votes.exists() {
            return Ok(Vec::new());
        }
        let loaded = loader
            .load_many(rows.iter().map(|r| VotesOf(r.id)))
            .await
            .gql()?;
        let mut people = Vec::new();
        for vote in loaded.values().flatten() {
            if votes.field("approver").exists() {
                people.push(vote.approver_id);
            }
            if votes.field("decidedBy").exists() {
                people.extend(vote.decided_by);
            }
            if votes.field("delegatedTo").exists() {
                people.extend(vote.delegated_to);
            }
        }
        Ok(people)
    };
    let ((), (), people) = tokio::try_join!(releases, milestones, votes)?;
    if !people.is_empty() {
        let people: std::collections::BTreeSet<i32> = people.into_iter().collect();
        loader
            .load_many(people.into_iter().map(PersonById))
            .await
            .gql()?;
    }
    Ok(())
}

#[Object]
impl ApprovalQuery {
    /// Approval requests, newest first: those of the releases you may see
    /// (a hidden release's requests answer like missing ones).
    async fn approvals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ApprovalFilterInput>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<Approval>> {
        let viewer = guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        let limit = list_limit(first, MAX_APPROVALS)?;
        let filter = filter.unwrap_or_default();
        let domain_filter = ApprovalFilter {
            mine: filter.mine,
            statuses: filter.statuses.unwrap_or_default(),
            release_id: filter
                .release_id
                .as_ref()
                .map(|id| parse_id(id, "releaseId"))
                .transpose()?,
        };
        let rows = approvals::list(
            &app.db,
            &viewer.actor(),
            &domain_filter,
            app.clock.now(),
            limit,
        )
        .await
        .gql()?;
        prefetch(ctx, &rows).await?;
        Ok(rows.into_iter().map(Approval).collect())
    }

    /// One approval request.
    async fn approval(&self, ctx: &Context<'_>, id: ID) -> Result<Approval> {
        let viewer = guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        let id = parse_id(&id, "id")?;
        approvals::find_visible(&app.db, &viewer.actor(), id)
            .await
            .gql()
            .map(Approval)
    }

    /// How the Release Review Board decides.
    async fn review_board_policy(&self, ctx: &Context<'_>) -> Result<ReviewBoardPolicy> {
        guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        approvals::policy(&app.db)
            .await
            .gql()
            .map(ReviewBoardPolicy)
    }

    /// Delegations you gave or received, newest first.
    async fn my_delegations(&self, ctx: &Context<'_>) -> Result<Vec<Delegation>> {
        let viewer = guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        let Some(person_id) = viewer.actor().person_id() else {
            return Ok(Vec::new());
        };
        Ok(approvals::delegations_of(&app.db, person_id)
            .await
            .gql()?
            .into_iter()
            .map(Delegation)
            .collect())
    }

    /// E-mails in the outbox, newest first; FAILED ones are parked for you to
    /// retry. Administrators only.
    async fn outbox_messages(
        &self,
        ctx: &Context<'_>,
        statuses: Option<Vec<OutboxStatus>>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<OutboxMessage>> {
        let viewer = guard::require(ctx, Capability::Administer)?;
        let app = ctx.data::<AppContext>()?;
        let limit = list_limit(first, MAX_OUTBOX)?;
        Ok(outbox::list(
            &app.db,
            &viewer.actor(),
            &statuses.unwrap_or_default(),
            limit,
        )
        .await
        .gql()?
        .into_iter()
        .map(OutboxMessage)
        .collect())
    }
}

/// Input of `castVote`.
#[derive(InputObject)]
pub struct CastVoteInput {
    pub approval_id: ID,
    /// APPROVED, REJECTED, or DELEGATED (with `delegateTo`).
    pub decision: VoteDecision,
    pub comment: Option<String>,
    /// Vote for this member, whom you cover by a delegation in force.
    pub on_behalf_of: Option<ID>,
    /// For DELEGATED: the board member who takes over this vote.
    pub delegate_to: Option<ID>,
}

/// Input of `setReviewBoardPolicy`.
#[derive(InputObject)]
pub struct ReviewBoardPolicyInput {
    pub rule: DecisionRule,
    /// Required for QUORUM, refused otherwise (1 to 100).
    pub quorum: Option<i32>,
    /// Hours until a request times out (1 to 720).
    pub due_hours: i32,
    /// Hours between reminders (1 to 168).
    pub reminder_hours: i32,
    /// The board decides every MAJOR release; kept as it is when omitted.
    pub every_major: Option<bool>,
    /// The board decides every EMERGENCY release, by any one member; kept as
    /// it is when omitted.
    pub emergency_by_any_member: Option<bool>,
}

/// Input of `delegateApprovals`.
#[derive(InputObject)]
pub struct DelegateApprovalsInput {
    /// Whose votes are covered; yourself unless you are an administrator.
    pub delegator_id: Option<ID>,
    /// The board member who votes for them.
    pub delegate_id: ID,
    /// Now when omitted.
    pub starts_at: Option<DateTime<Utc>>,
    /// At most a year after the start.
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
}

#[derive(Default)]
pub struct ApprovalMutation;

#[Object]
impl ApprovalMutation {
    /// Records your vote (or, with `onBehalfOf`, the vote of a member you cover
    /// now). When the votes settle the request, the release moves to APPROVED
    /// or REJECTED, or the milestone completes or goes back to ACTIVE, in the
    /// same transaction. `CONFLICT` when the vote is already cast;
    /// `INVALID_TRANSITION` when the request is no longer open.
    async fn cast_vote(&self, ctx: &Context<'_>, input: CastVoteInput) -> Result<Approval> {
        let vote = VoteInput {
            request_id: parse_id(&input.approval_id, "approvalId")?,
            decision: input.decision,
            comment: input.comment,
            on_behalf_of: input
                .on_behalf_of
                .as_ref()
                .map(|id| parse_id(id, "onBehalfOf"))
                .transpose()?,
            delegate_to: input
                .delegate_to
                .as_ref()
                .map(|id| parse_id(id, "delegateTo"))
                .transpose()?,
        };
        write(ctx, async |tx| approvals::cast_vote(tx, vote).await)
            .await
            .map(Approval)
    }

    /// Opens a new round of a TIMED_OUT request, with fresh votes and due time.
    /// Release managers and administrators.
    async fn reopen_approval(&self, ctx: &Context<'_>, id: ID) -> Result<Approval> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| approvals::reopen(tx, id).await)
            .await
            .map(Approval)
    }

    /// Replaces the board's policy; open requests keep theirs. Administrators only.
    async fn set_review_board_policy(
        &self,
        ctx: &Context<'_>,
        input: ReviewBoardPolicyInput,
    ) -> Result<ReviewBoardPolicy> {
        let policy = PolicyInput {
            rule: input.rule,
            quorum: input.quorum,
            due_hours: input.due_hours,
            reminder_hours: input.reminder_hours,
            every_major: input.every_major,
            emergency_by_any_member: input.emergency_by_any_member,
        };
        write(ctx, async |tx| approvals::set_policy(tx, policy).await)
            .await
            .map(ReviewBoardPolicy)
    }

    /// Lets another board member vote for you (or, for administrators, for
    /// anyone) for a period; requests opened meanwhile go to them directly.
    async fn delegate_approvals(
        &self,
        ctx: &Context<'_>,
        input: DelegateApprovalsInput,
    ) -> Result<Delegation> {
        let delegation = NewDelegation {
            delegator_id: input
                .delegator_id
                .as_ref()
                .map(|id| parse_id(id, "delegatorId"))
                .transpose()?,
            delegate_id: parse_id(&input.delegate_id, "delegateId")?,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            reason: input.reason,
        };
        write(ctx, async |tx| approvals::delegate(tx, delegation).await)
            .await
            .map(Delegation)
    }

    /// Ends a delegation now.
    async fn revoke_delegation(&self, ctx: &Context<'_>, id: ID) -> Result<Delegation> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| approvals::revoke_delegation(tx, id).await)
            .await
            .map(Delegation)
    }

    /// Queues a FAILED e-mail again with fresh attempts. Administrators only.
    async fn retry_outbox_message(&self, ctx: &Context<'_>, id: ID) -> Result<OutboxMessage> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| outbox::retry(tx, id).await)
            .await
            .map(OutboxMessage)
    }
}
