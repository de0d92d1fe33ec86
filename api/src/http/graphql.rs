//! The `/graphql` endpoint: method gate, GraphiQL, request decoding with the body
//! and batch limits, authentication, then the schema. Document limits live in the
//! schema's own extension (`graphql::limits`), so every transport gets them.

use super::request_log::{RequestId, Summary};
use super::HttpState;
use crate::auth::{AuthFailure, Viewer};
use crate::graphql::audit::RequestMeta;
use crate::graphql::completion;
use crate::graphql::error::code;
use crate::graphql::limits::{self, request_data, OperationLabels, Transport};
use crate::graphql::{self, direct};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, ServerError};
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::web::Json;
use poem::{IntoResponse, Request, Response};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;

/// The GraphQL-over-HTTP response media type.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const GRAPHQL_RESPONSE_UTF8: &str = "application/graphql-response+json; charset=utf-8";
/// `Retry-After` of an `UNAVAILABLE` answer: about how long a database restart
/// or a failover takes, and well past the pool's acquire timeout.
const RETRY_AFTER_SECONDS: &str = "5";

/// One operation's answer: the library's response, the body the direct path
/// wrote (`graphql::direct`), which carries no errors, or the response of a
/// mutation that failed on the direct path.
enum Answer {
    Library(SpecResponse),
    Direct(Vec<u8>),
    DirectFailed(SpecResponse),
}

impl Answer {
    fn errors(&self) -> &[ServerError] {
        match self {
            Answer::Library(response) | Answer::DirectFailed(response) => &response.0.errors,
            Answer::Direct(_) => &[],
        }
    }

    fn executed(&self) -> bool {
        match self {
            Answer::Library(response) | Answer::DirectFailed(response) => response.executed(),
            Answer::Direct(_) => true,
        }
    }

    fn direct(&self) -> bool {
        !matches!(self, Answer::Library(_))
    }

    fn write(self, body: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Answer::Library(response) | Answer::DirectFailed(response) => {
                serde_json::to_writer(body, &response)
            }
            Answer::Direct(bytes) => {
                body.extend_from_slice(&bytes);
                Ok(())
            }
        }
    }
}

/// The body of one answer, or of a batch of them (a JSON array).
fn body(mut answers: Vec<Answer>, is_batch: bool) -> serde_json::Result<Vec<u8>> {
    match (is_batch, answers.pop()) {
        (false, Some(Answer::Direct(bytes))) => Ok(bytes),
        (false, Some(answer)) => {
            let mut body = Vec::with_capacity(1024);
            answer.write(&mut body)?;
            Ok(body)
        }
        (_, last) => {
            answers.extend(last);
            let mut body = Vec::with_capacity(1024 * answers.len());
            body.push(b'[');
            for (at, answer) in answers.into_iter().enumerate() {
                if at > 0 {
                    body.push(b',');
                }
                answer.write(&mut body)?;
            }
            body.push(b']');
            Ok(body)
        }
    }
}

/// A response written as the spec asks: `data` only when execution started, so
/// a request refused before any field ran (syntax, validation, variables, limits)
/// has no `data` key at all.
struct SpecResponse(async_graphql::Response);

impl SpecResponse {
    fn executed(&self) -> bool {
        let response = &self.0;
        response.data != async_graphql::Value::Null
            || response.errors.is_empty()
            || response.errors.iter().any(|error| !error.path.is_empty())
    }
}

impl Serialize for SpecResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let response = &self.0;
        let mut map = serializer.serialize_map(None)?;
        if !response.errors.is_empty() {
            map.serialize_entry("errors", &response.errors)?;
        }
        if self.executed() {
            map.serialize_entry("data", &response.data)?;
        }
        if !response.extensions.is_empty() {
            map.serialize_entry("extensions", &response.extensions)?;
        }
        map.end()
    }
}

