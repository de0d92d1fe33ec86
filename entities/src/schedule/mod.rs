//! Schedule windows: change freezes and maintenance windows, once or
//! recurring, over some configuration items or (with none) everything.
//!
//! A window's `starts_at`..`ends_at` is its first occurrence. A recurrence is
//! an RRULE evaluated in the window's IANA time zone from that first start, so
//! "every Friday 16:00–24:00" stays 16:00–24:00 local across summer time: each
//! occurrence lasts the first one's length in local clock time. A rule needs
//! an end (COUNT or UNTIL, within ten years) and repeats at most daily, so
//! expanding it is bounded. A window is its own aggregate root: an edit or a
//! cancel locks its row and checks the version the caller read.

use crate::entity::{
    configuration_item, package_item, release_package, schedule_window, schedule_window_item,
};
use crate::entity::{Enforcement, WindowKind};
use crate::kit::{check_version, save};
use crate::policy::Capability;
use crate::{packages, validate, DomainError, DomainResult, Tx};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{prelude::*, ActiveValue::Set, Condition, QueryOrder, QuerySelect};
use std::collections::HashMap;

pub mod forward;
pub mod freeze;
pub mod lock;
pub mod slots;

/// Longest occurrence: a year and a day.
pub const MAX_WINDOW_DAYS: i64 = 366;
/// Latest end of a recurrence after its first start.
pub const MAX_RECURRENCE_YEARS: i32 = 10;
/// Most occurrences a recurrence may have.
pub const MAX_OCCURRENCES: u16 = 4_000;
/// Longest range one `scheduleWindows` call expands: about two years.
pub const MAX_RANGE_DAYS: i64 = 800;
/// Most occurrences one `scheduleWindows` call answers.
pub const MAX_LISTED: usize = 5_000;
/// Longest RRULE text.
pub const MAX_RULE: usize = 500;
/// Longest reason.
pub const MAX_REASON: usize = 2_000;

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewWindow {
    pub title: String,
    pub kind: WindowKind,
    pub enforcement: Enforcement,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// An RRULE such as `FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231T000000Z`.
    pub recurrence: Option<String>,
    /// IANA name; the recurrence is evaluated there.
    pub time_zone: String,
    /// None means every item.
    pub item_ids: Vec<i32>,
    pub reason: String,
}

/// Input of [`update`]: `None` leaves a field alone; `recurrence: Some(None)`
/// makes the window happen once.
#[derive(Debug, Clone, Default)]
pub struct WindowEdits {
    pub title: Option<String>,
    pub enforcement: Option<Enforcement>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub recurrence: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub item_ids: Option<Vec<i32>>,
    pub reason: Option<String>,
}

/// One occurrence of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub window: schedule_window::Model,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// What a window's timing checks out to.
struct Timing {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    recurrence: Option<String>,
    recurs_until: Option<DateTime<Utc>>,
    time_zone: String,
}

