//! The command line of `releasedesk`.

use clap::{Parser, Subcommand};

/// Releasedesk: release management over GraphQL.
#[derive(Parser)]
#[command(name = "releasedesk", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Load a realistic demo data set with demo users and print their tokens
    /// (once; a second run changes nothing).
    SeedDemo,
    /// Run one scheduled job now, whatever its schedule, and print how it went
    /// (exits non-zero when the run fails or the job is already running).
    RunJob {
        /// The job, e.g. `change-schedule-sync`.
        name: String,
    },
    /// Load the benchmark data set into an empty database (bulk inserts, one
    /// transaction): N releases with 5 milestones and 2 stakeholders each, and an
    /// administrator whose token is printed on the last line; optionally cost lines.
    SeedBench {
        #[arg(long, default_value_t = 10_000)]
        releases: usize,
        /// Cost lines spread over the releases (their stored totals left at zero).
        #[arg(long, default_value_t = 0)]
        cost_lines: usize,
    },
    /// Print the release report of a period (the same figures as
    /// `releaseReport`): the releases as CSV, or the whole report as JSON.
    Report {
        /// Start of the period: a date (`2026-11-01`) or an RFC 3339 time.
        #[arg(long)]
        from: String,
        /// End of the period (exclusive), same forms.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
        format: ReportFormat,
    },
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
    /// The key that signs approve and reject links.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Replace the link key (links mailed so far stop working) and have the
    /// pending votes' approvers e-mailed new links; restart the replicas after.
    Rotate,
}

/// How `report` prints.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
}

#[derive(Subcommand)]
pub enum TokenCommand {
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
pub enum AdminCommand {
    /// Create the first administrator and print a token; refused once one exists.
    Create {
        #[arg(long)]
        email: String,
        /// Name for a new person (defaults to the e-mail address).
        #[arg(long)]
        name: Option<String>,
    },
}