/// An answer given before the schema runs, with a GraphQL-shaped body.
struct EarlyAnswer {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl EarlyAnswer {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn into_response(self) -> Response {
        let body =
            json!({ "errors": [{ "message": self.message, "extensions": { "code": self.code } }] });
        let mut response = Json(body).with_status(self.status).into_response();
        if self.code == code::UNAUTHENTICATED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.code == code::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        }
        if self.code == code::UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response.extensions_mut().insert(Summary {
            outcome: self.code.to_owned(),
            ..Summary::default()
        });
        response
    }
}

/// Serves one request to `/graphql`.
pub async fn endpoint(state: &HttpState, req: Request) -> Response {
    let method = req.method().clone();
    if method != Method::GET && method != Method::POST {
        return EarlyAnswer::new(
            StatusCode::METHOD_NOT_ALLOWED,
            code::METHOD_NOT_ALLOWED,
            "use GET or POST",
        )
        .into_response();
    }
    let graphql_get = req
        .uri()
        .query()
        .is_some_and(|q| q.contains("query=") || q.contains("extensions="));
    if method == Method::GET && !graphql_get {
        // GraphiQL only for a browser asking for HTML; API clients get JSON
        let wants_html = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        return if wants_html && state.context.settings.graphiql_enabled() {
            super::graphiql::page()
        } else if wants_html {
            StatusCode::NOT_FOUND.into_response()
        } else {
            EarlyAnswer::new(
                StatusCode::BAD_REQUEST,
                code::VALIDATION,
                "a GET needs a query: /graphql?query={...}",
            )
            .into_response()
        };
    }
    let graphql_response = wants_graphql_response(&req);
    execute(state, req).await.unwrap_or_else(|early| {
        let mut response = early.into_response();
        if graphql_response {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(GRAPHQL_RESPONSE_UTF8),
            );
        }
        response
    })
}

/// True when the client asks for the GraphQL-over-HTTP media type (with its status codes).
fn wants_graphql_response(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE))
}

async fn execute(state: &HttpState, req: Request) -> Result<Response, EarlyAnswer> {
    let server = &state.context.settings.server;
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map_or_else(String::new, |id| id.0.clone());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let graphql_response = wants_graphql_response(&req);
    let transport = if req.method() == Method::GET {
        Transport::HttpGet
    } else {
        Transport::HttpPost
    };
    let batch = match transport {
        Transport::HttpGet => {
            BatchRequest::Single(get_request(req.uri().query().unwrap_or_default())?)
        }
        Transport::HttpPost => {
            let body = req
                .into_body()
                .into_bytes_limit(server.max_body_bytes)
                .await
                .map_err(|_| {
                    EarlyAnswer::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        code::LIMIT_EXCEEDED,
                        format!("the request body exceeds {} bytes", server.max_body_bytes),
                    )
                })?;
            serde_json::from_slice::<BatchRequest>(&body).map_err(|e| {
                EarlyAnswer::new(
                    StatusCode::BAD_REQUEST,
                    code::VALIDATION,
                    format!("the body is not a GraphQL request: {e}"),
                )
            })?
        }
    };
    let is_batch = matches!(batch, BatchRequest::Batch(_));
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(_) if !server.batching => {
            return Err(EarlyAnswer::new(
                StatusCode::BAD_REQUEST,
                code::VALIDATION,
                "batched requests are disabled; send one operation per request",
            ))
        }
        BatchRequest::Batch(requests) if requests.len() > server.max_batch_size => {
            return Err(EarlyAnswer::new(
                StatusCode::BAD_REQUEST,
                code::LIMIT_EXCEEDED,
                format!(
                    "a batch may hold at most {} operations",
                    server.max_batch_size
                ),
            ))
        }
        BatchRequest::Batch(requests) => requests,
    };
    let viewer = state
        .authenticator
        .authenticate(&state.context, authorization.as_deref())
        .await
        .map_err(|failure| match failure {
            AuthFailure::Unavailable => EarlyAnswer::new(
                StatusCode::SERVICE_UNAVAILABLE,
                code::UNAVAILABLE,
                failure.to_string(),
            ),
            _ => EarlyAnswer::new(
                StatusCode::UNAUTHORIZED,
                code::UNAUTHENTICATED,
                failure.to_string(),
            ),
        })?;
    let labels = OperationLabels::default();
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        if let Some(answer) = persisted_query_answer(&request) {
            answers.push(Answer::Library(SpecResponse(
                async_graphql::Response::from_errors(vec![answer]),
            )));
            continue;
        }
        let request = request.data(transport).data(labels.clone());
        answers.push(run(state, request, &viewer, &request_id).await);
    }
    let outcome = answers
        .iter()
        .flat_map(Answer::errors)
        .find_map(error_code)
        .unwrap_or_else(|| "OK".to_owned());
    let refused_before_execution = answers.iter().any(|answer| !answer.executed());
    let answered_directly = answers.iter().any(Answer::direct);
    let status = match outcome.as_str() {
        code::METHOD_NOT_ALLOWED => StatusCode::METHOD_NOT_ALLOWED,
        code::UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
        // application/graphql-response+json: a request error is a 400
        _ if graphql_response && refused_before_execution => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let mut response = match body(answers, is_batch) {
        Ok(body) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body),
        Err(err) => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(err.to_string()),
    };
    if graphql_response {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(GRAPHQL_RESPONSE_UTF8),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
    response.extensions_mut().insert(Summary {
        operation: Some(labels.joined()),
        actor: Some(viewer.person.email.clone()),
        outcome,
        direct: answered_directly,
    });
    Ok(response)
}

