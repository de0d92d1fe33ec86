//! Adding, editing and moving milestones, and keeping them in sequence. The
//! cascades (next milestone, release to REVIEW) are [`crate::workflow`]'s.

use crate::entity::{milestone, release, template_item, EventKind, MilestoneStatus, ReleaseStatus};
use crate::kit::{group_by, save};
use crate::lifecycle::milestone::{self as lifecycle, MilestoneAction, MilestoneFacts};
use crate::lifecycle::release::status_name as release_status_name;
use crate::policy::Capability;
use crate::{releases, validate, windows, DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{
    prelude::*,
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// Input of [`add`].
#[derive(Debug, Clone)]
pub struct NewMilestone {
    pub release_id: i32,
    pub title: String,
    pub description: String,
    pub requires_approval: bool,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
}

/// Input of [`update`]: `None` leaves a field alone; `Some(None)` clears a date.
#[derive(Debug, Clone, Default)]
pub struct MilestoneChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub requires_approval: Option<bool>,
    pub planned_start: Option<Option<DateTime<Utc>>>,
    pub planned_end: Option<Option<DateTime<Utc>>>,
}

/// Loads one milestone or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<milestone::Model> {
    milestone::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("milestone", id))
}

/// The milestones of each release in `release_ids`, in sequence, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<milestone::Model>>> {
    let rows = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(milestone::Column::ReleaseId)
        .order_by_asc(milestone::Column::Sequence)
        .all(db)
        .await?;
    Ok(group_by(rows, |row| row.release_id))
}

/// Loads a milestone of a release the actor of `tx` may see, or answers `NotFound`.
pub async fn find_visible(tx: &Tx, id: i32) -> DomainResult<milestone::Model> {
    let milestone = find(tx.db(), id).await?;
    releases::find_visible(tx, milestone.release_id)
        .await
        .map_err(|_| DomainError::not_found("milestone", id))?;
    Ok(milestone)
}

/// Appends a milestone to a release that is still being planned or run. In an
/// ACTIVE release with no open milestone it starts at once.
pub async fn add(tx: &mut Tx, new: NewMilestone) -> DomainResult<milestone::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let title = validate::required_text("title", &new.title, validate::MAX_TITLE)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    windows::ordered((new.planned_start, new.planned_end), "plannedEnd")?;
    let release = releases::find_visible(tx, new.release_id).await?;
    let txn = tx.db();
    if !release.status.is_open() || release.status == ReleaseStatus::Review {
        return Err(DomainError::validation(
            "releaseId",
            format!(
                "a {} release takes no new milestones",
                release_status_name(release.status)
            ),
        ));
    }
    windows::check_milestone(&release, (new.planned_start, new.planned_end))?;
    let last_sequence: Option<i32> = milestone::Entity::find()
        .select_only()
        .column_as(milestone::Column::Sequence.max(), "s")
        .filter(milestone::Column::ReleaseId.eq(release.id))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    let starts_now =
        release.status == ReleaseStatus::Active && count_open(txn, release.id).await? == 0;
    let created = milestone::ActiveModel {
        release_id: Set(release.id),
        sequence: Set(last_sequence.unwrap_or(0) + 1),
        title: Set(title.clone()),
        description: Set(description),
        status: Set(if starts_now {
            MilestoneStatus::Active
        } else {
            MilestoneStatus::Planned
        }),
        requires_approval: Set(new.requires_approval),
        planned_start: Set(new.planned_start),
        planned_end: Set(new.planned_end),
        actual_start: Set(starts_now.then_some(tx.now())),
        actual_end: Set(None),
        created_at: Set(tx.now()),
        updated_at: Set(tx.now()),
        version: Set(1),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    tx.record(
        Subject::Release(release.id),
        [
            Event::change(EventKind::MilestoneAdded, "title", None, Some(title))
                .on_milestone(created.id),
        ],
    );
    Ok(created)
}

