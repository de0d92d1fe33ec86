//! The `Release` object and its relations.

use crate::graphql::change::Change;
use crate::graphql::conflict::Conflict;
use crate::graphql::error::{internal, GqlResultExt};
use crate::graphql::guard::viewer;
use crate::graphql::history::ReleaseEvent;
use crate::graphql::loaders::{
    ChangesOf, ConflictsOf, HistoryOf, MilestonesOf, PackagesOf, PersonById, PhasesOf,
    ReleaseActionsOf, ReleaseById, StakeholdersOf,
};
use crate::graphql::milestone::Milestone;
use crate::graphql::package::Package;
use crate::graphql::people::{Person, Stakeholder};
use crate::graphql::RequestLoader;
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{release, ReleaseScope, ReleaseStatus, ReleaseType, ReviewOutcome};
use entities::lifecycle::release::ReleaseAction;

/// A release: a set of changes rolled out together, alone, as a master, or as a phase.
pub struct Release(pub release::Model);

// serial: its fields read the row or the warmed loader (see graphql/mod.rs)
#[Object(serial)]
impl Release {
    /// The release number users see.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    #[graphql(name = "type")]
    async fn release_type(&self) -> ReleaseType {
        self.0.release_type
    }
    async fn scope(&self) -> ReleaseScope {
        self.0.scope
    }
    async fn status(&self) -> ReleaseStatus {
        self.0.status
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Person> {
        let loader = ctx.data::<RequestLoader>()?;
        loader
            .load_one(PersonById(self.0.owner_id))
            .await
            .gql()?
            .map(Person)
            .ok_or_else(|| internal("owner is missing"))
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
    async fn review_outcome(&self) -> Option<ReviewOutcome> {
        self.0.review_outcome
    }
    async fn lessons_learned(&self) -> Option<&str> {
        self.0.lessons_learned.as_deref()
    }
    /// Why the release was cancelled, if it was.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// The template the milestones came from, if any.
    async fn template_id(&self) -> Option<ID> {
        self.0.template_id.map(|id| ID(id.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Pass this as `expectedVersion` to `updateRelease`; it grows with every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The master of a phase.
    async fn master(&self, ctx: &Context<'_>) -> Result<Option<Release>> {
        let Some(master_id) = self.0.master_id else {
            return Ok(None);
        };
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader
            .load_one(ReleaseById(master_id))
            .await
            .gql()?
            .map(Release))
    }
    /// The phases of a master, lowest id first.
    async fn phases(&self, ctx: &Context<'_>) -> Result<Vec<Release>> {
        let loader = ctx.data::<RequestLoader>()?;
        let phases = loader.load_one(PhasesOf(self.0.id)).await.gql()?;
        Ok(phases
            .unwrap_or_default()
            .into_iter()
            .map(Release)
            .collect())
    }
    /// Milestones in sequence.
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(MilestonesOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Milestone)
            .collect())
    }
    async fn stakeholders(&self, ctx: &Context<'_>) -> Result<Vec<Stakeholder>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(StakeholdersOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Stakeholder)
            .collect())
    }
    /// The change requests linked to the release, oldest first; their schedules
    /// follow its planned window.
    async fn changes(&self, ctx: &Context<'_>) -> Result<Vec<Change>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(ChangesOf(self.0.id)).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Change).collect())
    }
    /// What the release rolls out, package by package.
    async fn packages(&self, ctx: &Context<'_>) -> Result<Vec<Package>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(PackagesOf(self.0.id)).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Package).collect())
    }
    /// What the planned window runs into: approved or running releases you may
    /// see on one of this release's configuration items in an overlapping
    /// window, freezes it overlaps, and items whose maintenance windows it lies
    /// outside. Only a `blocking` one (a HARD freeze) refuses anything.
    async fn conflicts(&self, ctx: &Context<'_>) -> Result<Vec<Conflict>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(ConflictsOf(self.0.clone())).await.gql()?;
        Ok(rows.unwrap_or_default())
    }
    /// Budget, running and final cost, and the variance.
    async fn cost(&self, ctx: &Context<'_>) -> Result<crate::graphql::cost::ReleaseCost> {
        let app = ctx.data::<crate::context::AppContext>()?;
        Ok(crate::graphql::cost::ReleaseCost::of(
            &self.0,
            &app.settings.costs.currency,
        ))
    }
    /// The cost ledger of the release (its milestones' lines included), oldest first.
    async fn cost_lines(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::cost::CostLine>> {
        crate::graphql::cost::lines_of(ctx, self.0.id).await
    }
    /// The Review Board's approval requests about the release and its
    /// milestones, oldest first.
    async fn approvals(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::approval::Approval>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader
            .load_one(crate::graphql::loaders::ApprovalsOf(self.0.id))
            .await
            .gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::approval::Approval)
            .collect())
    }
    /// Every change to the release, its milestones and the changes linked to
    /// it, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ReleaseEvent>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(HistoryOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ReleaseEvent)
            .collect())
    }
    /// The `transitionRelease` actions that would succeed now, for the caller:
    /// allowed by the lifecycle and by the caller's roles.
    async fn available_actions(&self, ctx: &Context<'_>) -> Result<Vec<ReleaseAction>> {
        let viewer = viewer(ctx)?;
        let loader = ctx.data::<RequestLoader>()?;
        let actions = loader
            .load_one(ReleaseActionsOf(self.0.clone()))
            .await
            .gql()?;
        Ok(actions
            .unwrap_or_default()
            .into_iter()
            .filter(|action| viewer.actor().may_move(*action, self.0.status).is_ok())
            .collect())
    }
}
