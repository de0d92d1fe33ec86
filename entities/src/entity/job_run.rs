//! One run of a scheduled job, claimed before it starts.

use sea_orm::entity::prelude::*;

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum JobTrigger {
    /// Its slot came up.
    #[sea_orm(string_value = "SCHEDULE")]
    Schedule,
    /// It stands for slots missed while no replica ran the job (run once for all).
    #[sea_orm(string_value = "CATCH_UP")]
    CatchUp,
    /// An administrator asked for it (`runJob`, `releasedesk run-job`).
    #[sea_orm(string_value = "MANUAL")]
    Manual,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum JobOutcome {
    /// Still going; its runner checks in every few seconds.
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    /// The job returned an error or panicked; `error` says what.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Its runner stopped checking in (killed, crashed, cut off); found by another tick.
    #[sea_orm(string_value = "ABANDONED")]
    Abandoned,
    /// Stopped at shutdown after the grace period; its work was rolled back.
    #[sea_orm(string_value = "INTERRUPTED")]
    Interrupted,
}

/// A row of `job_runs`; `(job, slot)` is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job: String,
    /// The scheduled slot this run claimed; `None` for manual runs.
    pub slot: Option<DateTimeUtc>,
    /// The earliest slot this run stands for (earlier than `slot` after a catch-up).
    pub covers_from: Option<DateTimeUtc>,
    pub trigger: JobTrigger,
    /// Which replica ran it: host, process id and a random tag.
    pub runner: String,
    /// Who asked for a manual run.
    pub requested_by: Option<i32>,
    pub outcome: JobOutcome,
    pub started_at: DateTimeUtc,
    /// The runner's latest check-in while running.
    pub heartbeat_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// How many rows the job looked at.
    pub examined: i64,
    /// How many rows it corrected or sent.
    pub changed: i64,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
