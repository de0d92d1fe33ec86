//! Releasedesk's API server: configuration, database wiring, the GraphQL schema
//! and the HTTP routes. `main.rs` turns these into the `releasedesk` command.

pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod db;
pub mod demo;
pub mod graphql;
pub mod server;

pub use config::Settings;
pub use server::{AppState, RunningServer};
