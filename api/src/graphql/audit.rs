//! The audit trail of mutations. A successful change writes its audit event in
//! its own transaction (through the [`Stamp`] built here); a refused or failed
//! attempt is recorded by the [`AuditTrail`] extension after the fact.

use crate::auth::Viewer;
use crate::context::AppContext;
use crate::graphql::limits::request_data;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest, NextResolve,
    ResolveInfo,
};
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{
    Context, Name, Request, Response, ServerError, ServerResult, Value, Variables,
};
use entities::audit::{self, AuditContext, AuditEntry};
use entities::Stamp;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::Mutex;

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

/// Longest string kept in an audit row's arguments; longer ones are cut and
/// their full length noted.
const MAX_AUDITED_STRING: usize = 1_000;
/// Largest arguments object kept in an audit row, in bytes of JSON.
const MAX_AUDITED_ARGUMENTS: usize = 16 * 1024;

/// Arguments as a JSON object for the audit trail, bounded in size: long strings
/// are cut, and an object still too large is replaced by its size.
pub(crate) fn arguments_json(arguments: Vec<(Name, Value)>) -> String {
    let object: serde_json::Map<String, serde_json::Value> = arguments
        .into_iter()
        .map(|(name, value)| {
            let json = value.into_json().unwrap_or(serde_json::Value::Null);
            (name.to_string(), bounded(json))
        })
        .collect();
    let text = serde_json::Value::Object(object).to_string();
    if text.len() <= MAX_AUDITED_ARGUMENTS {
        text
    } else {
        serde_json::json!({ "truncated": true, "originalBytes": text.len() }).to_string()
    }
}

fn bounded(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        J::String(text) if text.chars().count() > MAX_AUDITED_STRING => {
            let kept: String = text.chars().take(MAX_AUDITED_STRING).collect();
            J::String(format!(
                "{kept}… (cut; {} characters in all)",
                text.chars().count()
            ))
        }
        J::Array(items) => J::Array(items.into_iter().map(bounded).collect()),
        J::Object(fields) => J::Object(fields.into_iter().map(|(k, v)| (k, bounded(v))).collect()),
        other => other,
    }
}

/// The code a client was told for `error`; errors the library raised without
/// one are the caller's input mistakes (see `limits`), hence `VALIDATION`.
pub(crate) fn told_code(error: &ServerError) -> String {
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(|c| match c {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| super::error::code::VALIDATION.to_owned())
}

/// Who made a mutation attempt, for its audit event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    pub request_id: String,
    pub actor_id: Option<i32>,
    pub token_id: Option<i32>,
}

impl Caller {
    /// `viewer` calling in the request `request_id`.
    pub(crate) fn new(request_id: &str, viewer: Option<&Viewer>) -> Self {
        Self {
            request_id: request_id.to_owned(),
            actor_id: viewer.map(|v| v.person.id),
            token_id: viewer.and_then(|v| v.token_id),
        }
    }
}

/// Records a mutation that failed with `outcome` (its own transaction, since
/// the change rolled back); a failure to record is logged, not answered.
pub(crate) async fn record_failure(
    services: &AppContext,
    caller: Caller,
    operation: &str,
    outcome: String,
    arguments: Option<String>,
) {
    let entry = AuditEntry {
        occurred_at: services.clock.now(),
        actor_id: caller.actor_id,
        token_id: caller.token_id,
        request_id: caller.request_id,
        operation: operation.to_owned(),
        outcome,
        arguments,
    };
    // the database may be what failed: then the event goes to the log in full
    if let Err(err) = audit::record(&services.db, entry.clone()).await {
        tracing::error!(error = %err, event = ?entry, "could not write the audit event; it is logged instead");
    }
}

/// The audit extension; add it to the schema once.
pub struct AuditTrail;

impl ExtensionFactory for AuditTrail {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditTrailExtension::default())
    }
}

/// The operation a request runs: the named one, or the only one.
fn chosen<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    document
        .operations
        .iter()
        .find(|(op_name, _)| match (name, op_name) {
            (Some(wanted), Some(op_name)) => wanted == op_name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        })
        .map(|(_, op)| &op.node)
}

