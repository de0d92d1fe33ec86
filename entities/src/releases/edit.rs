//! Editing a release: fields with history, the owner, the planned window, and
//! the post-implementation review.

use super::{add_owner_stakeholder, find_visible_locked, require_person};
use crate::entity::{
    release, stakeholder, EventKind, ReleaseStatus, ReviewOutcome, StakeholderRole,
};
use crate::kit::{check_version, save};
use crate::lifecycle::release::{self as lifecycle};
use crate::policy::Capability;
use crate::{validate, windows};
use crate::{DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set};

/// Input of [`update`]: `None` leaves a field alone; `Some(None)` clears a date.
#[derive(Debug, Clone, Default)]
pub struct ReleaseChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<i32>,
    pub planned_start: Option<Option<DateTime<Utc>>>,
    pub planned_end: Option<Option<DateTime<Utc>>>,
}

/// Edits a release that the caller read at `expected_version`.
pub async fn update(
    tx: &mut Tx,
    id: i32,
    changes: ReleaseChanges,
    expected_version: i32,
) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let before = find_visible_locked(tx, id).await?;
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
        let title = validate::title("title", &title)?;
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

/// Records the post-implementation review of a release in REVIEW.
pub async fn record_review(
    tx: &mut Tx,
    id: i32,
    outcome: ReviewOutcome,
    lessons_learned: String,
) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let lessons = validate::required_text("lessonsLearned", &lessons_learned, validate::MAX_TEXT)?;
    let before = find_visible_locked(tx, id).await?;
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
