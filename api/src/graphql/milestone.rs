//! Milestones: the object and the mutations that add, edit and move them.

use super::error::{internal, parse_id, GqlResultExt};
use super::guard;
use super::loaders::{MilestoneActionsOf, ReleaseById};
use super::release::Release;
use super::write::write;
use super::{patch, RequestLoader};
use crate::context::AppContext;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{milestone, MilestoneStatus};
use entities::lifecycle::milestone::MilestoneAction;
use entities::milestones::{self, MilestoneChanges, NewMilestone};
use entities::policy::Capability;
use entities::workflow;

/// A step of a release; milestones run in sequence while the release is ACTIVE.
pub struct Milestone(pub milestone::Model);

// serial: its fields read the row or the warmed loader (see graphql/mod.rs)
#[Object(serial)]
impl Milestone {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn release(&self, ctx: &Context<'_>) -> Result<Release> {
        let loader = ctx.data::<RequestLoader>()?;
        loader
            .load_one(ReleaseById(self.0.release_id))
            .await
            .gql()?
            .map(Release)
            .ok_or_else(|| internal("release is missing"))
    }
    /// Position in the release, from 1.
    async fn sequence(&self) -> i32 {
        self.0.sequence
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn status(&self) -> MilestoneStatus {
        self.0.status
    }
    /// Completing it waits for an approval.
    async fn requires_approval(&self) -> bool {
        self.0.requires_approval
    }
    /// Its running and final cost.
    async fn cost(&self, ctx: &Context<'_>) -> Result<super::cost::MilestoneCost> {
        let app = ctx.data::<AppContext>()?;
        Ok(super::cost::MilestoneCost::of(
            &self.0,
            &app.settings.costs.currency,
        ))
    }
    /// Its latest Review Board approval request, if the board was asked.
    async fn approval(&self, ctx: &Context<'_>) -> Result<Option<super::approval::Approval>> {
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader
            .load_one(super::loaders::ApprovalOfMilestone(self.0.id))
            .await
            .gql()?
            .map(super::approval::Approval))
    }
    async fn planned_start(&self) -> Option<DateTime<Utc>> {
        self.0.planned_start
    }
    async fn planned_end(&self) -> Option<DateTime<Utc>> {
        self.0.planned_end
    }
    async fn actual_start(&self) -> Option<DateTime<Utc>> {
        self.0.actual_start
    }
    async fn actual_end(&self) -> Option<DateTime<Utc>> {
        self.0.actual_end
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Pass this as `expectedVersion` to `updateMilestone`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The `transitionMilestone` actions that would succeed now, for the caller.
    async fn available_actions(&self, ctx: &Context<'_>) -> Result<Vec<MilestoneAction>> {
        if !guard::viewer(ctx)?.actor().may(Capability::RunReleases) {
            return Ok(Vec::new());
        }
        let loader = ctx.data::<RequestLoader>()?;
        let actions = loader
            .load_one(MilestoneActionsOf(self.0.clone()))
            .await
            .gql()?;
        Ok(actions.unwrap_or_default())
    }
}

#[derive(Default)]
pub struct MilestoneQuery;

#[Object]
impl MilestoneQuery {
    /// One milestone; `null` with a `NOT_FOUND` error when there is none.
    async fn milestone(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Milestone>> {
        let services = ctx.data::<AppContext>()?;
        let id = parse_id(&id, "id")?;
        let milestone = milestones::find(&services.db, id).await.gql()?;
        guard::ensure_visible(ctx, "milestone", milestone.release_id, id).await?;
        Ok(Some(Milestone(milestone)))
    }
}

/// Input of `addMilestone`.
#[derive(InputObject)]
pub struct AddMilestoneInput {
    pub release_id: ID,
    pub title: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default)]
    pub requires_approval: bool,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
}

impl AddMilestoneInput {
    /// The domain's input; `VALIDATION` when the release id is not one.
    pub fn into_new(self) -> Result<NewMilestone> {
        Ok(NewMilestone {
            release_id: parse_id(&self.release_id, "releaseId")?,
            title: self.title,
            description: self.description,
            requires_approval: self.requires_approval,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
        })
    }
}

/// Input of `updateMilestone`; omitted fields stay, `null` clears a date.
#[derive(InputObject, Default)]
pub struct UpdateMilestoneInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub requires_approval: Option<bool>,
    pub planned_start: MaybeUndefined<DateTime<Utc>>,
    pub planned_end: MaybeUndefined<DateTime<Utc>>,
}

#[derive(Default)]
pub struct MilestoneMutation;

#[Object]
impl MilestoneMutation {
    /// Appends a milestone to a release; in an ACTIVE release with nothing running it starts at once.
    async fn add_milestone(
        &self,
        ctx: &Context<'_>,
        input: AddMilestoneInput,
    ) -> Result<Milestone> {
        let new = input.into_new()?;
        write(ctx, async |tx| milestones::add(tx, new).await)
            .await
            .map(Milestone)
    }

    /// Edits an open milestone; with `expectedVersion` a stale edit fails with `CONFLICT`.
    async fn update_milestone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateMilestoneInput,
        expected_version: Option<i32>,
    ) -> Result<Milestone> {
        let id = parse_id(&id, "id")?;
        let changes = MilestoneChanges {
            title: input.title,
            description: input.description,
            requires_approval: input.requires_approval,
            planned_start: patch(input.planned_start),
            planned_end: patch(input.planned_end),
        };
        write(ctx, async |tx| {
            milestones::update(tx, id, changes, expected_version).await
        })
        .await
        .map(Milestone)
    }

    /// Moves a milestone; finishing the last one moves its release to REVIEW.
    async fn transition_milestone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        action: MilestoneAction,
    ) -> Result<Milestone> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            workflow::transition_milestone(tx, id, action).await
        })
        .await
        .map(Milestone)
    }
}
