//! What every part of the application reaches: the database, the clock, the
//! settings and the job runner. GraphQL, HTTP handlers and authentication share it.

use crate::config::Settings;
use entities::Clock;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// The application context, cheap to clone.
#[derive(Clone)]
pub struct AppContext {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Who recent bearer tokens stand for (`auth.cache_seconds`).
    pub viewers: Arc<crate::auth::cache::ViewerCache>,
    /// Runs jobs on demand (`runJob`) and reports on them; the scheduler ticks it.
    pub jobs: jobs::Runner,
    /// The live events subscriptions read (`crate::live`).
    pub live: crate::live::LiveHub,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
}
