//! The `releasedesk` command: serve the API, migrate, print the schema, load demo data.

use anyhow::Context;
use clap::{Parser, Subcommand};
use entities::SystemClock;
use releasedesk::graphql::Services;
use releasedesk::{db, demo, server, AppState, Settings};
use std::sync::Arc;

/// Releasedesk: release management over GraphQL.
#[derive(Parser)]
#[command(name = "releasedesk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GraphQL API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Load a realistic demo data set (once; a second run changes nothing).
    SeedDemo,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", releasedesk::graphql::sdl());
        return Ok(());
    }
    let settings = Settings::load().context("reading configuration")?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log))
        .init();
    let db = db::connect(&settings.database_url, settings.db_max_connections)
        .await
        .with_context(|| {
            format!(
                "connecting to the {} database",
                releasedesk::config::database_kind(&settings.database_url)
            )
        })?;
    match command {
        Command::Migrate => {
            db::migrate(&db).await.context("applying migrations")?;
            println!("migrations applied");
        }
        Command::SeedDemo => {
            db::migrate(&db).await.context("applying migrations")?;
            match demo::seed(&db, &SystemClock).await? {
                demo::SeedOutcome::Loaded { releases } => {
                    println!("demo data loaded: {releases} releases")
                }
                demo::SeedOutcome::AlreadyPresent => println!("demo data already present"),
            }
        }
        Command::Serve | Command::Schema => {
            if settings.migrate_on_start {
                db::migrate(&db).await.context("applying migrations")?;
            }
            tracing::info!(?settings, "starting");
            let services = Services {
                db,
                clock: Arc::new(SystemClock),
            };
            let running = server::start(&settings.bind, AppState::new(services, settings.graphiql))
                .await
                .with_context(|| format!("binding {}", settings.bind))?;
            tracing::info!(
                "listening on http://{}/graphql (GraphiQL: {})",
                running.addr,
                settings.graphiql
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.stop().await?;
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
