//! Creating, editing and moving releases. Operations run inside a unit of work
//! ([`Tx`]) and record their history there; cascades to milestones and phases
//! are declared in [`crate::workflow`].

use crate::entity::{
    milestone, person, release, stakeholder, EventKind, MilestoneStatus, ReleaseScope,
    ReleaseStatus, ReleaseType, ReviewOutcome, StakeholderRole,
};
use crate::kit::{check_version, save};
use crate::lifecycle::release::{self as lifecycle, ReleaseAction, ReleaseFacts};
use crate::policy::Capability;
use crate::{milestones, templates, validate, windows};
use crate::{DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QuerySelect};
use std::collections::HashMap;

/// Which milestone template a new release starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemplateChoice {
    /// The default template of the release type, if that type uses one (MAJOR does).
    #[default]
    Default,
    /// No milestones from a template.
    None,
    /// This template.
    Template(i32),
}

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub title: String,
    pub description: String,
    pub release_type: ReleaseType,
    pub scope: ReleaseScope,
    pub master_id: Option<i32>,
    pub owner_id: i32,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub template: TemplateChoice,
}

/// Input of [`update`]: `None` leaves a field alone; `Some(None)` clears a date.
#[derive(Debug, Clone, Default)]
pub struct ReleaseChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<i32>,
    pub planned_start: Option<Option<DateTime<Utc>>>,
    pub planned_end: Option<Option<DateTime<Utc>>>,
}

/// Loads one release or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<release::Model> {
    release::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("release", id))
}

/// Loads a release the actor of `tx` may see, or answers `NotFound` (a release
/// that exists but is hidden is not told apart from a missing one).
pub async fn find_visible(tx: &Tx, id: i32) -> DomainResult<release::Model> {
    let mut query = release::Entity::find_by_id(id);
    if let Some(visibility) = tx.stamp().actor.visibility() {
        query = query.filter(visibility.condition());
    }
    query
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("release", id))
}

/// Creates a release with its owner as stakeholder and, where the type asks for it,
/// milestones from a template.
pub async fn create(tx: &mut Tx, new: NewRelease) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let title = validate::required_text("title", &new.title, validate::MAX_TITLE)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    let window = (new.planned_start, new.planned_end);
    windows::ordered(window, "plannedEnd")?;
    let txn = tx.db();
    require_person(txn, new.owner_id, "ownerId").await?;
    match (new.scope, new.master_id) {
        (ReleaseScope::Phase, None) => {
            return Err(DomainError::validation(
                "masterId",
                "a PHASE release needs a masterId",
            ))
        }
        (ReleaseScope::Phase, Some(master_id)) => {
            let master = release::Entity::find_by_id(master_id)
                .one(txn)
                .await?
                .ok_or_else(|| {
                    DomainError::validation("masterId", format!("no release {master_id}"))
                })?;
            if master.scope != ReleaseScope::Master {
                return Err(DomainError::validation(
                    "masterId",
                    format!("release {master_id} is not a MASTER release"),
                ));
            }
            if !master.status.is_open() || master.status == ReleaseStatus::Review {
                return Err(DomainError::validation(
                    "masterId",
                    format!(
                        "master release {master_id} is {} and takes no new phases",
                        lifecycle::status_name(master.status)
                    ),
                ));
            }
            windows::check_phase(&master, window)?;
        }
        (_, Some(_)) => {
            return Err(DomainError::validation(
                "masterId",
                "only a PHASE release belongs to a master",
            ))
        }
        (_, None) => {}
    }
    let template = match new.template {
        TemplateChoice::None => None,
        TemplateChoice::Default if new.release_type == ReleaseType::Major => {
            templates::default_for(txn, new.release_type).await?
        }
        TemplateChoice::Default => None,
        TemplateChoice::Template(id) => Some(templates::find(txn, id).await.map_err(|_| {
            DomainError::validation("templateId", format!("no milestone template {id}"))
        })?),
    };

    let created = release::ActiveModel {
        title: Set(title),
        description: Set(description),
        release_type: Set(new.release_type),
        scope: Set(new.scope),
        master_id: Set(new.master_id),
        status: Set(ReleaseStatus::Draft),
        owner_id: Set(new.owner_id),
        template_id: Set(template.as_ref().map(|t| t.id)),
        planned_start: Set(new.planned_start),
        planned_end: Set(new.planned_end),
        actual_start: Set(None),
        actual_end: Set(None),
        review_outcome: Set(None),
        lessons_learned: Set(None),
        cancel_reason: Set(None),
        created_at: Set(tx.now()),
        updated_at: Set(tx.now()),
        version: Set(1),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    add_owner_stakeholder(tx, created.id, new.owner_id).await?;

    let mut events = vec![Event::change(
        EventKind::ReleaseCreated,
        "status",
        None,
        Some(lifecycle::status_name(ReleaseStatus::Draft).to_owned()),
    )];
    if let Some(template) = &template {
        let items = templates::items(tx.db(), template.id).await?;
        let added = milestones::insert_from_template(tx, created.id, &items).await?;
        events.extend(added.iter().map(|m| {
            Event::change(
                EventKind::MilestoneAdded,
                "title",
                None,
                Some(m.title.clone()),
            )
            .on_milestone(m.id)
            .with_note(Some(format!("from template \"{}\"", template.name)))
        }));
    }
    tx.record(Subject::Release(created.id), events);
    Ok(created)
}

