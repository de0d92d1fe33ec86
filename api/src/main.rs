//! The `releasedesk` command: serve the API, migrate, print the schema, load demo data.

mod cli;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::Parser;
use cli::{AdminCommand, Cli, Command, KeysCommand, ReportFormat, TokenCommand};
use entities::{access, tokens, Clock, Stamp, SystemClock};
use releasedesk::config::LogFormat;
use releasedesk::{app, bench_seed, bootstrap, db, demo, Application, Settings};
use sea_orm::ActiveEnum;
use std::sync::Arc;

/// mimalloc: most of a request's CPU was glibc's malloc and free (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // logs go to stderr, so what a command prints (a report, tokens) stays
    // clean on stdout; colours only for a person at a terminal
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::new(&settings.log.filter));
    match settings.log.format {
        LogFormat::Json => logs.json().flatten_event(true).init(),
        LogFormat::Text => logs.init(),
    }
    if let Command::Serve = command {
        let application = Application::build(settings, Arc::new(SystemClock)).await?;
        shutdown_signal().await;
        tracing::info!("shutting down");
        return application.stop().await;
    }
    let db = app::connect(&settings).await?;
    db::migrate(&db).await.context("applying migrations")?;
    match command {
        Command::Migrate => println!("migrations applied"),
        Command::SeedDemo => match demo::seed(&db, &SystemClock, &settings.costs.currency).await? {
            demo::SeedOutcome::Loaded { releases, users } => {
                println!("demo data loaded: {releases} releases");
                println!("demo users and their API tokens (shown once):");
                for user in users {
                    println!("  {:<32} {:<16} {}", user.email, user.role, user.token);
                }
            }
            demo::SeedOutcome::AlreadyPresent => println!("demo data already present"),
        },
        Command::SeedBench {
            releases,
            cost_lines,
        } => {
            let started = std::time::Instant::now();
            let data = bench_seed::seed(&db, &SystemClock, releases, cost_lines).await?;
            println!(
                "seeded {} releases, {} milestones, {} stakeholders, {} cost lines in {:.1} s; administrator token:",
                data.releases,
                data.milestones,
                data.stakeholders,
                data.cost_lines,
                started.elapsed().as_secs_f64()
            );
            println!("{}", data.token);
        }
        Command::RunJob { name } => run_job(&settings, &db, &name).await?,
        Command::Report { from, to, format } => {
            let (from, to) = (parse_day_or_time(&from)?, parse_day_or_time(&to)?);
            let report = entities::reports::release_report(
                &db,
                &entities::Actor::System,
                from,
                to,
                &entities::reports::ReportFilter::default(),
                Utc::now(),
            )
            .await?;
            match format {
                ReportFormat::Csv => print!("{}", entities::reports::to_csv(&report)),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
        }
        Command::Token { command } => run_token(&db, command).await?,
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => {
            let secret =
                bootstrap::create_first_admin(&db, &SystemClock, &email, name.as_deref()).await?;
            println!("administrator {email} ready; API token (shown once):");
            println!("{secret}");
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let rotated = releasedesk::keys::rotate(&settings, &db).await?;
            println!(
                "link key replaced in {}; {} pending vote(s) get new links with the next approval-requests run. Restart the replicas to sign with the new key.",
                settings.mail.link_key_file.display(),
                rotated.votes_to_mail
            );
        }
        Command::Serve | Command::Schema => {} // answered before connecting
    }
    Ok(())
}

/// A date (midnight UTC) or an RFC 3339 time.
fn parse_day_or_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!("{text:?} is neither a date (2026-11-01) nor an RFC 3339 time")
        })
}

async fn run_job(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
    name: &str,
) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runner = app::job_runner(settings, db, &clock, None).await?;
    if !runner.schedules().any(|(job, _)| job == name) {
        let known: Vec<_> = runner.schedules().map(|(job, _)| job).collect();
        anyhow::bail!("no job named {name:?}; the jobs are {}", known.join(", "));
    }
    let run = runner.run_now(name, Stamp::system(clock.now())).await?;
    println!(
        "run {} of {}: {} (examined {}, changed {})",
        run.id,
        run.job,
        run.outcome.to_value(),
        run.examined,
        run.changed
    );
    match run.error {
        Some(error) => anyhow::bail!("{name} failed: {error}"),
        None => Ok(()),
    }
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
            let issued = entities::write(db, Stamp::system(now), async |tx| {
                tokens::issue(tx, person.id, &name, expires_at).await
            })
            .await?;
            println!("token {} for {}:", issued.token.id, person.email);
            println!("{}", issued.secret);
        }
        TokenCommand::Revoke { id } => {
            let revoked = entities::write(db, Stamp::system(now), async |tx| {
                tokens::revoke(tx, id).await
            })
            .await?;
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
