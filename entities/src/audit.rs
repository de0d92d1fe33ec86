//! The audit trail of mutations.

use crate::entity::audit_event;
use crate::{DomainResult, Stamp};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

/// What the API knows about the call making a change, so the change's transaction
/// can write its audit event.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub token_id: Option<i32>,
    pub request_id: String,
    pub operation: String,
    pub arguments: Option<String>,
}

/// Writes the successful-call audit event of `stamp`, if it carries one; call it in
/// the change's transaction, just before commit.
pub async fn record_success<C: ConnectionTrait>(db: &C, stamp: &Stamp) -> DomainResult<()> {
    match success_entry(stamp) {
        Some(entry) => record(db, entry).await,
        None => Ok(()),
    }
}

/// The audit event of the change `stamp` makes, if it is audited.
pub(crate) fn success_entry(stamp: &Stamp) -> Option<AuditEntry> {
    let context = stamp.audit.as_ref()?;
    Some(AuditEntry {
        occurred_at: stamp.at,
        actor_id: stamp.actor.person_id(),
        token_id: context.token_id,
        request_id: context.request_id.clone(),
        operation: context.operation.clone(),
        outcome: "OK".into(),
        arguments: context.arguments.clone(),
    })
}

/// One mutation attempt to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<i32>,
    pub token_id: Option<i32>,
    pub request_id: String,
    pub operation: String,
    pub outcome: String,
    pub arguments: Option<String>,
}

impl AuditEntry {
    /// The row to insert.
    pub(crate) fn row(self) -> audit_event::ActiveModel {
        audit_event::ActiveModel {
            occurred_at: Set(self.occurred_at),
            actor_id: Set(self.actor_id),
            token_id: Set(self.token_id),
            request_id: Set(self.request_id),
            operation: Set(self.operation),
            outcome: Set(self.outcome),
            arguments: Set(self.arguments),
            ..Default::default()
        }
    }
}

/// Which audit events to list; newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i32>,
    pub operation: Option<String>,
    pub request_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Only events older than this id (for paging backwards).
    pub before_id: Option<i32>,
}

/// Writes one audit event.
pub async fn record<C: ConnectionTrait>(db: &C, entry: AuditEntry) -> DomainResult<()> {
    // nothing reads the row back, so none is returned and decoded
    audit_event::Entity::insert(entry.row())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Audit events matching `filter`, newest first, at most `limit`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AuditFilter,
    limit: u64,
) -> DomainResult<Vec<audit_event::Model>> {
    use audit_event::Column as C;
    if let Some(operation) = &filter.operation {
        crate::validate::optional_text("filter.operation", operation, crate::validate::MAX_TITLE)?;
    }
    if let Some(request_id) = &filter.request_id {
        crate::validate::optional_text("filter.requestId", request_id, crate::validate::MAX_TITLE)?;
    }
    if let Some(since) = filter.since {
        crate::validate::instant("filter.since", since)?;
    }
    let mut query = audit_event::Entity::find();
    if let Some(actor_id) = filter.actor_id {
        query = query.filter(C::ActorId.eq(actor_id));
    }
    if let Some(operation) = &filter.operation {
        query = query.filter(C::Operation.eq(operation.clone()));
    }
    if let Some(request_id) = &filter.request_id {
        query = query.filter(C::RequestId.eq(request_id.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(C::OccurredAt.gte(since));
    }
    if let Some(before_id) = filter.before_id {
        query = query.filter(C::Id.lt(before_id));
    }
    Ok(query.order_by_desc(C::Id).limit(limit).all(db).await?)
}
