//! Creating, editing and moving releases.

use super::Release;
use crate::graphql::error::{parse_id, validation};
use crate::graphql::patch;
use crate::graphql::write::write;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{ReleaseScope, ReleaseType, ReviewOutcome};
use entities::lifecycle::release::ReleaseAction;
use entities::releases::{self, NewRelease, ReleaseChanges, TemplateChoice};
use entities::schedule::freeze::FreezeOverride;
use entities::workflow;

/// Input of `createRelease`.
#[derive(InputObject)]
pub struct CreateReleaseInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(name = "type")]
    pub release_type: ReleaseType,
    #[graphql(default_with = "ReleaseScope::Standalone")]
    pub scope: ReleaseScope,
    /// Required for a PHASE, forbidden otherwise.
    pub master_id: Option<ID>,
    /// The owner; you, when omitted.
    pub owner_id: Option<ID>,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    /// Create the milestones from this template.
    pub template_id: Option<ID>,
    /// `false` creates no template milestones; by default MAJOR releases use the default template.
    pub use_template: Option<bool>,
}

/// Input of `updateRelease`; omitted fields stay as they are, `null` clears a date.
#[derive(InputObject, Default)]
pub struct UpdateReleaseInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<ID>,
    pub planned_start: MaybeUndefined<DateTime<Utc>>,
    pub planned_end: MaybeUndefined<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ReleaseMutation;

#[Object]
impl ReleaseMutation {
    /// Creates a DRAFT release; MAJOR releases get the default template's milestones
    /// unless `useTemplate: false`.
    async fn create_release(
        &self,
        ctx: &Context<'_>,
        input: CreateReleaseInput,
    ) -> Result<Release> {
        let template = match (input.template_id, input.use_template) {
            (Some(_), Some(false)) => {
                return Err(validation(
                    "useTemplate",
                    "templateId and useTemplate: false contradict each other",
                ))
            }
            (Some(id), _) => TemplateChoice::Template(parse_id(&id, "templateId")?),
            (None, Some(false)) => TemplateChoice::None,
            (None, _) => TemplateChoice::Default,
        };
        let new = NewRelease {
            title: input.title,
            description: input.description,
            release_type: input.release_type,
            scope: input.scope,
            master_id: input
                .master_id
                .as_ref()
                .map(|id| parse_id(id, "masterId"))
                .transpose()?,
            owner_id: input
                .owner_id
                .as_ref()
                .map(|id| parse_id(id, "ownerId"))
                .transpose()?,
            planned_start: input.planned_start,
            planned_end: input.planned_end,
            template,
        };
        write(ctx, async |tx| releases::create(tx, new).await)
            .await
            .map(Release)
    }

    /// Edits a release read at `expectedVersion`; a stale version fails with `CONFLICT`.
    /// An approved or running release moved into a hard freeze fails with
    /// `FREEZE_CONFLICT` unless a release manager sets `overrideFreeze` and
    /// gives a `reason`; the override is kept in the release's history.
    async fn update_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateReleaseInput,
        expected_version: i32,
        override_freeze: Option<bool>,
        reason: Option<String>,
    ) -> Result<Release> {
        let changes = ReleaseChanges {
            title: input.title,
            description: input.description,
            owner_id: input
                .owner_id
                .as_ref()
                .map(|id| parse_id(id, "ownerId"))
                .transpose()?,
            planned_start: patch(input.planned_start),
            planned_end: patch(input.planned_end),
        };
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            let overridden =
                FreezeOverride::requested(tx, override_freeze == Some(true), reason.as_deref())?;
            workflow::update_release(tx, id, changes, expected_version, overridden).await
        })
        .await
        .map(Release)
    }

    /// Moves a release through its lifecycle; REJECT and CANCEL need a `reason`.
    /// A refused action fails with `INVALID_TRANSITION` and lists the allowed ones.
    /// APPROVE and START inside a hard freeze fail with `FREEZE_CONFLICT`
    /// naming it, unless a release manager sets `overrideFreeze` with a `reason`.
    async fn transition_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        action: ReleaseAction,
        reason: Option<String>,
        override_freeze: Option<bool>,
    ) -> Result<Release> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            let overridden =
                FreezeOverride::requested(tx, override_freeze == Some(true), reason.as_deref())?;
            workflow::transition_release(tx, id, action, reason, overridden).await
        })
        .await
        .map(Release)
    }

    /// Records the review of a release in REVIEW; needed before CLOSE.
    async fn record_release_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        outcome: ReviewOutcome,
        lessons_learned: String,
    ) -> Result<Release> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            releases::record_review(tx, id, outcome, lessons_learned).await
        })
        .await
        .map(Release)
    }
}
