//! The audit trail of mutations. A successful change writes its audit event in
//! its own transaction (through the [`Stamp`] built here); a refused or failed
//! attempt is recorded by the [`AuditTrail`] extension after the fact.

use crate::auth::Viewer;
use crate::context::AppContext;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{Context, Name, ServerResult, Value, Variables};
use entities::audit::{self, AuditContext, AuditEntry};
use entities::Stamp;
use std::sync::Arc;

/// What the audit trail needs to know about the request being executed.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub variables: Variables,
}

/// The stamp of a change made by the current mutation field: time, actor, and the
/// audit event to commit with the change.
pub fn stamp(ctx: &Context<'_>, viewer: &Viewer, services: &AppContext) -> Stamp {
    let audit = ctx.data_opt::<RequestMeta>().map(|meta| {
        let field = ctx.field();
        Arc::new(AuditContext {
            token_id: viewer.token_id,
            request_id: meta.request_id.clone(),
            operation: field.name().to_owned(),
            arguments: field.arguments().ok().map(arguments_json),
        })
    });
    Stamp {
        at: services.clock.now(),
        actor: viewer.actor(),
        audit,
    }
}

/// Arguments as a JSON object, for the audit trail.
fn arguments_json(arguments: Vec<(Name, Value)>) -> String {
    let object: serde_json::Map<String, serde_json::Value> = arguments
        .into_iter()
        .map(|(name, value)| {
            let json = value.into_json().unwrap_or(serde_json::Value::Null);
            (name.to_string(), json)
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// The audit extension; add it to the schema once.
pub struct AuditTrail;

impl ExtensionFactory for AuditTrail {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditTrailExtension)
    }
}

struct AuditTrailExtension;

#[async_trait::async_trait]
impl Extension for AuditTrailExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let is_mutation = info.path_node.parent.is_none() && info.parent_type == "MutationRoot";
        if !is_mutation {
            return next.run(ctx, info).await;
        }
        let operation = info.name.to_owned();
        let meta = ctx.data_opt::<RequestMeta>().cloned();
        let arguments = meta.as_ref().map(|meta| {
            let resolved = info
                .field
                .arguments
                .iter()
                .map(|(name, value)| {
                    let value = value
                        .node
                        .clone()
                        .into_const_with(|var| meta.variables.get(&var).cloned().ok_or(()))
                        .unwrap_or(Value::Null);
                    (name.node.clone(), value)
                })
                .collect();
            arguments_json(resolved)
        });
        let result = next.run(ctx, info).await;
        // Successes were recorded inside the change's own transaction.
        let Err(error) = &result else {
            return result;
        };
        let outcome = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "ERROR".to_owned());
        if let (Ok(services), Some(meta)) = (ctx.data::<AppContext>(), meta) {
            let viewer = ctx.data_opt::<Viewer>();
            let entry = AuditEntry {
                occurred_at: services.clock.now(),
                actor_id: viewer.map(|v| v.person.id),
                token_id: viewer.and_then(|v| v.token_id),
                request_id: meta.request_id,
                operation: operation.clone(),
                outcome,
                arguments,
            };
            if let Err(err) = audit::record(&services.db, entry).await {
                tracing::error!(error = %err, operation, "could not write the audit event");
            }
        }
        result
    }
}