/// Edits a release that the caller read at `expected_version`.
pub async fn update(
    tx: &mut Tx,
    id: i32,
    changes: ReleaseChanges,
    expected_version: i32,
) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let before = find_visible(tx, id).await?;
    check_version(&before, expected_version)?;
    if !before.status.is_open() {
        return Err(DomainError::validation(
            "id",
            format!(
                "a {} release can no longer be edited",
                lifecycle::status_name(before.status)
            ),
        ));
    }

    let mut row: release::ActiveModel = Default::default();
    let mut events = Vec::new();
    if let Some(title) = changes.title {
        let title = validate::required_text("title", &title, validate::MAX_TITLE)?;
        if title != before.title {
            events.push(Event::change(
                EventKind::ReleaseUpdated,
                "title",
                Some(before.title.clone()),
                Some(title.clone()),
            ));
            row.title = Set(title);
        }
    }
    if let Some(description) = changes.description {
        let description = validate::optional_text("description", &description, validate::MAX_TEXT)?;
        if description != before.description {
            events.push(Event::change(
                EventKind::ReleaseUpdated,
                "description",
                Some(before.description.clone()),
                Some(description.clone()),
            ));
            row.description = Set(description);
        }
    }
    if let Some(owner_id) = changes.owner_id.filter(|o| *o != before.owner_id) {
        require_person(tx.db(), owner_id, "ownerId").await?;
        replace_owner_stakeholder(tx, &before, owner_id).await?;
        events.push(Event::change(
            EventKind::ReleaseUpdated,
            "ownerId",
            Some(before.owner_id.to_string()),
            Some(owner_id.to_string()),
        ));
        row.owner_id = Set(owner_id);
    }
    let start = changes.planned_start.unwrap_or(before.planned_start);
    let end = changes.planned_end.unwrap_or(before.planned_end);
    if (start, end) != (before.planned_start, before.planned_end) {
        windows::check_release_move(tx.db(), &before, (start, end)).await?;
        for (field, old, new) in [
            ("plannedStart", before.planned_start, start),
            ("plannedEnd", before.planned_end, end),
        ] {
            if old != new {
                events.push(Event::change(
                    EventKind::ReleaseUpdated,
                    field,
                    validate::show_time(old),
                    validate::show_time(new),
                ));
            }
        }
        row.planned_start = Set(start);
        row.planned_end = Set(end);
    }
    if events.is_empty() {
        return Ok(before);
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(Subject::Release(id), events);
    Ok(saved)
}

/// Checks a user-given reason: required to reject or cancel, trimmed, bounded.
pub fn reason_for(action: ReleaseAction, reason: Option<String>) -> DomainResult<Option<String>> {
    let reason = match reason {
        Some(text) => Some(validate::optional_text(
            "reason",
            &text,
            validate::MAX_TEXT,
        )?)
        .filter(|r| !r.is_empty()),
        None => None,
    };
    if matches!(action, ReleaseAction::Reject | ReleaseAction::Cancel) && reason.is_none() {
        return Err(DomainError::validation(
            "reason",
            format!("a reason is required to {}", action.name()),
        ));
    }
    Ok(reason)
}

/// Records the post-implementation review of a release in REVIEW.
pub async fn record_review(
    tx: &mut Tx,
    id: i32,
    outcome: ReviewOutcome,
    lessons_learned: String,
) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let lessons = validate::required_text("lessonsLearned", &lessons_learned, validate::MAX_TEXT)?;
    let before = find_visible(tx, id).await?;
    if before.status != ReleaseStatus::Review {
        return Err(DomainError::validation(
            "id",
            format!(
                "a review is recorded while the release is in REVIEW (it is {})",
                lifecycle::status_name(before.status)
            ),
        ));
    }
    let events = vec![Event::change(
        EventKind::ReviewRecorded,
        "reviewOutcome",
        before.review_outcome.map(|o| o.to_value()),
        Some(outcome.to_value()),
    )
    .with_note(Some(lessons.clone()))];
    let row = release::ActiveModel {
        review_outcome: Set(Some(outcome)),
        lessons_learned: Set(Some(lessons)),
        ..Default::default()
    };
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(Subject::Release(id), events);
    Ok(saved)
}

