//! Change requests: creating and editing them, and linking them to a release or
//! a phase. While linked, a change's schedule is the release's planned window and
//! cannot be edited ([`DomainError::ScheduleReadOnly`]); moving the release moves
//! it ([`crate::workflow::Effect::ReleaseWindowMoved`]), and unlinking hands the
//! dates back to change management.

use crate::entity::change_request::{self, ChangeRisk, ChangeState};
use crate::entity::{release, EventKind};
use crate::kit::{check_version, group_by, save};
use crate::policy::{Actor, Capability};
use crate::validate::{self, show_time};
use crate::{releases, windows, DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{
    prelude::*,
    sea_query::{Expr, ExprTrait, Query},
    ActiveValue::Set,
    Condition, QueryOrder,
};
use std::collections::HashMap;

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewChange {
    pub title: String,
    pub description: String,
    pub risk: ChangeRisk,
    pub requester_id: i32,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub scheduled_end: Option<DateTime<Utc>>,
}

/// Input of [`update`]: `None` leaves a field alone; `Some(None)` clears a date.
#[derive(Debug, Clone, Default)]
pub struct ChangeEdits {
    pub title: Option<String>,
    pub description: Option<String>,
    pub state: Option<ChangeState>,
    pub risk: Option<ChangeRisk>,
    pub scheduled_start: Option<Option<DateTime<Utc>>>,
    pub scheduled_end: Option<Option<DateTime<Utc>>>,
}

/// Loads one change or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<change_request::Model> {
    change_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("change", id))
}

/// The condition on `change_requests` selecting what the actor may see:
/// unlinked changes, and those linked to a release the actor may see (a change
/// of a hidden release answers like a missing one); `None` is all.
fn visible_changes(actor: &Actor) -> Option<Condition> {
    let visibility = actor.visibility()?;
    let releases = Query::select()
        .column(release::Column::Id)
        .from(release::Entity)
        .cond_where(visibility.condition())
        .to_owned();
    Some(
        Condition::any()
            .add(change_request::Column::ReleaseId.is_null())
            .add(change_request::Column::ReleaseId.in_subquery(releases)),
    )
}

/// Loads one change the actor may see, or answers `NotFound`.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> DomainResult<change_request::Model> {
    let mut query = change_request::Entity::find_by_id(id);
    if let Some(visible) = visible_changes(actor) {
        query = query.filter(visible);
    }
    query
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("change", id))
}

