//! The forward schedule: releases and phases by planned window, the changes
//! linked to them, and freeze and maintenance occurrences, in one list by
//! start, as a calendar draws it. Releases follow the viewer's visibility;
//! windows are for everyone.

use super::{check_range, occurrences_covering, Occurrence, Scope};
use crate::entity::{change_request, release, ReleaseStatus, ReleaseType};
use crate::releases::list::{self, ReleaseFilter, Visibility};
use crate::{changes, packages, DomainError, DomainResult};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// Most releases one schedule shows.
pub const MAX_RELEASES: u64 = 2_000;

/// What a schedule shows: releases of these types and statuses (empty is
/// all), touching `item_id` when given; their linked changes when
/// `changes`; windows (over that item, when given) when `windows`.
#[derive(Debug, Clone)]
pub struct ScheduleFilter {
    pub types: Vec<ReleaseType>,
    pub statuses: Vec<ReleaseStatus>,
    pub item_id: Option<i32>,
    pub changes: bool,
    pub windows: bool,
}

impl Default for ScheduleFilter {
    fn default() -> Self {
        Self {
            types: Vec::new(),
            statuses: Vec::new(),
            item_id: None,
            changes: true,
            windows: true,
        }
    }
}

/// One thing on the schedule.
#[derive(Debug, Clone)]
pub enum Entry {
    Release(release::Model),
    Change(change_request::Model),
    Window(Occurrence),
}

impl Entry {
    /// Where it starts: a release's or change's planned start, a window's occurrence.
    pub fn starts_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Entry::Release(r) => r.planned_start,
            Entry::Change(c) => c.scheduled_start,
            Entry::Window(o) => Some(o.starts_at),
        }
    }

    /// Where it ends.
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Entry::Release(r) => r.planned_end,
            Entry::Change(c) => c.scheduled_end,
            Entry::Window(o) => Some(o.ends_at),
        }
    }
}

/// The schedule of `[from, to)` (at most 800 days) as `visibility` sees it,
/// by start; in at most five queries.
pub async fn between<C: sea_orm::ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &ScheduleFilter,
    visibility: Option<Visibility>,
) -> DomainResult<Vec<Entry>> {
    check_range(from, to)?;
    let mut releases = list::by_planned_start(
        db,
        &ReleaseFilter {
            types: filter.types.clone(),
            statuses: filter.statuses.clone(),
            planned_between: Some((from, to)),
            visible_to: visibility,
            ..Default::default()
        },
        MAX_RELEASES + 1,
    )
    .await?;
    if releases.len() as u64 > MAX_RELEASES {
        return Err(DomainError::validation(
            "to",
            format!("more than {MAX_RELEASES} releases: ask for a shorter range or filter"),
        ));
    }
    // the window filter keeps `to` inclusive; the schedule is half-open
    releases.retain(|r| r.planned_start.is_some_and(|s| s < to));
    if let Some(item_id) = filter.item_id {
        let ids: Vec<i32> = releases.iter().map(|r| r.id).collect();
        let touching: BTreeSet<i32> = packages::items_by_release(db, &ids)
            .await?
            .into_iter()
            .filter(|(_, items)| items.contains(&item_id))
            .map(|(id, _)| id)
            .collect();
        releases.retain(|r| touching.contains(&r.id));
    }
    let mut entries: Vec<Entry> = Vec::new();
    if filter.changes && !releases.is_empty() {
        let ids: Vec<i32> = releases.iter().map(|r| r.id).collect();
        for change in changes::for_releases(db, &ids)
            .await?
            .into_values()
            .flatten()
        {
            if let (Some(s), Some(e)) = (change.scheduled_start, change.scheduled_end) {
                if s < to && e > from {
                    entries.push(Entry::Change(change));
                }
            }
        }
    }
    entries.extend(releases.into_iter().map(Entry::Release));
    if filter.windows {
        let items = filter.item_id.map(|id| vec![id]);
        let scope = Scope::of(items.as_deref(), None);
        entries.extend(
            occurrences_covering(db, from, to, scope)
                .await?
                .into_iter()
                .map(Entry::Window),
        );
    }
    entries.sort_by_key(|e| (e.starts_at(), rank(e)));
    Ok(entries)
}

/// Windows first, then releases, then changes, on the same start.
fn rank(entry: &Entry) -> (u8, i32) {
    match entry {
        Entry::Window(o) => (0, o.window.id),
        Entry::Release(r) => (1, r.id),
        Entry::Change(c) => (2, c.id),
    }
}
