//! Writes one audit event per mutation field: actor, token, request id, arguments
//! and outcome, including refused attempts.

use super::Services;
use crate::auth::Viewer;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value, Variables};
use entities::audit::{self, AuditEntry};
use std::sync::Arc;

/// What the audit trail needs to know about the request being executed.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub variables: Variables,
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
            let args: serde_json::Map<String, serde_json::Value> = info
                .field
                .arguments
                .iter()
                .map(|(name, value)| {
                    let resolved = value
                        .node
                        .clone()
                        .into_const_with(|var| meta.variables.get(&var).cloned().ok_or(()))
                        .ok()
                        .and_then(|v| v.into_json().ok())
                        .unwrap_or(serde_json::Value::Null);
                    (name.node.to_string(), resolved)
                })
                .collect();
            serde_json::Value::Object(args).to_string()
        });
        let result = next.run(ctx, info).await;
        let outcome = match &result {
            Ok(_) => "OK".to_owned(),
            Err(error) => error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|c| match c {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "ERROR".to_owned()),
        };
        if let (Ok(services), Some(meta)) = (ctx.data::<Services>(), meta) {
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
