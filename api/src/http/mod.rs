//! HTTP: the route table, starting and stopping the server. `/` serves the
//! Release workspace, `/graphql` the API (POST, and GET for queries and
//! GraphiQL), `/health` the readiness probe.

mod approval_links;
mod graphiql;
mod graphql;
mod health;
mod request_log;
mod subscriptions;
mod workspace;

use crate::auth::Authenticator;
use crate::context::AppContext;
use crate::graphql::Schemas;
use poem::http::Method;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{CatchPanic, Cors};
use poem::{get, Endpoint, EndpointExt, IntoResponse, Route, Server};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long in-flight requests may finish after a shutdown signal.
const GRACEFUL_SHUTDOWN: Duration = Duration::from_secs(10);

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub context: AppContext,
    pub schemas: Schemas,
    pub authenticator: Arc<Authenticator>,
    /// Live (WebSocket) connections this replica may still take.
    pub connections: Arc<tokio::sync::Semaphore>,
    /// Turns true when the server stops, so live connections close (1001).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// A server running in the background.
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    shutdown: tokio::sync::watch::Sender<bool>,
    /// The live connections' permits, all back once every connection closed.
    connections: (Arc<tokio::sync::Semaphore>, u32),
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting requests and waits for in-flight ones.
    pub async fn stop(self) -> std::io::Result<()> {
        // live connections close (1001) first, so their close frames go out
        // before the process ends
        self.shutdown.send_replace(true);
        let (connections, all) = &self.connections;
        let _ = tokio::time::timeout(GRACEFUL_SHUTDOWN, connections.acquire_many(*all)).await;
        let _ = self.stop.send(());
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds `bind` (port 0 picks a free port) and serves `state` until stopped.
pub async fn start(bind: &str, mut state: HttpState) -> std::io::Result<RunningServer> {
    let (shutdown, stopping) = tokio::sync::watch::channel(false);
    state.shutdown = stopping;
    let connections = (
        state.connections.clone(),
        u32::try_from(state.context.settings.live.max_connections).unwrap_or(u32::MAX),
    );
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
    Ok(RunningServer {
        addr,
        stop,
        shutdown,
        connections,
        task,
    })
}

/// The route table, with CORS for the configured origins.
pub fn routes(state: HttpState) -> impl Endpoint {
    let origins = state.context.settings.cors_origin_list();
    let allowed_headers = state.context.settings.cors_allow_header_list();
    let health_state = state.clone();
    let link_context = state.context.clone();
    let graphiql_on = state.context.settings.graphiql_enabled();
    let route = Route::new()
        .at("/", get(poem::endpoint::make_sync(|_| workspace::page())))
        .at(
            "/workspace/:asset",
            get(poem::endpoint::make_sync(|req: poem::Request| {
                workspace::asset(&req.path_params::<String>().unwrap_or_default())
            })),
        )
        .at(
            "/graphql",
            poem::endpoint::make(move |req| {
                let state = state.clone();
                async move {
                    Ok::<_, poem::Error>(if subscriptions::is_upgrade(&req) {
                        subscriptions::upgrade(&state, req).await
                    } else {
                        graphql::endpoint(&state, req).await
                    })
                }
            })
            .with(request_log::RequestLog),
        )
        .at(
            "/health",
            get(poem::endpoint::make(move |_req| {
                let state = health_state.clone();
                async move { Ok::<_, poem::Error>(health::check(&state.context).await) }
            })),
        )
        .at(
            "/graphiql/:asset",
            get(poem::endpoint::make(move |req: poem::Request| {
                let enabled = graphiql_on;
                async move {
                    let name = req.path_params::<String>().unwrap_or_default();
                    Ok::<_, poem::Error>(if enabled {
                        graphiql::asset(&name)
                    } else {
                        poem::http::StatusCode::NOT_FOUND.into_response()
                    })
                }
            })),
        )
        .at(
            "/approvals/vote/:token",
            poem::endpoint::make(move |mut req: poem::Request| {
                let context = link_context.clone();
                async move {
                    let token = req.path_params::<String>().unwrap_or_default();
                    let page = match *req.method() {
                        Method::GET | Method::HEAD => {
                            approval_links::confirm_page(&context, &token).await
                        }
                        Method::POST => {
                            approval_links::record_vote(&context, &token, &mut req).await
                        }
                        _ => {
                            return Err(poem::Error::from_status(
                                poem::http::StatusCode::METHOD_NOT_ALLOWED,
                            ))
                        }
                    };
                    Ok::<_, poem::Error>(page)
                }
            })
            .with(request_log::RequestLog),
        )
        .with(CatchPanic::new());
    // a function, not a fixed list, so answers carry `Vary: Origin` for caches
    let cors = Cors::new()
        .allow_origins_fn(move |origin| origins.iter().any(|o| o == origin))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(allowed_headers)
        .expose_headers(["x-request-id"])
        .max_age(600);
    route
        .with(cors)
        .after(|answer| async move { Ok(refusal_as_json(answer)) })
        .before(|req| async move { Ok(drop_same_origin(req)) })
}

/// A refusal from the routing layers (a CORS origin, method or header not
/// allowed, an unknown path) answered like every other refusal: JSON with a
/// code, and an `x-request-id` to quote.
fn refusal_as_json(answer: poem::Result<poem::Response>) -> poem::Response {
    match answer {
        Ok(response) => response,
        Err(error) => {
            let status = error.status();
            let code = match status.as_u16() {
                403 => "FORBIDDEN",
                404 => "NOT_FOUND",
                405 => "METHOD_NOT_ALLOWED",
                500.. => "INTERNAL",
                _ => "VALIDATION",
            };
            let mut response = poem::web::Json(serde_json::json!({
                "errors": [{ "message": error.to_string(), "extensions": { "code": code } }]
            }))
            .with_status(status)
            .into_response();
            if let Ok(id) = uuid::Uuid::new_v4().to_string().parse() {
                response.headers_mut().insert("x-request-id", id);
            }
            response
        }
    }
}

/// Removes the `Origin` header when it names the server itself (its host and
/// port equal `Host`), so a same-origin request, such as GraphiQL served here,
/// which Chromium sends with `Origin`, is not taken for a cross-origin one. The
/// allow-list is for other origins.
fn drop_same_origin(mut req: poem::Request) -> poem::Request {
    let headers = req.headers();
    let same = match (headers.get("origin"), headers.get("host")) {
        (Some(origin), Some(host)) => match (origin.to_str(), host.to_str()) {
            (Ok(origin), Ok(host)) => origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
            _ => false,
        },
        _ => false,
    };
    if same {
        req.headers_mut().remove("origin");
    }
    req
}
