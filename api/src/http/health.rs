//! `GET /health`: 200 when the database answers, 503 when it does not.

use crate::context::AppContext;
use poem::http::StatusCode;
use poem::web::Json;
use poem::{IntoResponse, Response};
use serde_json::json;

/// The readiness answer for load balancers; open to anyone.
pub async fn check(context: &AppContext) -> Response {
    match context.db.ping().await {
        Ok(()) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            Json(json!({"status": "unavailable", "database": "unreachable"}))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