/// Runs one operation for `viewer`: on the direct path when it plans the
/// document, otherwise through the schema with the per-request loader and audit
/// metadata.
async fn run(
    state: &HttpState,
    request: async_graphql::Request,
    viewer: &Viewer,
    request_id: &str,
) -> Answer {
    let schemas = &state.schemas;
    let with_request_data = |request: async_graphql::Request| {
        let meta = RequestMeta {
            request_id: request_id.to_owned(),
            variables: request.variables.clone(),
        };
        request
            .data(graphql::request_loader(
                &state.context.db,
                viewer.visibility(),
            ))
            .data(viewer.clone())
            .data(meta)
    };
    // a query that parses runs on the read schema; mutations and documents that
    // do not parse go through the write schema's extensions (audit included)
    let Ok(document) = schemas.documents.parse(&request.query) else {
        return Answer::Library(SpecResponse(
            schemas.writes.execute(with_request_data(request)).await,
        ));
    };
    let operation_name = request.operation_name.clone();
    let variables = request.variables.clone();
    let response = if limits::has_mutation(&document, operation_name.as_deref()) {
        if state.context.settings.graphql.direct_writes {
            // boxed: its unit of work is a large future, which every request's
            // own future would otherwise carry (and copy) whatever it runs
            let write = Box::pin(direct_write(state, &request, &document, viewer, request_id));
            if let Some(answer) = write.await {
                return answer;
            }
        }
        let mut request = with_request_data(request).data(limits::Preparsed);
        request.set_parsed_query(ExecutableDocument::clone(&document));
        schemas.writes.execute(request).await
    } else {
        if let Some(labels) = request_data::<OperationLabels>(&request) {
            labels.push(limits::operation_label(
                &document,
                operation_name.as_deref(),
            ));
        }
        let transport = request_data::<Transport>(&request).copied();
        if let Err(refused) =
            schemas
                .limits
                .check(&document, transport, operation_name.as_deref(), &variables)
        {
            return Answer::Library(SpecResponse(async_graphql::Response::from_errors(vec![
                refused,
            ])));
        }
        if state.context.settings.graphql.direct_reads {
            let direct = direct::answer(
                &state.context.db,
                viewer.visibility(),
                &document,
                operation_name.as_deref(),
                &variables,
                &schemas.limits,
            )
            .await;
            if let Some(body) = direct {
                return Answer::Direct(body);
            }
        }
        let mut request = with_request_data(request);
        request.set_parsed_query(ExecutableDocument::clone(&document));
        let mut response = schemas.reads.execute(request).await;
        schemas.limits.code_read_errors(&mut response);
        response
    };
    let mut response = response;
    // selection order, and nulls where fields failed (see graphql::completion)
    let data = std::mem::take(&mut response.data);
    let executed = data != async_graphql::Value::Null
        || response.errors.iter().any(|error| !error.path.is_empty());
    response.data = completion::complete(
        data,
        executed,
        &document,
        operation_name.as_deref(),
        &variables,
        &schemas.types,
    );
    Answer::Library(SpecResponse(response))
}

