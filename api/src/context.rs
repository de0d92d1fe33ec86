//! What every part of the application reaches: the database, the clock and the
//! settings. GraphQL, HTTP handlers, authentication and jobs share it.

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
}