/// The facts the lifecycle needs for each of `releases`, in a fixed number of queries.
pub async fn facts<C: ConnectionTrait>(
    db: &C,
    releases: &[release::Model],
) -> DomainResult<HashMap<i32, ReleaseFacts>> {
    let ids: Vec<i32> = releases.iter().map(|r| r.id).collect();
    let open_milestones: HashMap<i32, i64> = milestone::Entity::find()
        .select_only()
        .column(milestone::Column::ReleaseId)
        .column_as(milestone::Column::Id.count(), "n")
        .filter(milestone::Column::ReleaseId.is_in(ids.clone()))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .group_by(milestone::Column::ReleaseId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let master_ids: Vec<i32> = releases
        .iter()
        .filter(|r| r.scope == ReleaseScope::Master)
        .map(|r| r.id)
        .collect();
    let open_phases: HashMap<i32, i64> = if master_ids.is_empty() {
        HashMap::new()
    } else {
        release::Entity::find()
            .select_only()
            .column(release::Column::MasterId)
            .column_as(release::Column::Id.count(), "n")
            .filter(release::Column::MasterId.is_in(master_ids))
            .filter(release::Column::Status.is_not_in(ReleaseStatus::FINAL))
            .group_by(release::Column::MasterId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let parent_ids: Vec<i32> = releases.iter().filter_map(|r| r.master_id).collect();
    let master_status: HashMap<i32, ReleaseStatus> = if parent_ids.is_empty() {
        HashMap::new()
    } else {
        release::Entity::find()
            .select_only()
            .column(release::Column::Id)
            .column(release::Column::Status)
            .filter(release::Column::Id.is_in(parent_ids))
            .into_tuple::<(i32, ReleaseStatus)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(releases
        .iter()
        .map(|r| {
            let facts = ReleaseFacts {
                has_planned_window: r.planned_window().is_some(),
                open_milestones: count(open_milestones.get(&r.id)),
                review_recorded: r.review_outcome.is_some() && r.lessons_learned.is_some(),
                open_phases: count(open_phases.get(&r.id)),
                master_status: r.master_id.and_then(|m| master_status.get(&m).copied()),
            };
            (r.id, facts)
        })
        .collect())
}

fn count(n: Option<&i64>) -> u32 {
    n.map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX))
}

/// Moves `before` by `action` and records it; the cascades that follow the new
/// status are [`crate::workflow`]'s to run.
pub(crate) async fn apply(
    tx: &mut Tx,
    before: release::Model,
    action: ReleaseAction,
    reason: Option<String>,
) -> DomainResult<release::Model> {
    let facts = facts(tx.db(), std::slice::from_ref(&before))
        .await?
        .remove(&before.id)
        .unwrap_or_default();
    let to = lifecycle::next_status(before.status, action, &facts).map_err(|refusal| {
        DomainError::invalid_transition(
            lifecycle::status_name(before.status),
            action.name(),
            lifecycle::available_actions(before.status, &facts)
                .into_iter()
                .map(ReleaseAction::name),
            refusal,
        )
    })?;
    let mut row = release::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    match to {
        ReleaseStatus::Active if before.actual_start.is_none() => {
            row.actual_start = Set(Some(tx.now()))
        }
        ReleaseStatus::Closed => row.actual_end = Set(Some(tx.now())),
        ReleaseStatus::Cancelled => row.cancel_reason = Set(reason.clone()),
        _ => {}
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(
        Subject::Release(before.id),
        [Event::change(
            EventKind::ReleaseStatusChanged,
            "status",
            Some(lifecycle::status_name(before.status).to_owned()),
            Some(lifecycle::status_name(to).to_owned()),
        )
        .with_note(reason)],
    );
    Ok(saved)
}

/// The open phases of a master, to cancel with it.
pub(crate) async fn open_phases(tx: &Tx, master_id: i32) -> DomainResult<Vec<release::Model>> {
    Ok(release::Entity::find()
        .filter(release::Column::MasterId.eq(master_id))
        .filter(release::Column::Status.is_not_in(ReleaseStatus::FINAL))
        .all(tx.db())
        .await?)
}

async fn require_person<C: ConnectionTrait>(db: &C, id: i32, field: &str) -> DomainResult<()> {
    person::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| DomainError::validation(field, format!("no person {id}")))
}

async fn replace_owner_stakeholder(
    tx: &Tx,
    release: &release::Model,
    new_owner: i32,
) -> DomainResult<()> {
    stakeholder::Entity::delete_many()
        .filter(stakeholder::Column::ReleaseId.eq(release.id))
        .filter(stakeholder::Column::Role.eq(StakeholderRole::Owner))
        .exec(tx.db())
        .await?;
    add_owner_stakeholder(tx, release.id, new_owner).await
}

async fn add_owner_stakeholder(tx: &Tx, release_id: i32, owner_id: i32) -> DomainResult<()> {
    stakeholder::ActiveModel {
        release_id: Set(release_id),
        person_id: Set(owner_id),
        role: Set(StakeholderRole::Owner),
        notify: Set(true),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    Ok(())
}