/// Runs a mutation on the direct path when it plans it and the document is
/// within the limits; `None` leaves it to the executor.
async fn direct_write(
    state: &HttpState,
    request: &async_graphql::Request,
    document: &ExecutableDocument,
    viewer: &Viewer,
    request_id: &str,
) -> Option<Answer> {
    let schemas = &state.schemas;
    let operation_name = request.operation_name.as_deref();
    let plan = direct::mutation::plan(
        document,
        operation_name,
        &request.variables,
        &schemas.limits,
    )?;
    let transport = request_data::<Transport>(request).copied();
    schemas
        .limits
        .check(document, transport, operation_name, &request.variables)
        .ok()?;
    if let Some(labels) = request_data::<OperationLabels>(request) {
        labels.push(limits::operation_label(document, operation_name));
    }
    Some(
        match direct::write(&state.context, viewer, request_id, plan).await {
            direct::Written::Body(body) => Answer::Direct(body),
            direct::Written::Failed(response) => Answer::DirectFailed(SpecResponse(response)),
        },
    )
}

fn error_code(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

/// The parameters of a GraphQL GET request.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    #[serde(default)]
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Reads `query`, `operationName` and `variables` from a GET query string.
fn get_request(query: &str) -> Result<async_graphql::Request, EarlyAnswer> {
    let bad =
        |message: String| EarlyAnswer::new(StatusCode::BAD_REQUEST, code::VALIDATION, message);
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
    if let Some(extensions) = params.extensions {
        let parsed: std::collections::HashMap<String, async_graphql::Value> =
            serde_json::from_str(&extensions)
                .map_err(|e| bad(format!("extensions are not a JSON object: {e}")))?;
        request.extensions = async_graphql::Extensions(parsed);
    }
    Ok(request)
}

/// Automatic persisted queries (Apollo's APQ link): not kept here. A request with
/// only a hash is told `PERSISTED_QUERY_NOT_SUPPORTED`, which makes the link send
/// the full query from then on; a hash sent with its query must match it.
fn persisted_query_answer(request: &async_graphql::Request) -> Option<ServerError> {
    let persisted = request.extensions.get("persistedQuery")?;
    let coded = |message: &str, code: &str| {
        let mut error = ServerError::new(message, None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
        error
    };
    let async_graphql::Value::Object(persisted) = persisted else {
        return Some(coded(
            "extensions.persistedQuery must be an object",
            code::VALIDATION,
        ));
    };
    if request.query.trim().is_empty() {
        return Some(coded(
            "PersistedQueryNotSupported",
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ));
    }
    let hash = match persisted.get("sha256Hash") {
        Some(async_graphql::Value::String(hash)) => hash,
        _ => {
            return Some(coded(
                "extensions.persistedQuery.sha256Hash must be a string",
                code::VALIDATION,
            ))
        }
    };
    let actual = sha2_hex(&request.query);
    (!hash.eq_ignore_ascii_case(&actual)).then(|| {
        coded(
            "extensions.persistedQuery.sha256Hash does not match the query",
            code::VALIDATION,
        )
    })
}

fn sha2_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}
