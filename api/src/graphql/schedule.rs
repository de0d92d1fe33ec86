//! Schedule windows: change freezes and maintenance windows as GraphQL
//! objects, their occurrences in a range, and the mutations that manage them.

use super::error::{parse_id, GqlResultExt};
use super::guard;
use super::loaders::ItemsOfWindow;
use super::package::{parse_ids, ConfigurationItem};
use super::write::write;
use super::{patch, RequestLoader};
use crate::context::AppContext;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{schedule_window, Enforcement, WindowKind};
use entities::schedule::{self, NewWindow, WindowEdits};

/// A change freeze or a maintenance window, once or recurring.
pub struct ScheduleWindow(pub schedule_window::Model);

#[Object]
impl ScheduleWindow {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> WindowKind {
        self.0.kind
    }
    /// HARD freezes refuse; SOFT ones and maintenance windows only warn.
    async fn enforcement(&self) -> Enforcement {
        self.0.enforcement
    }
    /// The start of the first occurrence.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// The end of the first occurrence.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// The RRULE repeating the first occurrence in `timeZone`; null when it
    /// happens once.
    async fn recurrence(&self) -> Option<&str> {
        self.0.recurrence.as_deref()
    }
    /// The end of the last occurrence of a recurring window.
    async fn recurs_until(&self) -> Option<DateTime<Utc>> {
        self.0.recurs_until
    }
    /// IANA name; every occurrence keeps the first one's local clock hours.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The items it covers, by name; none means every item.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<ConfigurationItem>> {
        let rows = ctx
            .data::<RequestLoader>()?
            .load_one(ItemsOfWindow(self.0.id))
            .await
            .gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ConfigurationItem)
            .collect())
    }
    /// Set once cancelled: a cancelled window no longer occurs.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Pass this as `expectedVersion` to `updateScheduleWindow`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// One occurrence of a window.
pub struct ScheduleOccurrence(pub schedule::Occurrence);

#[Object]
impl ScheduleOccurrence {
    async fn window(&self) -> ScheduleWindow {
        ScheduleWindow(self.0.window.clone())
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
}

#[derive(Default)]
pub struct ScheduleQuery;

#[Object]
impl ScheduleQuery {
    /// The occurrences of windows that are not cancelled and overlap
    /// `[from, to)` (at most 800 days), by start; with `itemId`, those
    /// covering that item, windows without items included. Everyone may read
    /// them.
    async fn schedule_windows(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        item_id: Option<ID>,
    ) -> Result<Vec<ScheduleOccurrence>> {
        guard::viewer(ctx)?;
        let item_id = item_id
            .as_ref()
            .map(|id| parse_id(id, "itemId"))
            .transpose()?;
        let app = ctx.data::<AppContext>()?;
        Ok(schedule::occurrences_between(&app.db, from, to, item_id)
            .await
            .gql()?
            .into_iter()
            .map(ScheduleOccurrence)
            .collect())
    }

    /// One window, cancelled or not; `null` with a `NOT_FOUND` error when
    /// there is none.
    async fn schedule_window(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ScheduleWindow>> {
        guard::viewer(ctx)?;
        let id = parse_id(&id, "id")?;
        let app = ctx.data::<AppContext>()?;
        Ok(Some(ScheduleWindow(
            schedule::find(&app.db, id).await.gql()?,
        )))
    }
}

/// Input of `createScheduleWindow`.
#[derive(InputObject)]
pub struct CreateScheduleWindowInput {
    pub title: String,
    pub kind: WindowKind,
    /// HARD by default.
    #[graphql(default_with = "Enforcement::Hard")]
    pub enforcement: Enforcement,
    /// The first occurrence, up to 366 days long.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// An RRULE repeating the first occurrence (at most daily, with COUNT or
    /// an UNTIL within ten years), such as `FREQ=WEEKLY;BYDAY=FR;COUNT=52`.
    pub recurrence: Option<String>,
    /// IANA name, such as `Europe/Berlin`; UTC by default.
    #[graphql(default_with = "String::from(\"UTC\")")]
    pub time_zone: String,
    /// The configuration items covered; none covers every item.
    #[graphql(default)]
    pub item_ids: Vec<ID>,
    pub reason: String,
}

/// Input of `updateScheduleWindow`: omitted fields stay; `recurrence: null`
/// makes the window happen once.
#[derive(InputObject)]
pub struct UpdateScheduleWindowInput {
    pub title: Option<String>,
    pub enforcement: Option<Enforcement>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub recurrence: MaybeUndefined<String>,
    pub time_zone: Option<String>,
    pub item_ids: Option<Vec<ID>>,
    pub reason: Option<String>,
}

#[derive(Default)]
pub struct ScheduleMutation;

#[Object]
impl ScheduleMutation {
    /// Records a change freeze or maintenance window. Release managers and
    /// administrators.
    async fn create_schedule_window(
        &self,
        ctx: &Context<'_>,
        input: CreateScheduleWindowInput,
    ) -> Result<ScheduleWindow> {
        let new = NewWindow {
            title: input.title,
            kind: input.kind,
            enforcement: input.enforcement,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            recurrence: input.recurrence,
            time_zone: input.time_zone,
            item_ids: parse_ids(&input.item_ids, "itemIds")?,
            reason: input.reason,
        };
        write(ctx, async |tx| schedule::create(tx, new).await)
            .await
            .map(ScheduleWindow)
    }

    /// Edits a window; `CONFLICT` when it changed since `expectedVersion`.
    /// Release managers and administrators.
    async fn update_schedule_window(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateScheduleWindowInput,
        expected_version: i32,
    ) -> Result<ScheduleWindow> {
        let id = parse_id(&id, "id")?;
        let edits = WindowEdits {
            title: input.title,
            enforcement: input.enforcement,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            recurrence: patch(input.recurrence),
            time_zone: input.time_zone,
            item_ids: input
                .item_ids
                .as_deref()
                .map(|ids| parse_ids(ids, "itemIds"))
                .transpose()?,
            reason: input.reason,
        };
        write(ctx, async |tx| {
            schedule::update(tx, id, expected_version, edits).await
        })
        .await
        .map(ScheduleWindow)
    }

    /// Cancels a window: it no longer occurs. Release managers and
    /// administrators.
    async fn cancel_schedule_window(&self, ctx: &Context<'_>, id: ID) -> Result<ScheduleWindow> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| schedule::cancel(tx, id).await)
            .await
            .map(ScheduleWindow)
    }
}
