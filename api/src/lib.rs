//! Releasedesk's API server: configuration, the application wiring, the GraphQL
//! schema and the HTTP routes. `main.rs` turns these into the `releasedesk` command.

pub mod app;
pub mod auth;
pub mod bench_seed;
pub mod bootstrap;
pub mod config;
pub mod context;
pub mod db;
pub mod demo;
pub mod graphql;
pub mod http;
pub mod keys;
pub mod live;
pub mod metrics;

pub use app::Application;
pub use config::Settings;
pub use context::AppContext;