impl AuditTrailExtension {
    /// Remembers the root fields of the operation to run when it is a mutation.
    fn note_mutation(&self, document: &ExecutableDocument, operation_name: Option<&str>) {
        let Some(operation) = chosen(document, operation_name) else {
            return;
        };
        if operation.ty != OperationType::Mutation {
            return;
        }
        let fields = operation
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|item| match &item.node {
                Selection::Field(field) => Some(field.node.name.node.to_string()),
                _ => None,
            })
            .collect();
        *self
            .mutation_fields
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = fields;
    }
}

/// One per request: what it learned about the mutation being run.
#[derive(Default)]
struct AuditTrailExtension {
    /// Root fields of the mutation to run, once the document is parsed.
    mutation_fields: Mutex<Vec<String>>,
    /// Whether a resolver-level event (success or refusal) was written.
    recorded: AtomicBool,
    /// Who calls, read from the request before it is prepared: the request
    /// hook, which records refusals, cannot reach the request's data.
    caller: Mutex<Caller>,
}

#[async_trait::async_trait]
impl Extension for AuditTrailExtension {
    /// Completes the request's variables with the defaults the document declares,
    /// so the audit row shows what ran, and notes whether it is a mutation.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let query = request.query.clone();
        let operation_name = request.operation_name.clone();
        if let Some(meta) = request_data::<RequestMeta>(&request) {
            let caller = Caller::new(&meta.request_id, request_data::<Viewer>(&request));
            *self.caller.lock().unwrap_or_else(|e| e.into_inner()) = caller;
        }
        let mut request = match next.run(ctx, request).await {
            Ok(request) => request,
            Err(refused) => {
                // refused while parsing or measuring: still record a mutation
                if let Ok(document) = async_graphql::parser::parse_query(&query) {
                    self.note_mutation(&document, operation_name.as_deref());
                }
                return Err(refused);
            }
        };
        let Ok(document) = request.parsed_query() else {
            return Ok(request);
        };
        self.note_mutation(document, operation_name.as_deref());
        let Some(operation) = chosen(document, operation_name.as_deref()).cloned() else {
            return Ok(request);
        };
        let defaults: Vec<(Name, Value)> = operation
            .variable_definitions
            .iter()
            .filter(|def| !request.variables.contains_key(&def.node.name.node))
            .filter_map(|def| {
                def.node
                    .default_value
                    .as_ref()
                    .map(|d| (def.node.name.node.clone(), d.node.clone()))
            })
            .collect();
        if !defaults.is_empty() {
            if let Some(meta) = request
                .data
                .get(&std::any::TypeId::of::<RequestMeta>())
                .and_then(|d| d.downcast_ref::<RequestMeta>())
                .cloned()
            {
                let mut meta = meta;
                for (name, value) in defaults {
                    meta.variables.insert(name, value);
                }
                request.data.insert(meta);
            }
        }
        Ok(request)
    }

    /// A mutation refused before any field ran (document validation, variables)
    /// is recorded too, with what the client was told.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let fields = std::mem::take(
            &mut *self
                .mutation_fields
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if fields.is_empty() || self.recorded.load(Ordering::SeqCst) {
            return response;
        }
        let Some(error) = response.errors.first() else {
            return response;
        };
        let outcome = told_code(error);
        if let Ok(services) = ctx.data::<AppContext>() {
            let caller = self
                .caller
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            for operation in fields {
                record_failure(services, caller.clone(), &operation, outcome.clone(), None).await;
            }
        }
        response
    }

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
        self.recorded.store(true, Ordering::SeqCst);
        let operation = info.name.to_owned();
        let field = info.field;
        let result = next.run(ctx, info).await;
        // Successes were recorded inside the change's own transaction.
        let Err(error) = &result else {
            return result;
        };
        let outcome = told_code(error);
        let meta = ctx.data_opt::<RequestMeta>().cloned();
        let arguments = meta.as_ref().map(|meta| {
            let resolved = field
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
        if let (Ok(services), Some(meta)) = (ctx.data::<AppContext>(), meta) {
            let caller = Caller::new(&meta.request_id, ctx.data_opt::<Viewer>());
            record_failure(services, caller, &operation, outcome, arguments).await;
        }
        result
    }
}
