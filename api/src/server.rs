//! HTTP routes: `/graphql` (POST for the API, GET for queries and GraphiQL) and
//! `/health`. Every GraphQL request is authenticated, size-limited, logged on one
//! line and tagged with a request id.

use crate::auth::{jwt::JwtVerifier, AuthFailure, Authenticator, Viewer};
use crate::config::Settings;
use crate::graphql::audit::RequestMeta;
use crate::graphql::error::code;
use crate::graphql::{self, AppSchema, SchemaLimits, Services};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{BatchRequest, BatchResponse, ServerError};
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{CatchPanic, Cors};
use poem::web::{Html, Json};
use poem::{get, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long in-flight requests may finish after a shutdown signal.
const GRACEFUL_SHUTDOWN: Duration = Duration::from_secs(10);
/// Longest request id accepted from a client's `x-request-id`.
const MAX_REQUEST_ID: usize = 64;

/// Limits applied before a request reaches the schema.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub max_body_bytes: usize,
    pub max_aliases: usize,
    pub batching: bool,
    pub max_batch_size: usize,
    pub graphiql: bool,
    pub cors_origins: Vec<String>,
    pub loader_batch_window: Duration,
}

impl HttpLimits {
    /// The limits configured in `settings`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            max_body_bytes: settings.max_body_bytes,
            max_aliases: settings.max_aliases,
            batching: settings.batching,
            max_batch_size: settings.max_batch_size,
            graphiql: settings.graphiql_enabled(),
            cors_origins: settings.cors_origin_list(),
            loader_batch_window: Duration::from_millis(settings.loader_batch_window_ms),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub schema: AppSchema,
    pub authenticator: Arc<Authenticator>,
    pub limits: HttpLimits,
}

impl AppState {
    /// State for `settings`, around `services`; fails on a broken JWT configuration.
    pub fn from_settings(services: Services, settings: &Settings) -> anyhow::Result<Self> {
        let schema = graphql::build_schema(
            services.clone(),
            SchemaLimits {
                max_depth: settings.max_depth,
                max_complexity: settings.max_complexity,
                introspection: settings.introspection_enabled(),
            },
        );
        Ok(Self {
            services,
            schema,
            authenticator: Arc::new(Authenticator::new(JwtVerifier::from_settings(settings)?)),
            limits: HttpLimits::from_settings(settings),
        })
    }
}

/// A server running in the background.
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting requests and waits for in-flight ones.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(());
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds `bind` (port 0 picks a free port) and serves `state` until stopped.
pub async fn start(bind: &str, state: AppState) -> std::io::Result<RunningServer> {
    let acceptor = TcpListener::bind(bind.to_owned()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = routes(state);
    let task = tokio::spawn(async move {
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(GRACEFUL_SHUTDOWN),
            )
            .await
    });
    Ok(RunningServer { addr, stop, task })
}