/// Records a window; a freeze tells the owners of the approved and running
/// releases it overlaps. Release managers and administrators only.
pub async fn create(tx: &mut Tx, new: NewWindow) -> DomainResult<schedule_window::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let title = validate::title("title", &new.title)?;
    let reason = validate::required_text("reason", &new.reason, MAX_REASON)?;
    let timing = timing(new.starts_at, new.ends_at, new.recurrence, &new.time_zone)?;
    let items = packages::existing_items(tx, &new.item_ids).await?;
    lock::exclusive(tx).await?;
    let now = tx.now();
    let window = schedule_window::ActiveModel {
        title: Set(title),
        kind: Set(new.kind),
        enforcement: Set(new.enforcement),
        starts_at: Set(timing.starts_at),
        ends_at: Set(timing.ends_at),
        recurrence: Set(timing.recurrence),
        recurs_until: Set(timing.recurs_until),
        time_zone: Set(timing.time_zone),
        reason: Set(reason),
        cancelled_at: Set(None),
        created_by: Set(tx.stamp().actor.person_id()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    insert_items(tx, window.id, &items).await?;
    freeze::tell_owners(tx, &window, &items).await?;
    Ok(window)
}

/// Edits window `id` if it is still at `expected_version`; a cancelled
/// window is not edited. Release managers and administrators only.
pub async fn update(
    tx: &mut Tx,
    id: i32,
    expected_version: i32,
    edits: WindowEdits,
) -> DomainResult<schedule_window::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let before = find_locked(tx, id).await?;
    check_version(&before, expected_version)?;
    if before.cancelled_at.is_some() {
        return Err(DomainError::invalid_transition(
            "CANCELLED",
            "UPDATE",
            [],
            crate::lifecycle::Refusal(format!("schedule window {id} is cancelled")),
        ));
    }
    let title = edits
        .title
        .map(|t| validate::title("title", &t))
        .transpose()?;
    let reason = edits
        .reason
        .map(|r| validate::required_text("reason", &r, MAX_REASON))
        .transpose()?;
    let timing = timing(
        edits.starts_at.unwrap_or(before.starts_at),
        edits.ends_at.unwrap_or(before.ends_at),
        edits
            .recurrence
            .unwrap_or_else(|| before.recurrence.clone()),
        edits.time_zone.as_deref().unwrap_or(&before.time_zone),
    )?;
    let items = match &edits.item_ids {
        Some(ids) => Some(packages::existing_items(tx, ids).await?),
        None => None,
    };
    lock::exclusive(tx).await?;
    let mut row = schedule_window::ActiveModel {
        starts_at: Set(timing.starts_at),
        ends_at: Set(timing.ends_at),
        recurrence: Set(timing.recurrence),
        recurs_until: Set(timing.recurs_until),
        time_zone: Set(timing.time_zone),
        ..Default::default()
    };
    if let Some(title) = title {
        row.title = Set(title);
    }
    if let Some(reason) = reason {
        row.reason = Set(reason);
    }
    if let Some(enforcement) = edits.enforcement {
        row.enforcement = Set(enforcement);
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    let items = match items {
        Some(items) => {
            schedule_window_item::Entity::delete_many()
                .filter(schedule_window_item::Column::WindowId.eq(id))
                .exec(tx.db())
                .await?;
            insert_items(tx, id, &items).await?;
            items
        }
        None => schedule_window_item::Entity::find()
            .filter(schedule_window_item::Column::WindowId.eq(id))
            .all(tx.db())
            .await?
            .into_iter()
            .map(|link| link.item_id)
            .collect(),
    };
    freeze::tell_owners(tx, &saved, &items).await?;
    Ok(saved)
}

/// Cancels window `id`: it no longer occurs. Cancelling it again changes
/// nothing. Release managers and administrators only.
pub async fn cancel(tx: &mut Tx, id: i32) -> DomainResult<schedule_window::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let before = find_locked(tx, id).await?;
    if before.cancelled_at.is_some() {
        return Ok(before);
    }
    let row = schedule_window::ActiveModel {
        cancelled_at: Set(Some(tx.now())),
        ..Default::default()
    };
    save(tx.db(), tx.now(), &before, row).await
}

/// Window `id`, cancelled or not, or `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<schedule_window::Model> {
    schedule_window::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("schedule window", id))
}

async fn find_locked(tx: &mut Tx, id: i32) -> DomainResult<schedule_window::Model> {
    schedule_window::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("schedule window", id))
}

/// Every occurrence of a window that is not cancelled and overlaps
/// `[from, to)`, covering item `item_id` when given (a window without items
/// covers every item), by start. The range is bounded, and so is the answer.
pub async fn occurrences_between<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    item_id: Option<i32>,
) -> DomainResult<Vec<Occurrence>> {
    check_range(from, to)?;
    let items = item_id.map(|id| vec![id]);
    let found = occurrences_covering(db, from, to, Scope::of(items.as_deref(), None)).await?;
    if found.len() > MAX_LISTED {
        return Err(DomainError::validation(
            "to",
            format!("more than {MAX_LISTED} occurrences: ask for a shorter range"),
        ));
    }
    Ok(found)
}

