//! What the forward schedule says about a release. A HARD freeze over an item
//! the release packages (or over every item) holds it: it is not approved,
//! started or moved into the freeze unless a release manager overrides with a
//! reason. SOFT freezes, and releases outside their items' maintenance
//! windows, are warnings the release shows as conflicts.

use super::{expand, items_of_windows, lock, windows_covering, Items, Occurrence, Scope};
use crate::entity::{configuration_item, release, schedule_window, EventKind};
use crate::entity::{Enforcement, ReleaseStatus, WindowKind};
use crate::policy::Capability;
use crate::{packages, validate, DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap};

/// A release manager's decision to go ahead inside a hard freeze, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeOverride {
    pub reason: String,
}

impl FreezeOverride {
    /// The override a caller asks for, if any: only release managers and
    /// administrators may, and only with a reason.
    pub fn requested(
        tx: &Tx,
        override_freeze: bool,
        reason: Option<&str>,
    ) -> DomainResult<Option<Self>> {
        if !override_freeze {
            return Ok(None);
        }
        tx.stamp()
            .actor
            .require(Capability::RunReleases)
            .map_err(|_| {
                DomainError::Forbidden(
                    "only release managers and administrators override a freeze".into(),
                )
            })?;
        let reason =
            validate::optional_note("reason", reason.map(str::to_owned))?.ok_or_else(|| {
                DomainError::validation("reason", "give a reason to override a freeze")
            })?;
        Ok(Some(Self { reason }))
    }
}

/// A hard freeze occurrence in the way of a release, as an error names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    pub window_id: i32,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl From<&Occurrence> for Frozen {
    fn from(o: &Occurrence) -> Self {
        Self {
            window_id: o.window.id,
            title: o.window.title.clone(),
            starts_at: o.starts_at,
            ends_at: o.ends_at,
        }
    }
}

/// The hard freeze occurrences over release `release_id` that overlap `span`
/// or, with `at`, contain that instant: one per window, the earliest.
/// Takes the schedule lock shared first, so a freeze being written is either
/// seen or waits for this unit of work.
pub(crate) async fn hard_freezes_over(
    tx: &Tx,
    release_id: i32,
    span: (DateTime<Utc>, DateTime<Utc>),
    at: Option<DateTime<Utc>>,
) -> DomainResult<Vec<Frozen>> {
    lock::shared(tx).await?;
    let (from, to) = match at {
        Some(at) => (
            Ord::min(span.0, at),
            Ord::max(span.1, at + Duration::seconds(1)),
        ),
        None => span,
    };
    let scope = Scope {
        items: Items::OfRelease(release_id),
        kind: Some(WindowKind::Freeze),
    };
    let hard: Vec<schedule_window::Model> = windows_covering(tx.db(), from, to, scope)
        .await?
        .into_iter()
        .filter(|w| w.enforcement == Enforcement::Hard)
        .collect();
    let mut seen = BTreeSet::new();
    Ok(expand(&hard, from, to)?
        .iter()
        .filter(|o| {
            (o.starts_at < span.1 && o.ends_at > span.0)
                || at.is_some_and(|at| o.starts_at <= at && at < o.ends_at)
        })
        .filter(|o| seen.insert(o.window.id))
        .map(Frozen::from)
        .collect())
}

/// Lets `action` on `release` go ahead past `frozen` only when `overridden`,
/// and records the override on the release; refuses with `FREEZE_CONFLICT`
/// otherwise.
pub(crate) fn enforce(
    tx: &mut Tx,
    release: &release::Model,
    action: &str,
    frozen: Vec<Frozen>,
    overridden: Option<&FreezeOverride>,
) -> DomainResult<()> {
    if frozen.is_empty() {
        return Ok(());
    }
    let Some(overridden) = overridden else {
        return Err(DomainError::freeze_conflict(release.id, action, frozen));
    };
    tx.record(
        Subject::Release(release.id),
        [Event::change(
            EventKind::FreezeOverridden,
            "freeze",
            None,
            Some(names(&frozen)),
        )
        .with_note(Some(format!("{action}: {}", overridden.reason)))],
    );
    Ok(())
}

/// Records that the board's approval of `release` waits for a release
/// manager because of `frozen`: the release stays REQUESTED.
pub(crate) fn hold_verdict(tx: &mut Tx, release: &release::Model, frozen: &[Frozen]) {
    tx.record(
        Subject::Release(release.id),
        [Event::change(
            EventKind::FreezeHeld,
            "freeze",
            None,
            Some(names(frozen)),
        )
        .with_note(Some(format!(
            "FREEZE_CONFLICT: the board approved, and the release stays REQUESTED inside {}; \
             a release manager approves it once its window is clear, or overrides the freeze with a reason",
            names(frozen)
        )))],
    );
}

