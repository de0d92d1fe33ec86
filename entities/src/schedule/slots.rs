//! `nextFreeWindow`: the earliest slot of a release's planned length with no
//! hard conflict. A slot is free when no hard freeze over the release's items
//! (or every item) and no other approved or running release on one of them
//! overlaps it, and, for each item that has maintenance windows, one of its
//! occurrences holds the whole slot. The earliest free slot starts at `after`,
//! at the end of something busy, or at the start of a maintenance occurrence,
//! so only those starts are tried: a sweep over the fetched intervals, not a
//! walk over days.

use super::{expand, items_of_windows, windows_covering, Items, Scope};
use crate::entity::{release, schedule_window, Enforcement, WindowKind};
use crate::releases::list::{self, Visibility};
use crate::{packages, validate, DomainError, DomainResult};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap};

/// A stretch of time, start before end.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// The widest search, in days.
pub const MAX_WITHIN_DAYS: i32 = 366;

/// The earliest free slot for release `release_id` starting in
/// `[after, after + within_days]`, or `None`; in at most seven queries.
pub async fn next_free_window<C: sea_orm::ConnectionTrait>(
    db: &C,
    release_id: i32,
    after: DateTime<Utc>,
    within_days: i32,
    visibility: Option<Visibility>,
) -> DomainResult<Option<Span>> {
    validate::instant("after", after)?;
    if !(1..=MAX_WITHIN_DAYS).contains(&within_days) {
        return Err(DomainError::validation(
            "withinDays",
            format!("withinDays is 1 to {MAX_WITHIN_DAYS}"),
        ));
    }
    let release = list::by_ids(db, &[release_id], visibility)
        .await?
        .remove(&release_id)
        .ok_or_else(|| DomainError::not_found("release", release_id))?;
    let Some((start, end)) = release.planned_window() else {
        return Err(DomainError::validation(
            "releaseId",
            "the release needs a planned start and end: its length is the slot's",
        ));
    };
    let length = end - start;
    let latest = after + Duration::days(i64::from(within_days));
    let horizon = latest + length;

    let items: Vec<i32> = packages::items_by_release(db, &[release.id])
        .await?
        .remove(&release.id)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let windows = windows_covering(
        db,
        after,
        horizon,
        Scope {
            items: Items::OfRelease(release.id),
            kind: None,
        },
    )
    .await?;
    let mut busy: Vec<Span> = expand(
        &windows
            .iter()
            .filter(|w| w.kind == WindowKind::Freeze && w.enforcement == Enforcement::Hard)
            .cloned()
            .collect::<Vec<_>>(),
        after,
        horizon,
    )?
    .into_iter()
    .map(|o| (o.starts_at, o.ends_at))
    .collect();
    busy.extend(busy_releases(db, &release, &items, after, horizon).await?);

    // the maintenance occurrences each constrained item must hold the slot in
    let maintenance: Vec<schedule_window::Model> = windows
        .into_iter()
        .filter(|w| w.kind == WindowKind::Maintenance)
        .collect();
    let covered =
        items_of_windows(db, &maintenance.iter().map(|w| w.id).collect::<Vec<_>>()).await?;
    let occurrences = expand(&maintenance, after, horizon)?;
    let subjects: Vec<Option<i32>> = if items.is_empty() {
        vec![None]
    } else {
        items.iter().copied().map(Some).collect()
    };
    let mut slots_of: HashMap<Option<i32>, Vec<Span>> = HashMap::new();
    for subject in &subjects {
        let applies = |w: &schedule_window::Model| match (covered.get(&w.id), subject) {
            (None, _) => true,
            (Some(list), Some(item)) => list.iter().any(|i| i.id == *item),
            (Some(_), None) => false,
        };
        if maintenance.iter().any(applies) {
            slots_of.insert(
                *subject,
                occurrences
                    .iter()
                    .filter(|o| applies(&o.window))
                    .map(|o| (o.starts_at, o.ends_at))
                    .collect(),
            );
        }
    }

    let candidates: BTreeSet<DateTime<Utc>> = std::iter::once(after)
        .chain(busy.iter().map(|b| b.1))
        .chain(slots_of.values().flatten().map(|s| s.0))
        .filter(|s| *s >= after && *s <= latest)
        .collect();
    Ok(candidates
        .into_iter()
        .map(|s| (s, s + length))
        .find(|&(s, e)| {
            busy.iter().all(|&(bs, be)| be <= s || bs >= e)
                && slots_of
                    .values()
                    .all(|slots| slots.iter().any(|&(ms, me)| ms <= s && me >= e))
        }))
}

/// The planned windows of the other approved or running releases on `items`
/// that overlap `[from, to)`.
async fn busy_releases<C: sea_orm::ConnectionTrait>(
    db: &C,
    release: &release::Model,
    items: &[i32],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Vec<Span>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<i32> = packages::releases_by_item(db, items)
        .await?
        .into_values()
        .flatten()
        .filter(|id| *id != release.id)
        .collect();
    Ok(release::Entity::find()
        .filter(release::Column::Id.is_in(ids))
        .filter(release::Column::Status.is_in(packages::COMMITTED))
        .filter(release::Column::PlannedStart.lt(to))
        .filter(release::Column::PlannedEnd.gt(from))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.planned_window())
        .collect())
}
