//! HTTP routes: `/graphql` (POST for the API, GET for GraphiQL) and `/health`.

use crate::graphql::{self, error::code, AppSchema, Services};
use async_graphql::http::GraphiQLSource;
use async_graphql_poem::{GraphQLRequest, GraphQLResponse};
use poem::{
    get, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    middleware::{CatchPanic, Tracing},
    web::{Data, Html, Json},
    EndpointExt, IntoResponse, Response, Route, Server,
};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long in-flight requests may finish after a shutdown signal.
const GRACEFUL_SHUTDOWN: Duration = Duration::from_secs(10);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub schema: AppSchema,
    pub graphiql: bool,
}

impl AppState {
    /// State with a schema built around `services`.
    pub fn new(services: Services, graphiql: bool) -> Self {
        let schema = graphql::build_schema(services.clone());
        Self {
            services,
            schema,
            graphiql,
        }
    }
}

/// A server running in the background; dropping the handle does not stop it.
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

    /// Waits until the server ends (on Ctrl-C or SIGTERM when started by `serve`).
    pub async fn wait(self) -> std::io::Result<()> {
        let RunningServer { stop, task, .. } = self;
        let result = task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        drop(stop);
        result
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

/// The route table.
pub fn routes(state: AppState) -> impl poem::Endpoint {
    Route::new()
        .at("/graphql", get(graphiql_page).post(graphql_handler))
        .at("/health", get(health))
        .data(state)
        .with(Tracing)
        .with(CatchPanic::new())
}

#[handler]
async fn graphql_handler(Data(state): Data<&AppState>, request: GraphQLRequest) -> GraphQLResponse {
    let request = request.0.data(graphql::request_loader(&state.services.db));
    let mut response = state.schema.execute(request).await;
    // Errors raised by GraphQL itself (syntax, unknown fields, bad argument types)
    // carry no code; they are all caused by the request.
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code::VALIDATION);
        }
    }
    response.into()
}

#[handler]
async fn graphiql_page(Data(state): Data<&AppState>) -> Response {
    if state.graphiql {
        Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// 200 when the database answers, 503 when it does not.
#[handler]
async fn health(Data(state): Data<&AppState>) -> Response {
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