/// The route table, with CORS for the configured origins.
pub fn routes(state: AppState) -> impl Endpoint {
    let origins = state.limits.cors_origins.clone();
    let graphql_endpoint = {
        let state = state.clone();
        move |req: Request| {
            let state = state.clone();
            async move { Ok::<_, poem::Error>(graphql_endpoint(&state, req).await) }
        }
    };
    let health_state = state.clone();
    let route = Route::new()
        .at("/graphql", poem::endpoint::make(graphql_endpoint))
        .at(
            "/health",
            get(poem::endpoint::make(move |_req: Request| {
                let state = health_state.clone();
                async move { Ok::<_, poem::Error>(health(&state).await) }
            })),
        )
        .with(CatchPanic::new());
    let cors = if origins.is_empty() {
        Cors::new().allow_origins_fn(|_| false)
    } else {
        Cors::new()
            .allow_origins(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(["authorization", "content-type", "x-request-id"])
            .expose_headers(["x-request-id"])
            .max_age(600)
    };
    route.with(cors)
}

/// 200 when the database answers, 503 when it does not.
async fn health(state: &AppState) -> Response {
    match state.services.db.ping().await {
        Ok(()) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            Json(json!({"status": "unavailable", "database": "unreachable"}))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}

/// A request that ends before the schema runs, with a GraphQL-shaped body.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

async fn graphql_endpoint(state: &AppState, req: Request) -> Response {
    let started = Instant::now();
    let request_id = request_id(&req);
    let method = req.method().clone();
    if method != Method::GET && method != Method::POST {
        let body = json!({ "errors": [{ "message": "use GET or POST", "extensions": { "code": code::METHOD_NOT_ALLOWED } }] });
        return Json(body)
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
            .with_header(header::ALLOW, "GET, POST")
            .into_response();
    }
    if method == Method::GET && req.uri().query().is_none_or(|q| !q.contains("query=")) {
        return if state.limits.graphiql {
            Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        };
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let outcome = execute(state, req, &request_id, authorization.as_deref()).await;
    let (response, summary) = match outcome {
        Ok((response, summary)) => (response, summary),
        Err(refusal) => {
            let body = json!({ "errors": [{ "message": refusal.message, "extensions": { "code": refusal.code } }] });
            let mut response = Json(body).with_status(refusal.status).into_response();
            if refusal.code == code::UNAUTHENTICATED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            let summary = Summary {
                operation: None,
                actor: None,
                outcome: refusal.code.to_owned(),
            };
            (response, summary)
        }
    };
    tracing::info!(
        request_id = %request_id,
        method = %method,
        operation = %summary.operation.as_deref().unwrap_or("-"),
        actor = %summary.actor.as_deref().unwrap_or("-"),
        duration_ms = started.elapsed().as_millis() as u64,
        outcome = %summary.outcome,
        "graphql request"
    );
    let mut response = response;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// What the request log line says about a request.
struct Summary {
    operation: Option<String>,
    actor: Option<String>,
    outcome: String,
}

async fn execute(
    state: &AppState,
    req: Request,
    request_id: &str,
    authorization: Option<&str>,
) -> Result<(Response, Summary), Refusal> {
    let limits = &state.limits;
    let is_get = req.method() == Method::GET;
    let batch = if is_get {
        let query = req.uri().query().unwrap_or_default();
        let request = get_request(query)?;
        BatchRequest::Single(request)
    } else {
        let body = req
            .into_body()
            .into_bytes_limit(limits.max_body_bytes)
            .await
            .map_err(|_| {
                Refusal::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    code::LIMIT_EXCEEDED,
                    format!("the request body exceeds {} bytes", limits.max_body_bytes),
                )
            })?;
        serde_json::from_slice::<BatchRequest>(&body).map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                code::VALIDATION,
                format!("the body is not a GraphQL request: {e}"),
            )
        })?
    };
    let is_batch = matches!(batch, BatchRequest::Batch(_));
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(_) if !limits.batching => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                code::VALIDATION,
                "batched requests are disabled; send one operation per request",
            ))
        }
        BatchRequest::Batch(requests) if requests.len() > limits.max_batch_size => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                code::LIMIT_EXCEEDED,
                format!(
                    "a batch may hold at most {} operations",
                    limits.max_batch_size
                ),
            ))
        }
        BatchRequest::Batch(requests) => requests,
    };
    let mut labels = Vec::with_capacity(requests.len());
    for request in &requests {
        labels.push(check_document(request, is_get, limits.max_aliases)?);
    }
    let viewer = state
        .authenticator
        .authenticate(&state.services, authorization)
        .await
        .map_err(|failure| {
            let status = match failure {
                AuthFailure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            Refusal::new(status, code::UNAUTHENTICATED, failure.to_string())
        })?;
    let operation = Some(labels.join(","));
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        responses.push(run(state, request, &viewer, request_id).await);
    }
    let outcome = responses
        .iter()
        .flat_map(|r| r.errors.iter())
        .find_map(error_code)
        .unwrap_or_else(|| "OK".to_owned());
    let body = match (is_batch, responses.pop()) {
        (false, Some(response)) => BatchResponse::Single(response),
        (_, last) => {
            responses.extend(last);
            BatchResponse::Batch(responses)
        }
    };
    let summary = Summary {
        operation,
        actor: Some(viewer.person.email.clone()),
        outcome,
    };
    Ok((Json(body).into_response(), summary))
}

