//! One row per scheduled job: its schedule and the latest slot any replica claimed.

use sea_orm::entity::prelude::*;

/// A row of `job_schedules`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_schedules")]
pub struct Model {
    /// The job's name, e.g. `change-schedule-sync`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job: String,
    /// The cron expression (with seconds, UTC) last seen for the job.
    pub schedule: String,
    /// Every slot up to this instant has been claimed by a run.
    pub claimed_through: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
