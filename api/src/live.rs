//! This replica's end of the live events (`entities::live`): a bus that every
//! subscription reads, fed on PostgreSQL by one `LISTEN` connection (events
//! from every replica, job and command), on SQLite by the database file's
//! in-process bus. Identity events also drop the cached identities here.

use crate::auth::cache::ViewerCache;
use entities::live::{self, LiveEvent};
use sea_orm::{DatabaseConnection, DbBackend};
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// Longest wait between attempts to get the `LISTEN` connection back.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// Barrier tokens this replica applied lately, newest last.
type Applied = tokio::sync::watch::Receiver<std::collections::VecDeque<String>>;

/// Tokens of barriers remembered as applied.
const APPLIED_KEPT: usize = 64;

/// What subscriptions read from: cheap to clone.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<LiveEvent>,
    db: DatabaseConnection,
    applied: Applied,
}

impl LiveHub {
    /// Every event from now on; a receiver more than `live.buffer_events`
    /// behind is told how many it missed.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// Returns once this replica has applied every event committed before
    /// the call (cached identities dropped included), or after `wait`: it
    /// sends a barrier the way a commit does and waits for it to come round.
    pub async fn settled(&self, wait: Duration) -> bool {
        let token = uuid::Uuid::new_v4().to_string();
        let marker = LiveEvent::Marker {
            token: token.clone(),
        };
        if self.db.get_database_backend() == DbBackend::Postgres {
            let sent = sea_orm::ConnectionTrait::execute_raw(
                &self.db,
                sea_orm::Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [live::CHANNEL.into(), marker.encode().into()],
                ),
            )
            .await;
            if sent.is_err() {
                return false;
            }
        } else {
            let _ = self.sender.send(marker);
        }
        let mut applied = self.applied.clone();
        tokio::time::timeout(wait, applied.wait_for(|tokens| tokens.contains(&token)))
            .await
            .is_ok_and(|seen| seen.is_ok())
    }
}

/// The tasks behind a [`LiveHub`], stopped with the application.
pub struct LiveTasks(Vec<JoinHandle<()>>);

impl LiveTasks {
    pub fn stop(self) {
        for task in self.0 {
            task.abort();
        }
    }
}

/// Starts this replica's hub. On PostgreSQL it returns once `LISTEN` is in
/// place, so nothing committed after start-up is missed.
pub async fn start(
    db: &DatabaseConnection,
    capacity: usize,
    viewers: Arc<ViewerCache>,
) -> anyhow::Result<(LiveHub, LiveTasks)> {
    let mut tasks = Vec::new();
    let sender = match db.get_database_backend() {
        DbBackend::Postgres => {
            let sender = broadcast::channel(capacity).0;
            // a pool of its own: the listener holds its connection for good,
            // which must not count against (or keep open) the service's pool
            let options = db.get_postgres_connection_pool().connect_options();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with((*options).clone());
            let listener = listen(&pool).await?;
            tasks.push(tokio::spawn(relay(pool, listener, sender.clone())));
            sender
        }
        _ => live::local_bus(
            db.get_sqlite_connection_pool()
                .connect_options()
                .get_filename(),
        ),
    };
    let mut identities = sender.subscribe();
    let (applied_sender, applied) = tokio::sync::watch::channel(std::collections::VecDeque::new());
    tasks.push(tokio::spawn(async move {
        loop {
            match identities.recv().await {
                Ok(LiveEvent::Identity { person_id }) => viewers.forget_person(person_id),
                Ok(LiveEvent::Marker { token }) => applied_sender.send_modify(|tokens| {
                    tokens.push_back(token);
                    if tokens.len() > APPLIED_KEPT {
                        tokens.pop_front();
                    }
                }),
                // whatever was missed may have been an identity change
                Ok(LiveEvent::Gap) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    viewers.forget_all()
                }
                Ok(LiveEvent::Release { .. }) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }));
    Ok((
        LiveHub {
            sender,
            db: db.clone(),
            applied,
        },
        LiveTasks(tasks),
    ))
}

async fn listen(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(live::CHANNEL).await?;
    Ok(listener)
}

/// Relays notifications to the bus for good. When the connection drops, the
/// subscribers hear of a [`LiveEvent::Gap`] once it is back, as events in
/// between are lost.
async fn relay(pool: sqlx::PgPool, mut listener: PgListener, sender: broadcast::Sender<LiveEvent>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                if let Some(event) = LiveEvent::decode(notification.payload()) {
                    let _ = sender.send(event);
                }
            }
            // the connection was lost; sqlx listens again on the next call
            Ok(None) => {
                tracing::warn!("live events: the LISTEN connection was lost; reconnecting");
                let _ = sender.send(LiveEvent::Gap);
            }
            Err(error) => {
                tracing::warn!(%error, "live events: LISTEN failed; reconnecting");
                let _ = sender.send(LiveEvent::Gap);
                let mut delay = Duration::from_millis(250);
                listener = loop {
                    tokio::time::sleep(delay).await;
                    match listen(&pool).await {
                        Ok(listener) => break listener,
                        Err(error) => {
                            tracing::warn!(%error, "live events: still no LISTEN connection");
                            delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                        }
                    }
                };
                let _ = sender.send(LiveEvent::Gap);
            }
        }
    }
}