async fn run(
    state: &AppState,
    request: async_graphql::Request,
    viewer: &Viewer,
    request_id: &str,
) -> async_graphql::Response {
    let meta = RequestMeta {
        request_id: request_id.to_owned(),
        variables: request.variables.clone(),
    };
    let request = request
        .data(graphql::request_loader(
            &state.services.db,
            viewer.visibility(),
            state.limits.loader_batch_window,
        ))
        .data(viewer.clone())
        .data(meta);
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        label(error);
    }
    response
}

/// Gives errors raised by GraphQL itself a code: limits get `LIMIT_EXCEEDED`,
/// syntax and type mistakes `VALIDATION`.
fn label(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let limit =
            error.message.contains("nested too deep") || error.message.contains("too complex");
        extensions.set(
            "code",
            if limit {
                code::LIMIT_EXCEEDED
            } else {
                code::VALIDATION
            },
        );
    }
}

fn error_code(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

/// Parses the query, refuses mutations over GET, counts aliases, and names the
/// operation for the request log.
fn check_document(
    request: &async_graphql::Request,
    is_get: bool,
    max_aliases: usize,
) -> Result<String, Refusal> {
    // Syntax errors are left to the schema, which reports them with positions.
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return Ok("-".to_owned());
    };
    if is_get && has_mutation(&document, request.operation_name.as_deref()) {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            code::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        ));
    }
    let aliases = count_aliases(&document);
    if aliases > max_aliases {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            code::LIMIT_EXCEEDED,
            format!("the query uses {aliases} aliases; at most {max_aliases} are allowed"),
        ));
    }
    Ok(operation_label(
        &document,
        request.operation_name.as_deref(),
    ))
}

/// The operation's name, or its root fields when it has none.
fn operation_label(document: &ExecutableDocument, operation_name: Option<&str>) -> String {
    if let Some(name) = operation_name {
        return name.to_owned();
    }
    let Some((name, operation)) = document.operations.iter().next() else {
        return "-".to_owned();
    };
    if let Some(name) = name {
        return name.to_string();
    }
    let fields: Vec<String> = operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .filter_map(|item| match &item.node {
            Selection::Field(field) => Some(field.node.name.node.to_string()),
            _ => None,
        })
        .collect();
    if fields.is_empty() {
        "-".to_owned()
    } else {
        fields.join("+")
    }
}

fn has_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    document.operations.iter().any(|(name, operation)| {
        let selected = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|fragment| in_set(&fragment.node.selection_set.node))
        .sum();
    operations + fragments
}

/// The parameters of a GraphQL GET request.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
}

/// Reads `query`, `operationName` and `variables` from a GET query string.
fn get_request(query: &str) -> Result<async_graphql::Request, Refusal> {
    let bad = |message: String| Refusal::new(StatusCode::BAD_REQUEST, code::VALIDATION, message);
    let params: GetParams = serde_urlencoded::from_str(query)
        .map_err(|e| bad(format!("the query string is not a GraphQL request: {e}")))?;
    let mut request = async_graphql::Request::new(params.query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        let parsed: serde_json::Value = serde_json::from_str(&variables)
            .map_err(|e| bad(format!("variables are not JSON: {e}")))?;
        request = request.variables(async_graphql::Variables::from_json(parsed));
    }
    Ok(request)
}

/// The client's `x-request-id` if it is short and plain, else a new UUID.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_REQUEST_ID
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_counted_in_operations_and_fragments() {
        let doc = async_graphql::parser::parse_query(
            "query { a: me { id } b: me { x: id } ...F } fragment F on QueryRoot { c: me { id } }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 4);
    }

    #[test]
    fn operations_are_labelled_for_the_log() {
        let named = async_graphql::parser::parse_query("query Me { me { id } }").unwrap();
        assert_eq!(operation_label(&named, None), "Me");
        let anonymous =
            async_graphql::parser::parse_query("{ me { id } releases { totalCount } }").unwrap();
        assert_eq!(operation_label(&anonymous, None), "me+releases");
        assert_eq!(operation_label(&anonymous, Some("Chosen")), "Chosen");
    }

    #[test]
    fn mutations_are_found_by_operation_name() {
        let doc =
            async_graphql::parser::parse_query("query Q { me { id } } mutation M { x }").unwrap();
        assert!(has_mutation(&doc, Some("M")));
        assert!(!has_mutation(&doc, Some("Q")));
        assert!(has_mutation(&doc, None));
    }
}
