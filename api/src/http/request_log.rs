//! One log line per GraphQL request, tagged with a request id that is echoed in
//! the `x-request-id` response header, and the request counted in the metrics.

use crate::metrics::Metrics;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;
use std::time::Instant;

/// Longest request id accepted from a client's `x-request-id`.
const MAX_REQUEST_ID: usize = 64;

/// The id of the request being served; handlers read it from the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// What the endpoint learned about a request, left in the response extensions
/// for the log line.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub operation: Option<String>,
    pub actor: Option<String>,
    pub outcome: String,
    /// Answered on the direct path (`graphql::direct`), not by async-graphql's executor.
    pub direct: bool,
}

/// The middleware; wrap the GraphQL endpoint with it.
pub struct RequestLog {
    metrics: Option<Arc<Metrics>>,
}

impl RequestLog {
    /// Logs and counts each request in `metrics`.
    pub fn counted(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
        }
    }

    /// Logs each request only (a route that is not GraphQL).
    pub fn uncounted() -> Self {
        Self { metrics: None }
    }
}

impl<E: Endpoint> Middleware<E> for RequestLog {
    type Output = RequestLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestLogEndpoint {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// [`RequestLog`] around an endpoint.
pub struct RequestLogEndpoint<E> {
    inner: E,
    metrics: Option<Arc<Metrics>>,
}

impl<E: Endpoint> Endpoint for RequestLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let started = Instant::now();
        let request_id = request_id(&req);
        let method = req.method().clone();
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let mut response = self.inner.call(req).await?.into_response();
        let summary = response
            .extensions()
            .get::<Summary>()
            .cloned()
            .unwrap_or_default();
        let elapsed = started.elapsed();
        if let Some(metrics) = &self.metrics {
            metrics.observe_request(
                summary.operation.as_deref(),
                &summary.outcome,
                elapsed.as_secs_f64(),
            );
        }
        tracing::info!(
            request_id = %request_id,
            method = %method,
            operation = %summary.operation.as_deref().unwrap_or("-"),
            actor = %summary.actor.as_deref().unwrap_or("-"),
            duration_ms = elapsed.as_millis() as u64,
            outcome = %summary.outcome,
            direct = summary.direct,
            "graphql request"
        );
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-request-id", value);
        }
        Ok(response)
    }
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