/// Edits an open milestone; with `expected_version` the edit fails if it changed meanwhile.
pub async fn update(
    tx: &mut Tx,
    id: i32,
    changes: MilestoneChanges,
    expected_version: Option<i32>,
) -> DomainResult<milestone::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let before = find_visible(tx, id).await?;
    if let Some(expected) = expected_version {
        crate::kit::check_version(&before, expected)?;
    }
    if !before.status.is_open() {
        return Err(DomainError::validation(
            "id",
            format!(
                "a {} milestone can no longer be edited",
                lifecycle::status_name(before.status)
            ),
        ));
    }
    let mut row: milestone::ActiveModel = Default::default();
    let mut events = Vec::new();
    let change = |field: &str, from: String, to: String| {
        Event::change(EventKind::MilestoneUpdated, field, Some(from), Some(to)).on_milestone(id)
    };
    if let Some(title) = changes.title {
        let title = validate::required_text("title", &title, validate::MAX_TITLE)?;
        if title != before.title {
            events.push(change("title", before.title.clone(), title.clone()));
            row.title = Set(title);
        }
    }
    if let Some(description) = changes.description {
        let description = validate::optional_text("description", &description, validate::MAX_TEXT)?;
        if description != before.description {
            events.push(change(
                "description",
                before.description.clone(),
                description.clone(),
            ));
            row.description = Set(description);
        }
    }
    if let Some(requires) = changes
        .requires_approval
        .filter(|r| *r != before.requires_approval)
    {
        if before.status == MilestoneStatus::PendingApproval {
            return Err(DomainError::validation(
                "requiresApproval",
                "the approval requirement cannot change while an approval is pending",
            ));
        }
        events.push(change(
            "requiresApproval",
            before.requires_approval.to_string(),
            requires.to_string(),
        ));
        row.requires_approval = Set(requires);
    }
    let start = changes.planned_start.unwrap_or(before.planned_start);
    let end = changes.planned_end.unwrap_or(before.planned_end);
    if (start, end) != (before.planned_start, before.planned_end) {
        let release = releases::find(tx.db(), before.release_id).await?;
        windows::check_milestone(&release, (start, end))?;
        for (field, old, new) in [
            ("plannedStart", before.planned_start, start),
            ("plannedEnd", before.planned_end, end),
        ] {
            if old != new {
                events.push(
                    Event::change(
                        EventKind::MilestoneUpdated,
                        field,
                        validate::show_time(old),
                        validate::show_time(new),
                    )
                    .on_milestone(id),
                );
            }
        }
        row.planned_start = Set(start);
        row.planned_end = Set(end);
    }
    if events.is_empty() {
        return Ok(before);
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(Subject::Release(before.release_id), events);
    Ok(saved)
}

/// Moves milestone `before` of `release` by `action` and records it; what follows
/// (the next milestone, the release to REVIEW) is [`crate::workflow`]'s to run.
pub(crate) async fn apply(
    tx: &mut Tx,
    release: &release::Model,
    before: milestone::Model,
    action: MilestoneAction,
) -> DomainResult<milestone::Model> {
    let earlier_open = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release.id))
        .filter(milestone::Column::Sequence.lt(before.sequence))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .count(tx.db())
        .await?;
    let facts = MilestoneFacts {
        release_status: release.status,
        requires_approval: before.requires_approval,
        is_next_in_sequence: earlier_open == 0,
    };
    let to = lifecycle::next_status(before.status, action, &facts).map_err(|refusal| {
        DomainError::invalid_transition(
            lifecycle::status_name(before.status),
            action.name(),
            lifecycle::available_actions(before.status, &facts)
                .into_iter()
                .map(MilestoneAction::name),
            refusal,
        )
    })?;
    let mut row = milestone::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    if to == MilestoneStatus::Active && before.actual_start.is_none() {
        row.actual_start = Set(Some(tx.now()));
    }
    if !to.is_open() {
        row.actual_end = Set(Some(tx.now()));
    }
    let saved = save(tx.db(), tx.now(), &before, row).await?;
    tx.record(Subject::Release(release.id), [status_event(&before, to)]);
    Ok(saved)
}

