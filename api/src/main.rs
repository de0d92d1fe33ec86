//! The `releasedesk` command: serve the API, migrate, print the schema, load demo data.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::{Parser, Subcommand};
use entities::{access, tokens, Clock, Stamp, SystemClock};
use releasedesk::graphql::Services;
use releasedesk::{bootstrap, db, demo, server, AppState, Settings};
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
    /// Load a realistic demo data set with demo users and print their tokens
    /// (once; a second run changes nothing).
    SeedDemo,
    /// Manage personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Bootstrap administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a token for a person and print it (it is shown only once).
    Create {
        /// The person's e-mail address.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        name: String,
        /// Expiry: a duration like `90d` or `12h`, or an RFC 3339 time.
        #[arg(long)]
        expires: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: i32,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the first administrator and print a token; refused once one exists.
    Create {
        #[arg(long)]
        email: String,
        /// Name for a new person (defaults to the e-mail address).
        #[arg(long)]
        name: Option<String>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", releasedesk::graphql::sdl());
        return Ok(());
    }
    let settings = Settings::load().context("reading configuration")?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log));
    if settings.log_format.eq_ignore_ascii_case("json") {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
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
                demo::SeedOutcome::Loaded { releases, users } => {
                    println!("demo data loaded: {releases} releases");
                    println!("demo users and their API tokens (shown once):");
                    for user in users {
                        println!("  {:<32} {:<16} {}", user.email, user.role, user.token);
                    }
                }
                demo::SeedOutcome::AlreadyPresent => println!("demo data already present"),
            }
        }
        Command::Token { command } => {
            db::migrate(&db).await.context("applying migrations")?;
            run_token(&db, command).await?;
        }
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => {
            db::migrate(&db).await.context("applying migrations")?;
            let secret =
                bootstrap::create_first_admin(&db, &SystemClock, &email, name.as_deref()).await?;
            println!("administrator {email} ready; API token (shown once):");
            println!("{secret}");
        }
        Command::Serve | Command::Schema => {
            if !access::has_administrator(&db).await? {
                tracing::warn!(
                    "no administrator yet: run `releasedesk admin create --email you@example.com`"
                );
            }
            if settings.migrate_on_start {
                db::migrate(&db).await.context("applying migrations")?;
            }
            tracing::info!(?settings, "starting");
            let services = Services {
                db,
                clock: Arc::new(SystemClock),
            };
            let state = AppState::from_settings(services, &settings)?;
            let running = server::start(&settings.bind, state)
                .await
                .with_context(|| format!("binding {}", settings.bind))?;
            tracing::info!(
                "listening on http://{}/graphql (GraphiQL: {})",
                running.addr,
                settings.graphiql_enabled()
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.stop().await?;
        }
    }
    Ok(())
}

async fn run_token(db: &sea_orm::DatabaseConnection, command: TokenCommand) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match command {
        TokenCommand::Create {
            email,
            name,
            expires,
        } => {
            let person = access::person_by_email(db, &email)
                .await?
                .with_context(|| format!("no person with e-mail {email}"))?;
            let expires_at = expires.map(|e| parse_expiry(&e, now)).transpose()?;
            let issued =
                tokens::issue(db, Stamp::system(now), person.id, &name, expires_at).await?;
            println!("token {} for {}:", issued.token.id, person.email);
            println!("{}", issued.secret);
        }
        TokenCommand::Revoke { id } => {
            let revoked = tokens::revoke(db, Stamp::system(now), id).await?;
            println!("token {} revoked", revoked.id);
        }
    }
    Ok(())
}

/// `90d`, `12h`, `30m` from now, or an RFC 3339 instant.
fn parse_expiry(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number
        .parse()
        .with_context(|| format!("expiry {text:?} is neither like 90d/12h/30m nor RFC 3339"))?;
    let span = match unit {
        "d" => Duration::days(n),
        "h" => Duration::hours(n),
        "m" => Duration::minutes(n),
        _ => anyhow::bail!("expiry unit must be d, h or m"),
    };
    Ok(now + span)
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
