//! Creating, editing and moving releases. Every operation is one transaction
//! that also writes its history events.

use crate::entity::{
    milestone, person, release, stakeholder, EventKind, MilestoneStatus, ReleaseScope,
    ReleaseStatus, ReleaseType, ReviewOutcome, StakeholderRole,
};
use crate::history::{self, Event};
use crate::lifecycle::release::{self as lifecycle, ReleaseAction, ReleaseFacts};
use crate::{milestones, templates, validate, DomainError, DomainResult, Stamp};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, DatabaseTransaction, QuerySelect};
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

/// Creates a release with its owner as stakeholder and, where the type asks for it,
/// milestones from a template.
pub async fn create(
    db: &DatabaseConnection,
    stamp: Stamp,
    new: NewRelease,
) -> DomainResult<release::Model> {
    let title = validate::required_text("title", &new.title, validate::MAX_TITLE)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    validate::window(new.planned_start, new.planned_end, "plannedEnd")?;

    let txn = crate::begin_write(db).await?;
    require_person(&txn, new.owner_id, "ownerId").await?;
    match (new.scope, new.master_id) {
        (ReleaseScope::Phase, None) => {
            return Err(DomainError::validation(
                "masterId",
                "a PHASE release needs a masterId",
            ))
        }
        (ReleaseScope::Phase, Some(master_id)) => {
            let master = release::Entity::find_by_id(master_id)
                .one(&txn)
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
            validate::inside(
                (new.planned_start, new.planned_end),
                (master.planned_start, master.planned_end),
                "a phase",
            )?;
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
            templates::default_for(&txn, new.release_type).await?
        }
        TemplateChoice::Default => None,
        TemplateChoice::Template(id) => Some(templates::find(&txn, id).await.map_err(|_| {
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
        created_at: Set(stamp.at),
        updated_at: Set(stamp.at),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    stakeholder::ActiveModel {
        release_id: Set(created.id),
        person_id: Set(new.owner_id),
        role: Set(StakeholderRole::Owner),
        notify: Set(true),
        created_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let mut events = vec![Event::change(
        EventKind::ReleaseCreated,
        "status",
        None,
        Some(lifecycle::status_name(ReleaseStatus::Draft).to_owned()),
    )];
    if let Some(template) = &template {
        let items = templates::items(&txn, template.id).await?;
        let added = milestones::insert_from_template(&txn, &stamp, created.id, &items).await?;
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
    history::record(&txn, &stamp, created.id, events).await?;
    crate::audit::record_success(&txn, &stamp).await?;
    txn.commit().await?;
    Ok(created)
}

/// Edits a release that the caller read at `expected_version`.
pub async fn update(
    db: &DatabaseConnection,
    stamp: Stamp,
    id: i32,
    changes: ReleaseChanges,
    expected_version: i32,
) -> DomainResult<release::Model> {
    let txn = crate::begin_write(db).await?;
    let before = find(&txn, id).await?;
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
        require_person(&txn, owner_id, "ownerId").await?;
        replace_owner_stakeholder(&txn, &stamp, &before, owner_id).await?;
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
        validate::window(start, end, "plannedEnd")?;
        check_window_against_relatives(&txn, &before, start, end).await?;
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
        crate::audit::record_success(&txn, &stamp).await?;
        txn.commit().await?;
        return Ok(before);
    }
    let saved = save(&txn, &stamp, &before, row).await?;
    history::record(&txn, &stamp, id, events).await?;
    crate::audit::record_success(&txn, &stamp).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Applies a lifecycle action chosen by a user. `reason` is required to reject or cancel.
/// A non-empty `only_from` limits the statuses the caller may act from (checked in the
/// same transaction, so a concurrent change cannot slip past it).
pub async fn transition(
    db: &DatabaseConnection,
    stamp: Stamp,
    id: i32,
    action: ReleaseAction,
    reason: Option<String>,
    only_from: &[ReleaseStatus],
) -> DomainResult<release::Model> {
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
    let txn = crate::begin_write(db).await?;
    let before = find(&txn, id).await?;
    if !only_from.is_empty() && !only_from.contains(&before.status) {
        return Err(DomainError::Forbidden(format!(
            "you may {} a release only while it is {}",
            action.name(),
            only_from
                .iter()
                .map(|s| lifecycle::status_name(*s))
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    let after = apply(&txn, &stamp, before, action, reason).await?;
    crate::audit::record_success(&txn, &stamp).await?;
    txn.commit().await?;
    Ok(after)
}

/// Records the post-implementation review of a release in REVIEW.
pub async fn record_review(
    db: &DatabaseConnection,
    stamp: Stamp,
    id: i32,
    outcome: ReviewOutcome,
    lessons_learned: String,
) -> DomainResult<release::Model> {
    let lessons = validate::required_text("lessonsLearned", &lessons_learned, validate::MAX_TEXT)?;
    let txn = crate::begin_write(db).await?;
    let before = find(&txn, id).await?;
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
    let saved = save(&txn, &stamp, &before, row).await?;
    history::record(&txn, &stamp, id, events).await?;
    crate::audit::record_success(&txn, &stamp).await?;
    txn.commit().await?;
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

/// Runs `action` on `before` inside `txn`, with its side effects: milestones
/// activated on start, and open milestones and phases cancelled with the release.
pub(crate) async fn apply(
    txn: &DatabaseTransaction,
    stamp: &Stamp,
    before: release::Model,
    action: ReleaseAction,
    reason: Option<String>,
) -> DomainResult<release::Model> {
    let facts = facts(txn, std::slice::from_ref(&before))
        .await?
        .remove(&before.id)
        .unwrap_or_default();
    let to = lifecycle::next_status(before.status, action, &facts).map_err(|refusal| {
        DomainError::InvalidTransition {
            from: lifecycle::status_name(before.status).to_owned(),
            action: action.name().to_owned(),
            allowed: lifecycle::available_actions(before.status, &facts)
                .into_iter()
                .map(|a| a.name().to_owned())
                .collect(),
            message: refusal.0,
        }
    })?;

    let mut row = release::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    match to {
        ReleaseStatus::Active if before.actual_start.is_none() => {
            row.actual_start = Set(Some(stamp.at))
        }
        ReleaseStatus::Closed => row.actual_end = Set(Some(stamp.at)),
        ReleaseStatus::Cancelled => row.cancel_reason = Set(reason.clone()),
        _ => {}
    }
    let saved = save(txn, stamp, &before, row).await?;
    history::record(
        txn,
        stamp,
        before.id,
        vec![Event::change(
            EventKind::ReleaseStatusChanged,
            "status",
            Some(lifecycle::status_name(before.status).to_owned()),
            Some(lifecycle::status_name(to).to_owned()),
        )
        .with_note(reason.clone())],
    )
    .await?;

    match to {
        ReleaseStatus::Active => {
            milestones::activate_next(txn, stamp, before.id).await?;
        }
        ReleaseStatus::Cancelled => {
            milestones::cancel_open(txn, stamp, before.id).await?;
            let open_phases = release::Entity::find()
                .filter(release::Column::MasterId.eq(before.id))
                .filter(release::Column::Status.is_not_in(ReleaseStatus::FINAL))
                .all(txn)
                .await?;
            let note = Some(format!("master release {} was cancelled", before.id));
            for phase in open_phases {
                Box::pin(apply(
                    txn,
                    stamp,
                    phase,
                    ReleaseAction::Cancel,
                    note.clone(),
                ))
                .await?;
            }
        }
        _ => {}
    }
    Ok(saved)
}

/// Writes `row` over `before` if nobody changed the release meanwhile; bumps the version.
async fn save(
    txn: &DatabaseTransaction,
    stamp: &Stamp,
    before: &release::Model,
    mut row: release::ActiveModel,
) -> DomainResult<release::Model> {
    row.version = Set(before.version + 1);
    row.updated_at = Set(stamp.at);
    let result = release::Entity::update_many()
        .set(row)
        .filter(release::Column::Id.eq(before.id))
        .filter(release::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::Conflict(format!(
            "release {} was changed by someone else; reload it and try again",
            before.id
        )));
    }
    find(txn, before.id).await
}

fn check_version(release: &release::Model, expected: i32) -> DomainResult<()> {
    if release.version == expected {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!(
            "release {} is at version {}, not {expected}; reload it and try again",
            release.id, release.version
        )))
    }
}

async fn require_person<C: ConnectionTrait>(db: &C, id: i32, field: &str) -> DomainResult<()> {
    person::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| DomainError::validation(field, format!("no person {id}")))
}

/// A phase must stay inside its master; a master must keep covering its phases.
async fn check_window_against_relatives(
    txn: &DatabaseTransaction,
    release: &release::Model,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> DomainResult<()> {
    if let Some(master_id) = release.master_id {
        let master = find(txn, master_id).await?;
        validate::inside(
            (start, end),
            (master.planned_start, master.planned_end),
            "a phase",
        )?;
    }
    if release.scope == ReleaseScope::Master {
        let phases = release::Entity::find()
            .filter(release::Column::MasterId.eq(release.id))
            .filter(release::Column::Status.ne(ReleaseStatus::Cancelled))
            .all(txn)
            .await?;
        for phase in phases {
            validate::inside(
                (phase.planned_start, phase.planned_end),
                (start, end),
                &format!("phase {}", phase.id),
            )
            .map_err(|_| {
                DomainError::validation(
                    "plannedStart",
                    format!(
                        "the master's window must cover phase {} ({} to {})",
                        phase.id,
                        validate::show_time(phase.planned_start).unwrap_or_else(|| "open".into()),
                        validate::show_time(phase.planned_end).unwrap_or_else(|| "open".into())
                    ),
                )
            })?;
        }
    }
    Ok(())
}

async fn replace_owner_stakeholder(
    txn: &DatabaseTransaction,
    stamp: &Stamp,
    release: &release::Model,
    new_owner: i32,
) -> DomainResult<()> {
    stakeholder::Entity::delete_many()
        .filter(stakeholder::Column::ReleaseId.eq(release.id))
        .filter(stakeholder::Column::Role.eq(StakeholderRole::Owner))
        .exec(txn)
        .await?;
    stakeholder::ActiveModel {
        release_id: Set(release.id),
        person_id: Set(new_owner),
        role: Set(StakeholderRole::Owner),
        notify: Set(true),
        created_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
