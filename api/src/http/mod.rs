//! HTTP: the route table, starting and stopping the server. `/` serves the
//! Release workspace, `/graphql` the API (POST, and GET for queries and
//! GraphiQL), `/health` the readiness probe, `/metrics` the Prometheus scrape.

mod approval_links;
mod calendar;
mod graphiql;
mod graphql;
mod health;
mod metrics;
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
    serve(bind, routes(state), shutdown, connections).await
}

/// Binds `bind` and serves only `/metrics` of `state` on it (`metrics.bind`).
pub async fn start_metrics(bind: &str, state: HttpState) -> std::io::Result<RunningServer> {
    let app = Route::new().at("/metrics", metrics::endpoint(state.clone()));
    let (shutdown, _) = tokio::sync::watch::channel(false);
    serve(bind, app, shutdown, (state.connections, 0)).await
}

async fn serve(
    bind: &str,
    app: impl Endpoint + 'static,
    shutdown: tokio::sync::watch::Sender<bool>,
    connections: (Arc<tokio::sync::Semaphore>, u32),
) -> std::io::Result<RunningServer> {
    let acceptor = TcpListener::bind(bind.to_owned()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))?;
    let (stop, stopped) = oneshot::channel::<()>();
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
    let feed_context = state.context.clone();
    let graphiql_on = state.context.settings.graphiql_enabled();
    let state_public_url = state.context.settings.public_url();
    let metrics_here =
        state.context.settings.metrics.enabled && state.context.settings.metrics.bind.is_none();
    let metrics_state = state.clone();
    let request_log = request_log::RequestLog::counted(state.context.metrics.clone());
    let mut route = Route::new()
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
            .with(request_log),
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
            "/calendar/:file",
            get(poem::endpoint::make(move |req: poem::Request| {
                let context = feed_context.clone();
                async move {
                    let file = req.path_params::<String>().unwrap_or_default();
                    Ok::<_, poem::Error>(calendar::feed(&context, &file, &req).await)
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
            .with(request_log::RequestLog::uncounted()),
        );
    if metrics_here {
        route = route.at("/metrics", metrics::endpoint(metrics_state));
    }
    let route = route.with(CatchPanic::new());
    // a function, not a fixed list, so answers carry `Vary: Origin` for caches
    let cors = Cors::new()
        .allow_origins_fn(move |origin| origins.iter().any(|o| o == origin))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(allowed_headers)
        .expose_headers(["x-request-id"])
        .max_age(600);
    let own_origin = origin_of(&state_public_url);
    route
        .with(cors)
        .around(|endpoint, req| async move {
            let page = is_page(req.uri().path());
            Ok(refusal_answered(endpoint.call(req).await, page))
        })
        .before(move |req| {
            let own_origin = own_origin.clone();
            async move { Ok(drop_own_origin(req, own_origin.as_deref())) }
        })
}

/// Routes a person opens in a browser, whose refusals are pages, not JSON.
fn is_page(path: &str) -> bool {
    path == "/" || path.starts_with("/approvals/vote/")
}

/// A refusal from the routing layers (a CORS origin, method or header not
/// allowed, an unknown path) answered like every other refusal of its route:
/// on a page, a page; elsewhere JSON with a code; both with an `x-request-id`.
fn refusal_answered(answer: poem::Result<poem::Response>, page: bool) -> poem::Response {
    let error = match answer {
        Ok(response) => return response,
        Err(error) => error,
    };
    let status = error.status();
    let code = match status.as_u16() {
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        500.. => "INTERNAL",
        _ => "VALIDATION",
    };
    let mut response = if page {
        let text = match code {
            "FORBIDDEN" => "This page was opened from another site, so nothing was done. Open the link from the e-mail again.",
            "NOT_FOUND" => "There is nothing at this address.",
            _ => "This request could not be answered; nothing was done.",
        };
        approval_links::message(status, status.canonical_reason().unwrap_or("Refused"), text)
    } else {
        poem::web::Json(serde_json::json!({
            "errors": [{ "message": error.to_string(), "extensions": { "code": code } }]
        }))
        .with_status(status)
        .into_response()
    };
    if let Ok(id) = uuid::Uuid::new_v4().to_string().parse() {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// `scheme://host[:port]` of `url`, lower-cased, as a browser sends it in `Origin`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// Removes the `Origin` header when it names the service itself: its host and
/// port equal `Host` (GraphiQL served here, which Chromium sends with
/// `Origin`), or it is the origin of `mail.public_url` (the address people
/// reach it at behind a reverse proxy that passes the upstream `Host`). The
/// CORS allow-list is for other origins.
fn drop_own_origin(mut req: poem::Request, own_origin: Option<&str>) -> poem::Request {
    let headers = req.headers();
    let own = match headers.get("origin").and_then(|o| o.to_str().ok()) {
        Some(origin) => {
            own_origin.is_some_and(|own| own.eq_ignore_ascii_case(origin))
                || headers
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|host| {
                        origin
                            .split_once("://")
                            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
                    })
        }
        None => false,
    };
    if own {
        req.headers_mut().remove("origin");
    }
    req
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_origin_of_a_public_url_is_its_scheme_and_authority() {
        assert_eq!(
            origin_of("https://Desk.Example.com/releasedesk"),
            Some("https://desk.example.com".into())
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8000"),
            Some("http://127.0.0.1:8000".into())
        );
        assert_eq!(origin_of("desk.example.com"), None);
        assert_eq!(origin_of("https:///path"), None);
    }
}