/// Changes by id, in one query.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> DomainResult<HashMap<i32, change_request::Model>> {
    Ok(change_request::Entity::find()
        .filter(change_request::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// The changes linked to each release in `release_ids`, by number, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<change_request::Model>>> {
    let rows = change_request::Entity::find()
        .filter(change_request::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(change_request::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |row| row.release_id))
}

/// Changes the actor may see by number, newest first, at most `limit`; only
/// those linked to `release_id` when given.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    release_id: Option<i32>,
    limit: u64,
) -> DomainResult<Vec<change_request::Model>> {
    use sea_orm::QuerySelect;
    let mut query = change_request::Entity::find();
    if let Some(visible) = visible_changes(actor) {
        query = query.filter(visible);
    }
    if let Some(release_id) = release_id {
        query = query.filter(change_request::Column::ReleaseId.eq(release_id));
    }
    Ok(query
        .order_by_desc(change_request::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Records a new change in state NEW; its number is `CHG-` and its id.
pub async fn create(tx: &mut Tx, new: NewChange) -> DomainResult<change_request::Model> {
    tx.stamp().actor.require(Capability::ManageChanges)?;
    let title = validate::title("title", &new.title)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    windows::ordered((new.scheduled_start, new.scheduled_end), "scheduledEnd")?;
    releases::require_person(tx.db(), new.requester_id, "requesterId").await?;
    let created = change_request::ActiveModel {
        // a placeholder unique per transaction, replaced once the id is known
        number: Set(format!(
            "NEW-{}",
            tx.now().timestamp_micros() % 1_000_000_000
        )),
        title: Set(title.clone()),
        description: Set(description),
        state: Set(ChangeState::New),
        risk: Set(new.risk),
        scheduled_start: Set(new.scheduled_start),
        scheduled_end: Set(new.scheduled_end),
        requester_id: Set(new.requester_id),
        release_id: Set(None),
        created_at: Set(tx.now()),
        updated_at: Set(tx.now()),
        version: Set(1),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let number = format!("CHG-{:06}", created.id);
    change_request::Entity::update_many()
        .col_expr(change_request::Column::Number, Expr::value(number.clone()))
        .filter(change_request::Column::Id.eq(created.id))
        .exec(tx.db())
        .await?;
    tx.record(
        Subject::Change {
            id: created.id,
            release_id: None,
        },
        [Event::change(
            EventKind::ChangeCreated,
            "number",
            None,
            Some(number.clone()),
        )],
    );
    Ok(change_request::Model { number, ..created })
}

/// Edits a change read at `expected_version`. Its dates are read only while it
/// is linked to a release.
pub async fn update(
    tx: &mut Tx,
    id: i32,
    edits: ChangeEdits,
    expected_version: i32,
) -> DomainResult<change_request::Model> {
    tx.stamp().actor.require(Capability::ManageChanges)?;
    let before = find_locked(tx, id, None).await?;
    check_version(&before, expected_version)?;
    let touches_dates = edits.scheduled_start.is_some() || edits.scheduled_end.is_some();
    if touches_dates {
        if let Some(release_id) = before.release_id {
            return Err(DomainError::ScheduleReadOnly(format!(
                "{} follows the planned window of release {release_id}; unlink it to edit its dates",
                before.number
            )));
        }
    }
    let mut row: change_request::ActiveModel = Default::default();
    let mut events = Vec::new();
    let mut changed = |field: &str, from: String, to: String| {
        events.push(Event::change(
            EventKind::ChangeUpdated,
            field,
            Some(from),
            Some(to),
        ));
    };
    if let Some(title) = edits.title {
        let title = validate::title("title", &title)?;
        if title != before.title {
            changed("title", before.title.clone(), title.clone());
            row.title = Set(title);
        }
    }
    if let Some(description) = edits.description {
        let description = validate::optional_text("description", &description, validate::MAX_TEXT)?;
        if description != before.description {
            changed(
                "description",
                before.description.clone(),
                description.clone(),
            );
            row.description = Set(description);
        }
    }
    if let Some(state) = edits.state.filter(|s| *s != before.state) {
        changed("state", before.state.to_value(), state.to_value());
        row.state = Set(state);
    }
    if let Some(risk) = edits.risk.filter(|r| *r != before.risk) {
        changed("risk", before.risk.to_value(), risk.to_value());
        row.risk = Set(risk);
    }
    let start = edits.scheduled_start.unwrap_or(before.scheduled_start);
    let end = edits.scheduled_end.unwrap_or(before.scheduled_end);
    if (start, end) != (before.scheduled_start, before.scheduled_end) {
        windows::ordered((start, end), "scheduledEnd")?;
        for (field, old, new) in [
            ("scheduledStart", before.scheduled_start, start),
            ("scheduledEnd", before.scheduled_end, end),
        ] {
            if old != new {
                events.push(Event::change(
                    EventKind::ChangeUpdated,
                    field,
                    show_time(old),
                    show_time(new),
                ));
            }
        }
        row.scheduled_start = Set(start);
        row.scheduled_end = Set(end);
    }
    if events.is_empty() {
        return Ok(before);
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(subject(&saved), events);
    Ok(saved)
}

/// Links change `id` to release (or phase) `release_id`; its schedule becomes
/// the release's planned window.
pub async fn link(tx: &mut Tx, id: i32, release_id: i32) -> DomainResult<change_request::Model> {
    tx.stamp().actor.require(Capability::ManageChanges)?;
    let before = find_locked(tx, id, Some(release_id)).await?;
    let release = releases::find_visible(tx, release_id)
        .await
        .map_err(|_| DomainError::validation("releaseId", format!("no release {release_id}")))?;
    if !release.status.is_open() {
        return Err(DomainError::validation(
            "releaseId",
            format!(
                "release {release_id} is {} and takes no changes",
                release.status.to_value()
            ),
        ));
    }
    let row = change_request::ActiveModel {
        release_id: Set(Some(release.id)),
        scheduled_start: Set(release.planned_start),
        scheduled_end: Set(release.planned_end),
        ..Default::default()
    };
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    let mut events = vec![Event::change(
        EventKind::ChangeLinked,
        "releaseId",
        before.release_id.map(|r| r.to_string()),
        Some(release.id.to_string()),
    )];
    let mut followed = schedule_events(&before, &release);
    if let Some(previous) = before.release_id.filter(|p| *p != release.id) {
        for event in &mut followed {
            if let Some(note) = &mut event.note {
                note.push_str(&format!(" (moved from release {previous})"));
            }
        }
    }
    events.extend(followed);
    tx.record(subject(&saved), events);
    Ok(saved)
}

/// Locks the release change `id` is linked to, and `also` (the lock order:
/// releases first, ascending), then loads the change as it is now. A change
/// moved to another release meanwhile answers `CONFLICT` (retryable).
pub(crate) async fn find_locked(
    tx: &mut Tx,
    id: i32,
    also: Option<i32>,
) -> DomainResult<change_request::Model> {
    let actor = tx.stamp().actor.clone();
    let linked = find_visible(tx.db(), &actor, id).await?.release_id;
    let releases: Vec<i32> = linked.into_iter().chain(also).collect();
    tx.lock_releases(&releases).await?;
    let now = find_visible(tx.db(), &actor, id).await?;
    if now.release_id != linked {
        return Err(DomainError::Conflict(format!(
            "{} was linked elsewhere meanwhile; reload and try again",
            now.number
        )));
    }
    Ok(now)
}

/// Unlinks change `id`; it keeps its current dates, now editable again.
pub async fn unlink(tx: &mut Tx, id: i32) -> DomainResult<change_request::Model> {
    tx.stamp().actor.require(Capability::ManageChanges)?;
    let before = find_locked(tx, id, None).await?;
    let Some(release_id) = before.release_id else {
        return Ok(before);
    };
    let row = change_request::ActiveModel {
        release_id: Set(None),
        ..Default::default()
    };
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(
        Subject::Change {
            id,
            release_id: Some(release_id),
        },
        [Event::change(
            EventKind::ChangeUnlinked,
            "releaseId",
            Some(release_id.to_string()),
            None,
        )],
    );
    Ok(saved)
}

/// Sets the schedule of every change linked to `release` to its window, in one
/// statement, with a history event on each change that moved; returns how many moved.
pub(crate) async fn follow_release(tx: &mut Tx, release: &release::Model) -> DomainResult<u64> {
    let drifted: Vec<change_request::Model> = change_request::Entity::find()
        .filter(change_request::Column::ReleaseId.eq(release.id))
        .all(tx.db())
        .await?
        .into_iter()
        .filter(|c| {
            (c.scheduled_start, c.scheduled_end) != (release.planned_start, release.planned_end)
        })
        .collect();
    if drifted.is_empty() {
        return Ok(0);
    }
    change_request::Entity::update_many()
        .col_expr(
            change_request::Column::ScheduledStart,
            Expr::value(release.planned_start),
        )
        .col_expr(
            change_request::Column::ScheduledEnd,
            Expr::value(release.planned_end),
        )
        .col_expr(change_request::Column::UpdatedAt, Expr::value(tx.now()))
        .col_expr(
            change_request::Column::Version,
            Expr::col(change_request::Column::Version).add(1),
        )
        .filter(change_request::Column::Id.is_in(drifted.iter().map(|c| c.id)))
        .exec(tx.db())
        .await?;
    for change in &drifted {
        tx.record(subject(change), schedule_events(change, release));
    }
    Ok(drifted.len() as u64)
}

fn subject(change: &change_request::Model) -> Subject {
    Subject::Change {
        id: change.id,
        release_id: change.release_id,
    }
}

/// The events of a change's schedule following `release`.
fn schedule_events(change: &change_request::Model, release: &release::Model) -> Vec<Event> {
    reschedule_events(
        (change.scheduled_start, change.scheduled_end),
        (release.planned_start, release.planned_end),
        format!("follows release {}", release.id),
    )
}

/// One `CHANGE_RESCHEDULED` event per date of a change's schedule that moves
/// from `old` to `new` (start, end), each with `note`.
fn reschedule_events(
    old: (Option<DateTimeUtc>, Option<DateTimeUtc>),
    new: (Option<DateTimeUtc>, Option<DateTimeUtc>),
    note: String,
) -> Vec<Event> {
    [
        ("scheduledStart", old.0, new.0),
        ("scheduledEnd", old.1, new.1),
    ]
    .into_iter()
    .filter(|(_, old, new)| old != new)
    .map(|(field, old, new)| {
        Event::change(
            EventKind::ChangeRescheduled,
            field,
            show_time(old),
            show_time(new),
        )
        .with_note(Some(note.clone()))
    })
    .collect()
}

/// What [`resync_with_releases`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResyncCounts {
    /// Changes linked to a release.
    pub linked: u64,
    /// Linked changes whose schedule had drifted from their release's window.
    pub corrected: u64,
}

/// Puts every linked change back on its release's planned window, whatever
/// wrote it (another path, an import, drift): their releases are locked first,
/// one statement reads the drifted changes, one set-based
/// `UPDATE` corrects them all, and each corrected change gets history events.
pub async fn resync_with_releases(tx: &mut Tx) -> DomainResult<ResyncCounts> {
    use sea_orm::{DatabaseBackend, Statement};
    let backend = tx.db().get_database_backend();
    let (differs, param) = match backend {
        DatabaseBackend::Postgres => ("IS DISTINCT FROM", "$1"),
        _ => ("IS NOT", "?"),
    };
    let drift = format!(
        "c.scheduled_start {differs} r.planned_start OR c.scheduled_end {differs} r.planned_end"
    );
    let linked = tx
        .db()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM change_requests WHERE release_id IS NOT NULL",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    // the releases first (the lock order); the drift is read again under their locks
    let drifted_releases: Vec<i32> = tx
        .db()
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "SELECT DISTINCT c.release_id FROM change_requests c \
                 JOIN releases r ON r.id = c.release_id WHERE {drift}"
            ),
        ))
        .await?
        .iter()
        .map(|row| row.try_get::<i32>("", "release_id"))
        .collect::<Result<_, _>>()?;
    tx.lock_releases(&drifted_releases).await?;
    let rows = tx
        .db()
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "SELECT c.id, c.number, c.release_id, c.scheduled_start, c.scheduled_end, \
                 r.planned_start, r.planned_end \
                 FROM change_requests c JOIN releases r ON r.id = c.release_id \
                 WHERE {drift} ORDER BY c.id"
            ),
        ))
        .await?;
    if rows.is_empty() {
        return Ok(ResyncCounts {
            linked: linked as u64,
            corrected: 0,
        });
    }
    let now = tx.now();
    let updated = tx
        .db()
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE change_requests SET \
                 scheduled_start = (SELECT r.planned_start FROM releases r WHERE r.id = change_requests.release_id), \
                 scheduled_end = (SELECT r.planned_end FROM releases r WHERE r.id = change_requests.release_id), \
                 updated_at = {param}, version = version + 1 \
                 WHERE EXISTS (SELECT 1 FROM change_requests c JOIN releases r ON r.id = c.release_id \
                 WHERE c.id = change_requests.id AND ({drift}))"
            ),
            [now.into()],
        ))
        .await?
        .rows_affected();
    for row in &rows {
        let id: i32 = row.try_get("", "id")?;
        let number: String = row.try_get("", "number")?;
        let release_id: i32 = row.try_get("", "release_id")?;
        let events = reschedule_events(
            (
                row.try_get("", "scheduled_start")?,
                row.try_get("", "scheduled_end")?,
            ),
            (
                row.try_get("", "planned_start")?,
                row.try_get("", "planned_end")?,
            ),
            format!("{number} realigned with release {release_id}"),
        );
        tx.record(
            Subject::Change {
                id,
                release_id: Some(release_id),
            },
            events,
        );
    }
    Ok(ResyncCounts {
        linked: linked as u64,
        corrected: updated,
    })
}