/// "#3 Friday freeze (2027-03-19T15:00:00+00:00 – …)", for each.
pub(crate) fn names(frozen: &[Frozen]) -> String {
    frozen
        .iter()
        .map(|f| {
            format!(
                "#{} {} ({} – {})",
                f.window_id,
                f.title,
                f.starts_at.to_rfc3339(),
                f.ends_at.to_rfc3339()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a release in `status` is held to freezes when its window moves:
/// once approved, until it ends.
pub(crate) fn holds_moves(status: ReleaseStatus) -> bool {
    packages::COMMITTED.contains(&status)
}

/// What a window says about a release: a freeze it overlaps, or an item
/// whose maintenance windows it lies outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowConflict {
    pub kind: WindowConflictKind,
    pub window: schedule_window::Model,
    /// The freeze occurrence overlapped; none for OUTSIDE_MAINTENANCE.
    pub occurrence: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The item concerned; none for a window over every item that the
    /// release meets without packaging that item.
    pub item: Option<configuration_item::Model>,
}

/// The kinds of [`WindowConflict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowConflictKind {
    Freeze,
    OutsideMaintenance,
}

/// How far ahead a maintenance window still counts as one of an item's.
const MAINTENANCE_HORIZON_DAYS: i64 = 366 * 10;

/// For each open release of `releases` with a planned window, the freezes it
/// overlaps (one per window, naming the first occurrence) and the items whose
/// maintenance windows do not hold its whole window; in five queries.
pub async fn conflicts_for<C: sea_orm::ConnectionTrait>(
    db: &C,
    releases: &[release::Model],
) -> DomainResult<HashMap<i32, Vec<WindowConflict>>> {
    let planned: Vec<(&release::Model, DateTime<Utc>, DateTime<Utc>)> = releases
        .iter()
        .filter(|r| r.status.is_open())
        .filter_map(|r| Some((r, r.planned_start?, r.planned_end?)))
        .collect();
    let (Some(from), Some(to)) = (
        planned.iter().map(|p| p.1).min(),
        planned.iter().map(|p| p.2).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let ids: Vec<i32> = planned.iter().map(|p| p.0.id).collect();
    let own = packages::items_by_release(db, &ids).await?;
    let all_items: Vec<i32> = own
        .values()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scope = Scope {
        items: Items::Ids(&all_items),
        kind: None,
    };
    let horizon = to + Duration::days(MAINTENANCE_HORIZON_DAYS);
    let windows: Vec<schedule_window::Model> = windows_covering(db, from, horizon, scope)
        .await?
        .into_iter()
        .filter(|w| w.kind == WindowKind::Maintenance || w.starts_at < to)
        .collect();
    if windows.is_empty() {
        return Ok(HashMap::new());
    }
    let window_ids: Vec<i32> = windows.iter().map(|w| w.id).collect();
    let covered = items_of_windows(db, &window_ids).await?;
    let items = packages::items_by_ids(db, &all_items).await?;
    let occurrences = expand(&windows, from, to)?;
    let mut result = HashMap::new();
    for (release, start, end) in planned {
        let mine = own.get(&release.id).cloned().unwrap_or_default();
        // the first item of the release a window covers; none for a global window
        let item_of = |window: &schedule_window::Model| -> Option<Option<i32>> {
            match covered.get(&window.id) {
                None => Some(None),
                Some(list) => list
                    .iter()
                    .find(|i| mine.contains(&i.id))
                    .map(|i| Some(i.id)),
            }
        };
        let mut found = Vec::new();
        let mut seen = BTreeSet::new();
        for o in &occurrences {
            if o.window.kind != WindowKind::Freeze || o.starts_at >= end || o.ends_at <= start {
                continue;
            }
            let Some(item) = item_of(&o.window) else {
                continue;
            };
            if seen.insert(o.window.id) {
                found.push(WindowConflict {
                    kind: WindowConflictKind::Freeze,
                    window: o.window.clone(),
                    occurrence: Some((o.starts_at, o.ends_at)),
                    item: item.and_then(|id| items.get(&id).cloned()),
                });
            }
        }
        // each item (or, with none, the release itself) that has maintenance
        // windows needs one occurrence holding the whole planned window
        let subjects: Vec<Option<i32>> = if mine.is_empty() {
            vec![None]
        } else {
            mine.iter().map(|i| Some(*i)).collect()
        };
        for subject in subjects {
            let applies = |w: &schedule_window::Model| match (covered.get(&w.id), subject) {
                (None, _) => true,
                (Some(list), Some(item)) => list.iter().any(|i| i.id == item),
                (Some(_), None) => false,
            };
            let Some(first) = windows
                .iter()
                .find(|w| w.kind == WindowKind::Maintenance && applies(w))
            else {
                continue;
            };
            let inside = occurrences.iter().any(|o| {
                o.window.kind == WindowKind::Maintenance
                    && applies(&o.window)
                    && o.starts_at <= start
                    && o.ends_at >= end
            });
            if !inside {
                found.push(WindowConflict {
                    kind: WindowConflictKind::OutsideMaintenance,
                    window: first.clone(),
                    occurrence: None,
                    item: subject.and_then(|id| items.get(&id).cloned()),
                });
            }
        }
        result.insert(release.id, found);
    }
    Ok(result)
}

/// Tells the owner of each approved or running release that freeze `window`
/// now overlaps, once per window and release (the outbox key), in the
/// window's unit of work; the caller holds the schedule lock, so a release
/// approved meanwhile is found here or refused there.
pub(crate) async fn tell_owners(
    tx: &mut Tx,
    window: &schedule_window::Model,
    item_ids: &[i32],
) -> DomainResult<()> {
    use sea_orm::{prelude::*, sea_query::Query, QueryOrder};
    if window.kind != WindowKind::Freeze || window.cancelled_at.is_some() {
        return Ok(());
    }
    let until = window.recurs_until.unwrap_or(window.ends_at);
    let mut query = release::Entity::find()
        .filter(release::Column::Status.is_in(packages::COMMITTED))
        .filter(release::Column::PlannedStart.lt(until))
        .filter(release::Column::PlannedEnd.gt(window.starts_at))
        .order_by_asc(release::Column::Id);
    if !item_ids.is_empty() {
        let packages_with_items = Query::select()
            .column(crate::entity::package_item::Column::PackageId)
            .from(crate::entity::package_item::Entity)
            .and_where(crate::entity::package_item::Column::ItemId.is_in(item_ids.iter().copied()))
            .to_owned();
        query = query.filter(
            release::Column::Id.in_subquery(
                Query::select()
                    .column(crate::entity::release_package::Column::ReleaseId)
                    .from(crate::entity::release_package::Entity)
                    .and_where(
                        crate::entity::release_package::Column::Id.in_subquery(packages_with_items),
                    )
                    .to_owned(),
            ),
        );
    }
    let candidates = query.all(tx.db()).await?;
    if candidates.is_empty() {
        return Ok(());
    }
    let occurrences = expand(std::slice::from_ref(window), window.starts_at, until)?;
    let met: Vec<(&release::Model, &Occurrence)> = candidates
        .iter()
        .filter_map(|r| {
            let (start, end) = r.planned_window()?;
            // occurrences of one window do not overlap, so ends rise with starts
            let first = occurrences.partition_point(|o| o.ends_at <= start);
            occurrences
                .get(first)
                .filter(|o| o.starts_at < end)
                .map(|o| (r, o))
        })
        .collect();
    let owners = crate::people::by_ids(
        tx.db(),
        &met.iter().map(|(r, _)| r.owner_id).collect::<Vec<_>>(),
    )
    .await?;
    let holds = window.enforcement == Enforcement::Hard;
    let mails = met
        .into_iter()
        .filter_map(|(release, o)| {
            let owner = owners.get(&release.owner_id)?;
            let subject = format!(
                "Release {}: {} is inside the freeze {}",
                release.id, release.title, window.title
            );
            let (start, end) = release.planned_window()?;
            let facts = [
                ("Release", format!("#{} {}", release.id, release.title)),
                (
                    "Planned",
                    format!("{} – {}", show(start), show(end)),
                ),
                (
                    "Freeze",
                    format!(
                        "#{} {} ({})",
                        window.id,
                        window.title,
                        if holds { "HARD" } else { "SOFT" }
                    ),
                ),
                (
                    "Overlap",
                    format!("{} – {} ({})", show(o.starts_at), show(o.ends_at), window.time_zone),
                ),
                ("Reason", window.reason.clone()),
            ];
            let consequence = if holds {
                "A hard freeze holds the release: it cannot start, or move further into the freeze, \
                 until its window is clear, unless a release manager overrides the freeze with a reason."
            } else {
                "This is a soft freeze: a warning, nothing is refused."
            };
            let text = format!(
                "A freeze now overlaps the planned window of a release you own.\n\n{}\n{consequence}\n",
                crate::mail::facts_text(&facts)
            );
            let html = crate::mail::layout(
                &subject,
                &format!(
                    "{}<p>{}</p>",
                    crate::mail::facts_table(&facts),
                    crate::mail::escape(consequence)
                ),
            );
            Some(crate::outbox::Mail {
                key: format!("freeze-overlap:{}:{}", window.id, release.id),
                kind: "FREEZE_OVERLAP",
                release_id: Some(release.id),
                recipient_id: Some(owner.id),
                recipient: owner.email.clone(),
                subject,
                text,
                html,
                attachments: Vec::new(),
            })
        })
        .collect();
    crate::outbox::enqueue(tx, mails).await?;
    Ok(())
}

fn show(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