/// A range a caller asks to expand: `to` after `from`, at most
/// [`MAX_RANGE_DAYS`] long.
pub fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> DomainResult<()> {
    validate::instant("from", from)?;
    validate::instant("to", to)?;
    if to <= from {
        return Err(DomainError::validation("to", "to must be after from"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(DomainError::validation(
            "to",
            format!("ask for at most {MAX_RANGE_DAYS} days at a time"),
        ));
    }
    Ok(())
}

/// Which windows a search looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    pub items: Items<'a>,
    /// Only windows of this kind.
    pub kind: Option<WindowKind>,
}

/// Which items a searched window must cover; a window without items covers
/// every item, so it is always found.
#[derive(Debug, Clone, Copy, Default)]
pub enum Items<'a> {
    /// Every window.
    #[default]
    Any,
    /// Windows covering one of these items.
    Ids(&'a [i32]),
    /// Windows covering an item the packages of this release hold.
    OfRelease(i32),
}

impl<'a> Scope<'a> {
    /// Windows covering one of `items` (or every item), of `kind` when given.
    pub fn of(items: Option<&'a [i32]>, kind: Option<WindowKind>) -> Self {
        let items = items.map_or(Items::Any, Items::Ids);
        Self { items, kind }
    }
}

/// The windows in `scope` that are not cancelled and may occur in
/// `[from, to)`, in one query, by id.
pub async fn windows_covering<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: Scope<'_>,
) -> DomainResult<Vec<schedule_window::Model>> {
    let mut condition = Condition::all()
        .add(schedule_window::Column::CancelledAt.is_null())
        .add(schedule_window::Column::StartsAt.lt(to))
        .add(
            Expr::expr(
                Expr::col(schedule_window::Column::RecursUntil)
                    .if_null(Expr::col(schedule_window::Column::EndsAt)),
            )
            .gt(from),
        );
    if let Some(kind) = scope.kind {
        condition = condition.add(schedule_window::Column::Kind.eq(kind));
    }
    let item_ids = match scope.items {
        Items::Any => None,
        Items::Ids(ids) => Some(
            Condition::all().add(schedule_window_item::Column::ItemId.is_in(ids.iter().copied())),
        ),
        Items::OfRelease(release_id) => Some(
            Condition::all().add(
                schedule_window_item::Column::ItemId.in_subquery(
                    Query::select()
                        .column(package_item::Column::ItemId)
                        .from(package_item::Entity)
                        .and_where(
                            package_item::Column::PackageId.in_subquery(
                                Query::select()
                                    .column(release_package::Column::Id)
                                    .from(release_package::Entity)
                                    .and_where(release_package::Column::ReleaseId.eq(release_id))
                                    .to_owned(),
                            ),
                        )
                        .to_owned(),
                ),
            ),
        ),
    };
    if let Some(item_ids) = item_ids {
        let covering = Query::select()
            .column(schedule_window_item::Column::WindowId)
            .from(schedule_window_item::Entity)
            .cond_where(item_ids)
            .to_owned();
        let with_items = Query::select()
            .column(schedule_window_item::Column::WindowId)
            .from(schedule_window_item::Entity)
            .to_owned();
        condition = condition.add(
            Condition::any()
                .add(schedule_window::Column::Id.in_subquery(covering))
                .add(schedule_window::Column::Id.not_in_subquery(with_items)),
        );
    }
    Ok(schedule_window::Entity::find()
        .filter(condition)
        .order_by_asc(schedule_window::Column::Id)
        .all(db)
        .await?)
}

/// The occurrences in `[from, to)` of the windows in `scope`, by start.
pub async fn occurrences_covering<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: Scope<'_>,
) -> DomainResult<Vec<Occurrence>> {
    let windows = windows_covering(db, from, to, scope).await?;
    expand(&windows, from, to)
}

