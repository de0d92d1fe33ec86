//! The history of a release as GraphQL objects.

use super::people::{load_person, Person};
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{history_event, EventKind};

/// One recorded change to a release, one of its milestones or a change request.
pub struct ReleaseEvent(pub history_event::Model);

// serial: its fields read the row or the warmed loader (see graphql/mod.rs)
#[Object(serial)]
impl ReleaseEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> EventKind {
        self.0.kind
    }
    /// The milestone the change was about, if any.
    async fn milestone_id(&self) -> Option<ID> {
        self.0.milestone_id.map(|id| ID(id.to_string()))
    }
    /// Who made the change, when known.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.actor_id).await
    }
    /// The changed field, in API spelling.
    async fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }
    async fn from(&self) -> Option<&str> {
        self.0.from_value.as_deref()
    }
    async fn to(&self) -> Option<&str> {
        self.0.to_value.as_deref()
    }
    /// A reason or comment given with the change.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}