/// The actions that would succeed on each milestone, in a fixed number of queries.
pub async fn available_actions<C: ConnectionTrait>(
    db: &C,
    milestones: &[milestone::Model],
) -> DomainResult<HashMap<i32, Vec<MilestoneAction>>> {
    let release_ids: Vec<i32> = milestones.iter().map(|m| m.release_id).collect();
    let statuses: HashMap<i32, ReleaseStatus> = release::Entity::find()
        .select_only()
        .column(release::Column::Id)
        .column(release::Column::Status)
        .filter(release::Column::Id.is_in(release_ids.clone()))
        .into_tuple::<(i32, ReleaseStatus)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let first_open: HashMap<i32, i32> = milestone::Entity::find()
        .select_only()
        .column(milestone::Column::ReleaseId)
        .column_as(milestone::Column::Sequence.min(), "s")
        .filter(milestone::Column::ReleaseId.is_in(release_ids))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .group_by(milestone::Column::ReleaseId)
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(milestones
        .iter()
        .map(|m| {
            let facts = MilestoneFacts {
                release_status: statuses
                    .get(&m.release_id)
                    .copied()
                    .unwrap_or(ReleaseStatus::Cancelled),
                requires_approval: m.requires_approval,
                is_next_in_sequence: first_open
                    .get(&m.release_id)
                    .is_none_or(|s| *s >= m.sequence),
            };
            (m.id, lifecycle::available_actions(m.status, &facts))
        })
        .collect())
}

/// Creates the milestones of a template for a new release.
pub(crate) async fn insert_from_template(
    tx: &Tx,
    release_id: i32,
    items: &[template_item::Model],
) -> DomainResult<Vec<milestone::Model>> {
    let mut created = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let row = milestone::ActiveModel {
            release_id: Set(release_id),
            sequence: Set(i32::try_from(index).unwrap_or(i32::MAX - 1) + 1),
            title: Set(item.title.clone()),
            description: Set(item.description.clone()),
            status: Set(MilestoneStatus::Planned),
            requires_approval: Set(item.requires_approval),
            planned_start: Set(None),
            planned_end: Set(None),
            actual_start: Set(None),
            actual_end: Set(None),
            created_at: Set(tx.now()),
            updated_at: Set(tx.now()),
            version: Set(1),
            ..Default::default()
        };
        created.push(row.insert(tx.db()).await?);
    }
    Ok(created)
}

/// Starts the first PLANNED milestone of a release unless one is already running.
pub(crate) async fn activate_next(
    tx: &mut Tx,
    release_id: i32,
) -> DomainResult<Option<milestone::Model>> {
    let txn = tx.db();
    let running = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(
            milestone::Column::Status
                .is_in([MilestoneStatus::Active, MilestoneStatus::PendingApproval]),
        )
        .count(txn)
        .await?;
    if running > 0 {
        return Ok(None);
    }
    let Some(next) = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(milestone::Column::Status.eq(MilestoneStatus::Planned))
        .order_by_asc(milestone::Column::Sequence)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let row = milestone::ActiveModel {
        status: Set(MilestoneStatus::Active),
        actual_start: Set(Some(tx.now())),
        ..Default::default()
    };
    let saved = save(txn, tx.now(), &next, row).await?;
    tx.record(
        Subject::Release(release_id),
        [status_event(&next, MilestoneStatus::Active).with_note(Some("next in sequence".into()))],
    );
    Ok(Some(saved))
}

/// Cancels every open milestone of a cancelled release in one statement.
pub(crate) async fn cancel_open(tx: &mut Tx, release_id: i32) -> DomainResult<()> {
    let (txn, at) = (tx.db(), tx.now());
    let open = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .all(txn)
        .await?;
    if open.is_empty() {
        return Ok(());
    }
    milestone::Entity::update_many()
        .col_expr(
            milestone::Column::Status,
            Expr::value(MilestoneStatus::Cancelled),
        )
        .col_expr(milestone::Column::ActualEnd, Expr::value(Some(at)))
        .col_expr(milestone::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            milestone::Column::Version,
            Expr::col(milestone::Column::Version).add(1),
        )
        .filter(milestone::Column::Id.is_in(open.iter().map(|m| m.id)))
        .exec(txn)
        .await?;
    let events = open.iter().map(|m| {
        status_event(m, MilestoneStatus::Cancelled).with_note(Some("release cancelled".into()))
    });
    tx.record(Subject::Release(release_id), events.collect::<Vec<_>>());
    Ok(())
}

/// Milestones of a release still PLANNED, ACTIVE or PENDING_APPROVAL.
pub(crate) async fn count_open<C: ConnectionTrait>(db: &C, release_id: i32) -> DomainResult<u64> {
    Ok(milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release_id))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .count(db)
        .await?)
}

fn status_event(before: &milestone::Model, to: MilestoneStatus) -> Event {
    Event::change(
        EventKind::MilestoneStatusChanged,
        "status",
        Some(lifecycle::status_name(before.status).to_owned()),
        Some(lifecycle::status_name(to).to_owned()),
    )
    .on_milestone(before.id)
}