/// The occurrences in `[from, to)` of `windows`, by start.
pub fn expand(
    windows: &[schedule_window::Model],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Vec<Occurrence>> {
    let mut found = Vec::new();
    for window in windows {
        for (starts_at, ends_at) in occurrences_of(window, from, to)? {
            found.push(Occurrence {
                window: window.clone(),
                starts_at,
                ends_at,
            });
        }
    }
    found.sort_by_key(|o| (o.starts_at, o.window.id));
    Ok(found)
}

/// The items each window in `window_ids` covers, by name, in one query each.
pub async fn items_of_windows<C: ConnectionTrait>(
    db: &C,
    window_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<configuration_item::Model>>> {
    let links = schedule_window_item::Entity::find()
        .filter(schedule_window_item::Column::WindowId.is_in(window_ids.iter().copied()))
        .all(db)
        .await?;
    let ids: Vec<i32> = links.iter().map(|l| l.item_id).collect();
    let items = packages::items_by_ids(db, &ids).await?;
    let mut grouped: HashMap<i32, Vec<configuration_item::Model>> = HashMap::new();
    for link in links {
        if let Some(item) = items.get(&link.item_id) {
            grouped
                .entry(link.window_id)
                .or_default()
                .push(item.clone());
        }
    }
    for list in grouped.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(grouped)
}

async fn insert_items(tx: &Tx, window_id: i32, items: &[i32]) -> DomainResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    schedule_window_item::Entity::insert_many(items.iter().map(|item| {
        schedule_window_item::ActiveModel {
            window_id: Set(window_id),
            item_id: Set(*item),
            ..Default::default()
        }
    }))
    .exec(tx.db())
    .await?;
    Ok(())
}

/// Checks a window's timing and works out where its recurrence ends.
fn timing(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    recurrence: Option<String>,
    time_zone: &str,
) -> DomainResult<Timing> {
    validate::instant("startsAt", starts_at)?;
    validate::instant("endsAt", ends_at)?;
    if ends_at <= starts_at {
        return Err(DomainError::validation(
            "endsAt",
            "endsAt must be after startsAt",
        ));
    }
    if ends_at - starts_at > Duration::days(MAX_WINDOW_DAYS) {
        return Err(DomainError::validation(
            "endsAt",
            format!("one occurrence lasts at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    let zone = zone(time_zone)?;
    let recurrence = recurrence
        .map(|r| r.trim().trim_start_matches("RRULE:").to_owned())
        .filter(|r| !r.is_empty());
    let Some(rule) = recurrence else {
        return Ok(Timing {
            starts_at,
            ends_at,
            recurrence: None,
            recurs_until: None,
            time_zone: zone.name().to_owned(),
        });
    };
    let set = rule_set(starts_at, &rule, zone)?;
    let rrule = set
        .get_rrule()
        .first()
        .ok_or_else(|| DomainError::validation("recurrence", "give one RRULE"))?;
    use rrule::Frequency;
    if !matches!(
        rrule.get_freq(),
        Frequency::Daily | Frequency::Weekly | Frequency::Monthly | Frequency::Yearly
    ) {
        return Err(DomainError::validation(
            "recurrence",
            "a window repeats at most daily: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY",
        ));
    }
    let latest = starts_at + Duration::days(365 * i64::from(MAX_RECURRENCE_YEARS) + 3);
    match (rrule.get_count(), rrule.get_until()) {
        (None, None) => {
            return Err(DomainError::validation(
                "recurrence",
                format!(
                "give the recurrence an end: COUNT or UNTIL, within {MAX_RECURRENCE_YEARS} years"
            ),
            ))
        }
        (Some(count), _) if count > u32::from(MAX_OCCURRENCES) => {
            return Err(DomainError::validation(
                "recurrence",
                format!("COUNT is at most {MAX_OCCURRENCES}"),
            ))
        }
        (_, Some(until)) if until.with_timezone(&Utc) > latest => {
            return Err(DomainError::validation(
                "recurrence",
                format!("UNTIL is at most {MAX_RECURRENCE_YEARS} years after startsAt"),
            ))
        }
        _ => {}
    }
    let all = set.all(MAX_OCCURRENCES + 1);
    if all.dates.len() > usize::from(MAX_OCCURRENCES) {
        return Err(DomainError::validation(
            "recurrence",
            format!("a window occurs at most {MAX_OCCURRENCES} times"),
        ));
    }
    let length = length_in(starts_at, ends_at, zone);
    let last_end = all
        .dates
        .last()
        .map(|start| end_of(start.naive_local(), length, zone))
        .unwrap_or(ends_at);
    Ok(Timing {
        starts_at,
        ends_at,
        recurrence: Some(rule),
        recurs_until: Some(Ord::max(last_end, ends_at)),
        time_zone: zone.name().to_owned(),
    })
}

fn zone(name: &str) -> DomainResult<chrono_tz::Tz> {
    if name.len() > 64 {
        return Err(DomainError::validation(
            "timeZone",
            "a time zone name has at most 64 characters",
        ));
    }
    name.parse().map_err(|_| {
        DomainError::validation(
            "timeZone",
            format!("unknown time zone {name:?}: use an IANA name such as Europe/Berlin or UTC"),
        )
    })
}

/// The recurrence `rule` from the first start `starts_at`, in `zone`.
fn rule_set(
    starts_at: DateTime<Utc>,
    rule: &str,
    zone: chrono_tz::Tz,
) -> DomainResult<rrule::RRuleSet> {
    if rule.len() > MAX_RULE {
        return Err(DomainError::validation(
            "recurrence",
            format!("a recurrence has at most {MAX_RULE} characters"),
        ));
    }
    if rule.chars().any(|c| c.is_control()) || rule.to_ascii_uppercase().contains("DTSTART") {
        return Err(DomainError::validation(
            "recurrence",
            "give the RRULE only (such as FREQ=WEEKLY;BYDAY=FR;COUNT=10): its start is startsAt",
        ));
    }
    let start = starts_at.with_timezone(&zone).naive_local();
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{rule}",
        zone.name(),
        start.format("%Y%m%dT%H%M%S")
    );
    text.parse().map_err(|err: rrule::RRuleError| {
        DomainError::validation(
            "recurrence",
            format!("not an RRULE this service reads: {err}"),
        )
    })
}

/// The length of `starts_at`..`ends_at` in local clock time.
fn length_in(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, zone: chrono_tz::Tz) -> Duration {
    ends_at.with_timezone(&zone).naive_local() - starts_at.with_timezone(&zone).naive_local()
}

/// `length` of clock time after local `start`, as an instant: a time that
/// summer time skips moves on by the gap, a repeated one takes the earlier.
fn end_of(start: NaiveDateTime, length: Duration, zone: chrono_tz::Tz) -> DateTime<Utc> {
    let local = start + length;
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |at| at.with_timezone(&Utc))
}

/// The occurrences of `window` overlapping `[from, to)`.
fn occurrences_of(
    window: &schedule_window::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let overlaps = |(start, end): &(DateTime<Utc>, DateTime<Utc>)| *start < to && *end > from;
    let Some(rule) = &window.recurrence else {
        return Ok([(window.starts_at, window.ends_at)]
            .into_iter()
            .filter(overlaps)
            .collect());
    };
    let zone = zone(&window.time_zone)?;
    let set = rule_set(window.starts_at, rule, zone)?;
    let length = length_in(window.starts_at, window.ends_at, zone);
    let tz = rrule::Tz::Tz(zone);
    // an occurrence that started up to one length before `from` still overlaps it
    let after = (from - (window.ends_at - window.starts_at) - Duration::days(1)).with_timezone(&tz);
    let before = to.with_timezone(&tz);
    Ok(set
        .after(after)
        .before(before)
        .all(MAX_OCCURRENCES)
        .dates
        .into_iter()
        .map(|start| {
            (
                start.with_timezone(&Utc),
                end_of(start.naive_local(), length, zone),
            )
        })
        .filter(overlaps)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn window(starts: &str, ends: &str, rule: Option<&str>, zone: &str) -> schedule_window::Model {
        let t = timing(at(starts), at(ends), rule.map(str::to_owned), zone).unwrap();
        schedule_window::Model {
            id: 1,
            title: "Friday freeze".into(),
            kind: WindowKind::Freeze,
            enforcement: Enforcement::Hard,
            starts_at: t.starts_at,
            ends_at: t.ends_at,
            recurrence: t.recurrence,
            recurs_until: t.recurs_until,
            time_zone: t.time_zone,
            reason: "weekend".into(),
            cancelled_at: None,
            created_by: None,
            created_at: t.starts_at,
            updated_at: t.starts_at,
            version: 1,
        }
    }

    #[test]
    fn a_weekly_freeze_keeps_its_local_hours_across_summer_time() {
        // Fridays 16:00–24:00 in Berlin; summer time ends on 2026-10-25
        let w = window(
            "2026-10-16T14:00:00Z",
            "2026-10-16T22:00:00Z",
            Some("FREQ=WEEKLY;BYDAY=FR;COUNT=10"),
            "Europe/Berlin",
        );
        let found =
            occurrences_of(&w, at("2026-10-20T00:00:00Z"), at("2026-11-03T00:00:00Z")).unwrap();
        assert_eq!(
            found,
            [
                (at("2026-10-23T14:00:00Z"), at("2026-10-23T22:00:00Z")),
                (at("2026-10-30T15:00:00Z"), at("2026-10-30T23:00:00Z")),
            ]
        );
        // ten Fridays from 2026-10-16: the last ends 2026-12-18 at 24:00 CET
        assert_eq!(w.recurs_until, Some(at("2026-12-18T23:00:00Z")));
        // an occurrence that began before the range still overlaps it
        let inside =
            occurrences_of(&w, at("2026-10-23T20:00:00Z"), at("2026-10-23T21:00:00Z")).unwrap();
        assert_eq!(inside.len(), 1);
    }

    #[test]
    fn bad_timing_is_refused_by_field() {
        let field = |r: DomainResult<Timing>| match r {
            Err(DomainError::Validation { field, .. }) => field,
            other => panic!("expected a refusal, got {:?}", other.map(|t| t.starts_at)),
        };
        let (s, e) = (at("2026-10-16T14:00:00Z"), at("2026-10-16T22:00:00Z"));
        assert_eq!(field(timing(e, s, None, "UTC")), "endsAt");
        assert_eq!(field(timing(s, e, None, "Mars/Olympus")), "timeZone");
        for rule in [
            "FREQ=SOMETIMES",
            "FREQ=WEEKLY;BYDAY=FR",
            "FREQ=HOURLY;COUNT=5",
            "FREQ=DAILY;COUNT=100000",
            "FREQ=DAILY;UNTIL=20400101T000000Z",
            "DTSTART:20261016T140000Z",
            "FREQ=DAILY;COUNT=2\nRRULE:FREQ=DAILY",
        ] {
            assert_eq!(
                field(timing(s, e, Some(rule.into()), "UTC")),
                "recurrence",
                "{rule}"
            );
        }
        assert!(timing(s, e, Some("RRULE:FREQ=DAILY;COUNT=3".into()), "UTC").is_ok());
    }
}
