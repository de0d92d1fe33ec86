//! `GET /health`: 200 when the database answers, 503 when it does not.

use crate::context::AppContext;
use poem::http::StatusCode;
use poem::web::Json;
use poem::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// How long the probe waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// The readiness answer for load balancers; open to anyone, answered within a second.
pub async fn check(context: &AppContext) -> Response {
    let ping = tokio::time::timeout(PING_TIMEOUT, context.db.ping()).await;
    match ping {
        Ok(Ok(())) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        failed => {
            let error = match failed {
                Ok(Err(err)) => err.to_string(),
                _ => format!("no answer within {PING_TIMEOUT:?}"),
            };
            tracing::warn!(error, "health check: database unreachable");
            Json(json!({"status": "unavailable", "database": "unreachable"}))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
