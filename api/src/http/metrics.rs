//! `GET /metrics`: the scrape, in the Prometheus text format.

use super::HttpState;
use poem::http::{header, StatusCode};
use poem::{get, Endpoint, Response};

/// The content type of the Prometheus text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The scrape endpoint over `state`.
pub fn endpoint(state: HttpState) -> impl Endpoint {
    get(poem::endpoint::make(move |_req| {
        let state = state.clone();
        async move {
            let context = &state.context;
            let most = context.settings.live.max_connections;
            let live_open = most.saturating_sub(state.connections.available_permits());
            let text = context
                .metrics
                .scrape(&context.db, context.clock.now(), live_open)
                .await;
            Ok::<_, poem::Error>(
                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, TEXT_FORMAT)
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(text),
            )
        }
    }))
}
