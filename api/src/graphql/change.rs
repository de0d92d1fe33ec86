//! Change requests: the object, reading them, and the mutations that create,
//! edit, link and unlink them. Linked changes follow their release's window.

use super::error::{internal, list_limit, parse_id, GqlResultExt};
use super::guard;
use super::history::ReleaseEvent;
use super::loaders::{HistoryOfChange, ItemsOfChange, PersonById, ReleaseById};
use super::package::ConfigurationItem;
use super::people::Person;
use super::release::Release;
use super::write::write;
use super::{patch, RequestLoader};
use crate::context::AppContext;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::changes::{self, ChangeEdits, NewChange};
use entities::entity::{change_request, ChangeRisk, ChangeState};
use entities::policy::Capability;

/// Most changes one `changes` call returns.
const MAX_CHANGES: i32 = 100;

/// A change request from change management.
pub struct Change(pub change_request::Model);

#[Object]
impl Change {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `CHG-` and six digits, unique.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn state(&self) -> ChangeState {
        self.0.state
    }
    async fn risk(&self) -> ChangeRisk {
        self.0.risk
    }
    /// While linked, the release's planned start.
    async fn scheduled_start(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_start
    }
    /// While linked, the release's planned end.
    async fn scheduled_end(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_end
    }
    /// True while linked: the schedule follows the release and is read only.
    async fn schedule_driven_by_release(&self) -> bool {
        self.0.release_id.is_some()
    }
    async fn requester(&self, ctx: &Context<'_>) -> Result<Person> {
        ctx.data::<RequestLoader>()?
            .load_one(PersonById(self.0.requester_id))
            .await
            .gql()?
            .map(Person)
            .ok_or_else(|| internal("requester is missing"))
    }
    /// The release (or phase) the change is linked to; `null` when unlinked or hidden.
    async fn release(&self, ctx: &Context<'_>) -> Result<Option<Release>> {
        let Some(release_id) = self.0.release_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<RequestLoader>()?
            .load_one(ReleaseById(release_id))
            .await
            .gql()?
            .map(Release))
    }
    /// The configuration items the change touches, by id.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<ConfigurationItem>> {
        let rows = ctx
            .data::<RequestLoader>()?
            .load_one(ItemsOfChange(self.0.id))
            .await
            .gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ConfigurationItem)
            .collect())
    }
    /// What happened to the change, oldest first, linked or not; a release
    /// the caller may not see is named "another release".
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ReleaseEvent>> {
        let rows = ctx
            .data::<RequestLoader>()?
            .load_one(HistoryOfChange(self.0.id))
            .await
            .gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ReleaseEvent)
            .collect())
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Pass this as `expectedVersion` to `updateChange`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// One change; `null` with a `NOT_FOUND` error when there is none.
    async fn change(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Change>> {
        guard::require(ctx, Capability::ManageChanges)?;
        let app = ctx.data::<AppContext>()?;
        let id = parse_id(&id, "id")?;
        let viewer = guard::viewer(ctx)?;
        Ok(Some(Change(
            changes::find_visible(&app.db, &viewer.actor(), id)
                .await
                .gql()?,
        )))
    }

    /// Changes, newest first (at most 100), optionally only those linked to a release.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        release_id: Option<ID>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<Change>> {
        guard::require(ctx, Capability::ManageChanges)?;
        let limit = list_limit(first, MAX_CHANGES)?;
        let release_id = release_id
            .as_ref()
            .map(|id| parse_id(id, "releaseId"))
            .transpose()?;
        let app = ctx.data::<AppContext>()?;
        let viewer = guard::viewer(ctx)?;
        let rows = changes::list(&app.db, &viewer.actor(), release_id, limit)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Change).collect())
    }
}

/// Input of `createChange`.
#[derive(InputObject)]
pub struct CreateChangeInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    pub risk: ChangeRisk,
    pub requester_id: ID,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub scheduled_end: Option<DateTime<Utc>>,
}

/// Input of `updateChange`; omitted fields stay, `null` clears a date. Dates of a
/// linked change are read only (`SCHEDULE_READ_ONLY`).
#[derive(InputObject, Default)]
pub struct UpdateChangeInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub state: Option<ChangeState>,
    pub risk: Option<ChangeRisk>,
    pub scheduled_start: MaybeUndefined<DateTime<Utc>>,
    pub scheduled_end: MaybeUndefined<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ChangeMutation;

#[Object]
impl ChangeMutation {
    /// Records a change request in state NEW.
    async fn create_change(&self, ctx: &Context<'_>, input: CreateChangeInput) -> Result<Change> {
        let new = NewChange {
            title: input.title,
            description: input.description,
            risk: input.risk,
            requester_id: parse_id(&input.requester_id, "requesterId")?,
            scheduled_start: input.scheduled_start,
            scheduled_end: input.scheduled_end,
        };
        write(ctx, async |tx| changes::create(tx, new).await)
            .await
            .map(Change)
    }

    /// Edits a change read at `expectedVersion`.
    async fn update_change(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateChangeInput,
        expected_version: i32,
    ) -> Result<Change> {
        let id = parse_id(&id, "id")?;
        let edits = ChangeEdits {
            title: input.title,
            description: input.description,
            state: input.state,
            risk: input.risk,
            scheduled_start: patch(input.scheduled_start),
            scheduled_end: patch(input.scheduled_end),
        };
        write(ctx, async |tx| {
            changes::update(tx, id, edits, expected_version).await
        })
        .await
        .map(Change)
    }

    /// Links a change to a release or phase; its schedule becomes the release's window.
    async fn link_change(&self, ctx: &Context<'_>, id: ID, release_id: ID) -> Result<Change> {
        let id = parse_id(&id, "id")?;
        let release_id = parse_id(&release_id, "releaseId")?;
        write(ctx, async |tx| changes::link(tx, id, release_id).await)
            .await
            .map(Change)
    }

    /// Unlinks a change; it keeps its dates, which become editable again.
    async fn unlink_change(&self, ctx: &Context<'_>, id: ID) -> Result<Change> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| changes::unlink(tx, id).await)
            .await
            .map(Change)
    }
}
