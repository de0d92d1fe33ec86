//! Adding and editing milestones, from a user or a template.

use super::{count_open, find_visible_locked};
use crate::entity::{milestone, release, template_item, EventKind, MilestoneStatus, ReleaseStatus};
use crate::kit::save;
use crate::lifecycle::milestone as lifecycle;
use crate::lifecycle::release::status_name as release_status_name;
use crate::policy::Capability;
use crate::rows::Positional;
use crate::shapes::Shape;
use crate::{releases, validate, windows, DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ExprTrait, Func, InsertStatement, Query};
use sea_orm::{prelude::*, ActiveEnum, ActiveValue::Set, FromQueryResult, Iterable};

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

/// Appends a milestone to a release that is still being planned or run. In an
/// ACTIVE release with no open milestone it starts at once.
pub async fn add(tx: &mut Tx, new: NewMilestone) -> DomainResult<milestone::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let title = validate::title("title", &new.title)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    windows::ordered((new.planned_start, new.planned_end), "plannedEnd")?;
    // the release is read, and the next sequence number taken, under its lock
    let release = releases::find_visible_locked(tx, new.release_id).await?;
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
    let starts_now =
        release.status == ReleaseStatus::Active && count_open(txn, release.id).await? == 0;
    let status = if starts_now {
        MilestoneStatus::Active
    } else {
        MilestoneStatus::Planned
    };
    let values = vec![
        release.id.into(),
        0.into(),
        1.into(),
        release.id.into(),
        title.clone().into(),
        description.clone().into(),
        status.into_value().into(),
        new.requires_approval.into(),
        new.planned_start.into(),
        new.planned_end.into(),
        starts_now.then_some(tx.now()).into(),
        Option::<DateTime<Utc>>::None.into(),
        tx.now().into(),
        tx.now().into(),
        1.into(),
    ];
    static INSERT: Shape = Shape::new();
    let statement = INSERT.statement(txn.get_database_backend(), values, || {
        insert_statement(
            &release,
            &title,
            &description,
            status,
            &new,
            starts_now,
            tx.now(),
        )
    });
    let created = Positional::<milestone::Model>::find_by_statement(statement)
        .one(txn)
        .await?
        .ok_or(DbErr::RecordNotInserted)?
        .0;
    tx.record(
        Subject::Release(release.id),
        [
            Event::change(EventKind::MilestoneAdded, "title", None, Some(title))
                .on_milestone(created.id),
        ],
    );
    Ok(created)
}

/// The insert of a new milestone, its sequence number taken in the insert itself
/// under the release's lock; `add` binds the same values in this order.
fn insert_statement(
    release: &release::Model,
    title: &str,
    description: &str,
    status: MilestoneStatus,
    new: &NewMilestone,
    starts_now: bool,
    now: DateTime<Utc>,
) -> InsertStatement {
    let next_sequence = Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .expr(
                    Expr::from(Func::coalesce([
                        Expr::col(milestone::Column::Sequence).max(),
                        Expr::val(0),
                    ]))
                    .add(1),
                )
                .from(milestone::Entity)
                .and_where(Expr::col(milestone::Column::ReleaseId).eq(release.id))
                .to_owned()
                .into(),
        ),
    );
    use milestone::Column as C;
    Query::insert()
        .into_table(milestone::Entity)
        .columns([
            C::ReleaseId,
            C::Sequence,
            C::Title,
            C::Description,
            C::Status,
            C::RequiresApproval,
            C::PlannedStart,
            C::PlannedEnd,
            C::ActualStart,
            C::ActualEnd,
            C::CreatedAt,
            C::UpdatedAt,
            C::Version,
        ])
        .values_panic([
            release.id.into(),
            next_sequence,
            title.into(),
            description.into(),
            status.into_value().into(),
            new.requires_approval.into(),
            new.planned_start.into(),
            new.planned_end.into(),
            starts_now.then_some(now).into(),
            Option::<DateTime<Utc>>::None.into(),
            now.into(),
            now.into(),
            1.into(),
        ])
        // every column by name, in the model's order, so the row is read by position
        .returning(Query::returning().columns(milestone::Column::iter()))
        .to_owned()
}

/// Edits an open milestone; with `expected_version` the edit fails if it changed meanwhile.
pub async fn update(
    tx: &mut Tx,
    id: i32,
    changes: MilestoneChanges,
    expected_version: Option<i32>,
) -> DomainResult<milestone::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let (release, before) = find_visible_locked(tx, id).await?;
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
        let title = validate::title("title", &title)?;
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
