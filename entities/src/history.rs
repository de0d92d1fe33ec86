//! Writing and reading the event rows that make up `Release.history`.

use crate::entity::{release_event, EventKind};
use crate::{DomainResult, Stamp};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};
use std::collections::HashMap;

/// One change to record; the release, actor and time come from the caller.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    pub milestone_id: Option<i32>,
    pub field: Option<String>,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
}

impl Event {
    /// An event of `kind` with nothing else filled in.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            milestone_id: None,
            field: None,
            from_value: None,
            to_value: None,
            note: None,
        }
    }

    /// A change of `field` from one value to another.
    pub fn change(
        kind: EventKind,
        field: &str,
        from_value: Option<String>,
        to_value: Option<String>,
    ) -> Self {
        Self {
            field: Some(field.to_owned()),
            from_value,
            to_value,
            ..Self::new(kind)
        }
    }

    /// The same event, about one milestone.
    pub fn on_milestone(mut self, milestone_id: i32) -> Self {
        self.milestone_id = Some(milestone_id);
        self
    }

    /// The same event, with a free-text note (a reason, a comment).
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

/// Writes `events` for `release_id` in one statement, inside the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    stamp: &Stamp,
    release_id: i32,
    events: Vec<Event>,
) -> DomainResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events.into_iter().map(|event| release_event::ActiveModel {
        release_id: Set(release_id),
        milestone_id: Set(event.milestone_id),
        actor_id: Set(stamp.actor_id),
        kind: Set(event.kind),
        field: Set(event.field),
        from_value: Set(event.from_value),
        to_value: Set(event.to_value),
        note: Set(event.note),
        occurred_at: Set(stamp.at),
        ..Default::default()
    });
    release_event::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// The history of each release in `release_ids`, oldest first, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<release_event::Model>>> {
    let rows = release_event::Entity::find()
        .filter(release_event::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(release_event::Column::Id)
        .all(db)
        .await?;
    let mut grouped: HashMap<i32, Vec<release_event::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.release_id).or_default().push(row);
    }
    Ok(grouped)
}
