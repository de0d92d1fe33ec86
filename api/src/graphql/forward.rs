//! `schedule(from, to, filter)`: the forward schedule in one list, for a
//! calendar view.

use super::change::Change;
use super::error::{parse_id, GqlResultExt};
use super::guard;
use super::release::Release;
use super::schedule::ScheduleOccurrence;
use crate::context::AppContext;
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::entity::{ReleaseStatus, ReleaseType, WindowKind};
use entities::schedule::forward::{self, Entry, ScheduleFilter as Filter};
use entities::schedule::slots;

/// What a [`ScheduleEntry`] is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleEntryKind {
    Release,
    Change,
    Freeze,
    Maintenance,
}

/// One thing on the schedule, by its planned (or occurring) window.
pub struct ScheduleEntry(Entry);

#[Object]
impl ScheduleEntry {
    async fn kind(&self) -> ScheduleEntryKind {
        match &self.0 {
            Entry::Release(_) => ScheduleEntryKind::Release,
            Entry::Change(_) => ScheduleEntryKind::Change,
            Entry::Window(o) if o.window.kind == WindowKind::Freeze => ScheduleEntryKind::Freeze,
            Entry::Window(_) => ScheduleEntryKind::Maintenance,
        }
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at().unwrap_or_default()
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at().unwrap_or_default()
    }
    async fn title(&self) -> &str {
        match &self.0 {
            Entry::Release(r) => &r.title,
            Entry::Change(c) => &c.title,
            Entry::Window(o) => &o.window.title,
        }
    }
    /// RELEASE: the release or phase; its `actualStart` and `actualEnd` say
    /// when it really ran.
    async fn release(&self) -> Option<Release> {
        match &self.0 {
            Entry::Release(r) => Some(Release(r.clone())),
            _ => None,
        }
    }
    /// CHANGE: the change request, linked to a release on the schedule.
    async fn change(&self) -> Option<Change> {
        match &self.0 {
            Entry::Change(c) => Some(Change(c.clone())),
            _ => None,
        }
    }
    /// FREEZE and MAINTENANCE: the occurrence and its window.
    async fn occurrence(&self) -> Option<ScheduleOccurrence> {
        match &self.0 {
            Entry::Window(o) => Some(ScheduleOccurrence(o.clone())),
            _ => None,
        }
    }
}

/// What `schedule` shows.
#[derive(InputObject)]
pub struct ScheduleFilter {
    #[graphql(default)]
    pub types: Vec<ReleaseType>,
    #[graphql(default)]
    pub statuses: Vec<ReleaseStatus>,
    /// Only releases packaging this item, and windows covering it.
    pub item_id: Option<ID>,
    /// The changes linked to the releases shown.
    #[graphql(default = true)]
    pub changes: bool,
    /// Freeze and maintenance occurrences.
    #[graphql(default = true)]
    pub windows: bool,
}

/// A slot a release fits in.
#[derive(SimpleObject)]
pub struct FreeWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct ForwardQuery;

#[Object]
impl ForwardQuery {
    /// Releases and phases you may see planned in `[from, to)` (at most 800
    /// days, at most 2,000 releases), the changes linked to them, and the
    /// freeze and maintenance occurrences, in one list by start.
    async fn schedule(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: Option<ScheduleFilter>,
    ) -> Result<Vec<ScheduleEntry>> {
        let viewer = guard::viewer(ctx)?;
        let filter = match filter {
            None => Filter::default(),
            Some(f) => Filter {
                types: f.types,
                statuses: f.statuses,
                item_id: f
                    .item_id
                    .as_ref()
                    .map(|id| parse_id(id, "filter.itemId"))
                    .transpose()?,
                changes: f.changes,
                windows: f.windows,
            },
        };
        let app = ctx.data::<AppContext>()?;
        Ok(
            forward::between(&app.db, from, to, &filter, viewer.visibility())
                .await
                .gql()?
                .into_iter()
                .map(ScheduleEntry)
                .collect(),
        )
    }

    /// The earliest slot of the release's planned length starting in
    /// `[after, after + withinDays]` (at most 366 days) that no hard freeze
    /// over its items and no other approved or running release on them
    /// overlaps, inside a maintenance occurrence of each item that has some
    /// in that range; `null` when there is none. `withinDays` is 90 when
    /// null or omitted.
    async fn next_free_window(
        &self,
        ctx: &Context<'_>,
        release_id: ID,
        after: DateTime<Utc>,
        within_days: Option<i32>,
    ) -> Result<Option<FreeWindow>> {
        let viewer = guard::viewer(ctx)?;
        let release_id = parse_id(&release_id, "releaseId")?;
        let app = ctx.data::<AppContext>()?;
        Ok(slots::next_free_window(
            &app.db,
            release_id,
            after,
            within_days.unwrap_or(90),
            viewer.visibility(),
        )
        .await
        .gql()?
        .map(|(starts_at, ends_at)| FreeWindow { starts_at, ends_at }))
    }
}
