//! GraphQL subscriptions over WebSocket on `/graphql`, in both protocols in
//! use (`graphql-transport-ws` and the older `graphql-ws`), which
//! async-graphql speaks. This module holds the connection: authentication in
//! `connection_init` (refused with 4403), the per-replica connection limit,
//! WebSocket pings, a bound on how long a client may stall a send, the close
//! codes subscriptions ask for (`graphql::live::close`), and a clean close
//! (1001) at shutdown.

use super::HttpState;
use crate::graphql::live::Closer;
use crate::graphql::{self, error::code};
use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use async_graphql_poem::GraphQLProtocol;
use futures::{SinkExt, StreamExt};
use poem::http::StatusCode;
use poem::web::websocket::{Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::{FromRequest, IntoResponse, Request, Response};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// Close code for a client that did not send `connection_init` in time
/// (graphql-transport-ws).
const INIT_TIMEOUT: u16 = 4408;
/// Close code for going away at shutdown.
const GOING_AWAY: u16 = 1001;
/// Close code for refused credentials (graphql-transport-ws); the library
/// closes those with 1002.
const FORBIDDEN: u16 = 4403;

/// True for a WebSocket upgrade request.
pub fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get(poem::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Upgrades to a subscription connection, or refuses: 503 past
/// `live.max_connections`, 400 without a GraphQL subprotocol.
pub async fn upgrade(state: &HttpState, req: Request) -> Response {
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            code::UNAVAILABLE,
            "this server holds as many live connections as it may; try another or later",
        );
    };
    let (req, mut body) = req.split();
    let websocket = match WebSocket::from_request(&req, &mut body).await {
        Ok(websocket) => websocket,
        Err(error) => return error.into_response(),
    };
    let Ok(GraphQLProtocol(protocol)) = GraphQLProtocol::from_request(&req, &mut body).await else {
        return refusal(
            StatusCode::BAD_REQUEST,
            code::VALIDATION,
            "ask for the graphql-transport-ws or graphql-ws subprotocol",
        );
    };
    let state = state.clone();
    let client = req.remote_addr().to_string();
    // small buffers: most connections idle (the library's 128 KiB read buffer
    // made an idle subscriber cost about 166 KiB); a client's message is as
    // bounded as a request body
    let limit = state.context.settings.server.max_body_bytes;
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    websocket
        .config(config)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(state, socket, protocol, permit, client))
        .into_response()
}

fn refusal(status: StatusCode, error_code: &str, message: &str) -> Response {
    poem::web::Json(serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": error_code } }]
    }))
    .with_status(status)
    .into_response()
}

async fn serve(
    state: HttpState,
    socket: WebSocketStream,
    protocol: WebSocketProtocols,
    _permit: OwnedSemaphorePermit,
    client: String,
) {
    let settings = &state.context.settings.live;
    let stall = Duration::from_secs(settings.keepalive_seconds);
    let (mut sink, incoming) = socket.split();
    let (close_requests, mut closing) = tokio::sync::watch::channel(None);
    let closer = Closer(close_requests);
    let initialised = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicBool::new(false));
    let incoming = incoming
        .take_while(|message| futures::future::ready(message.is_ok()))
        .filter_map(|message| {
            futures::future::ready(match message {
                Ok(message) if message.is_text() || message.is_binary() => {
                    Some(message.into_bytes())
                }
                _ => None,
            })
        });
    let init = {
        let state = state.clone();
        let closer = closer.clone();
        let initialised = initialised.clone();
        let refused = refused.clone();
        move |payload: serde_json::Value| async move {
            let viewer = state
                .authenticator
                .authenticate_connection_init(&state.context, &payload)
                .await
                .map_err(|failure| {
                    refused.store(true, Ordering::SeqCst);
                    async_graphql::Error::new(failure.to_string())
                })?;
            let mut data = Data::default();
            data.insert(graphql::connection_loader(
                &state.context.db,
                viewer.visibility(),
            ));
            data.insert(viewer);
            data.insert(closer);
            initialised.store(true, Ordering::SeqCst);
            Ok(data)
        }
    };
    let mut replies =
        async_graphql::http::WebSocket::new(state.schemas.live.clone(), incoming, protocol)
            .on_connection_init(init)
            .map(|message| match message {
                WsMessage::Text(text) => Message::text(text),
                WsMessage::Close(1002, reason) if refused.load(Ordering::SeqCst) => {
                    Message::close_with(FORBIDDEN, reason)
                }
                WsMessage::Close(code, reason) => Message::close_with(code, reason),
            });
    let mut pings = tokio::time::interval(Duration::from_secs(settings.keepalive_seconds));
    pings.tick().await;
    let init_deadline = tokio::time::sleep(Duration::from_secs(settings.init_timeout_seconds));
    tokio::pin!(init_deadline);
    let mut shutdown = state.shutdown.clone();
    loop {
        let outgoing = tokio::select! {
            reply = replies.next() => match reply {
                Some(reply) => reply,
                None => break,
            },
            _ = pings.tick() => Message::Ping(Vec::new()),
            Ok(()) = closing.changed() => {
                let Some((code, reason)) = closing.borrow().clone() else { continue };
                tracing::info!(%client, code, reason, "live connection closed by a subscription");
                let _ = tokio::time::timeout(stall, sink.send(Message::close_with(code, reason))).await;
                break;
            }
            _ = shutdown.changed() => {
                let _ = tokio::time::timeout(
                    stall,
                    sink.send(Message::close_with(GOING_AWAY, "the server is shutting down")),
                )
                .await;
                break;
            }
            () = &mut init_deadline, if !initialised.load(Ordering::SeqCst) => {
                let _ = tokio::time::timeout(
                    stall,
                    sink.send(Message::close_with(INIT_TIMEOUT, "Connection initialisation timeout")),
                )
                .await;
                break;
            }
        };
        // a client that stops reading is dropped rather than waited for
        match tokio::time::timeout(stall, sink.send(outgoing)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                tracing::info!(
                    %client,
                    seconds = stall.as_secs(),
                    "live connection dropped: the client stopped reading"
                );
                break;
            }
        }
    }
}
