//! Releasedesk's schema history. `entities` never imports this crate.

pub use sea_orm_migration::prelude::*;

mod ddl;
mod m20261127_000001_core;
mod m20261127_000002_access;
mod m20261127_000003_history_subjects;
mod m20261127_000004_change_requests;
mod m20261127_000005_packages;
mod m20261127_000006_job_runs;
mod m20261127_000007_approvals_outbox;
mod m20261127_000008_template_board_approval;
mod m20261127_000009_costs_reports;
mod m20261127_000010_milestone_index;
mod m20261203_000011_approval_requester;
mod m20261203_000012_link_key_out_of_the_database;
mod m20261204_000013_board_governs;
mod m20261204_000014_schedule_windows;
mod m20261206_000015_calendar_feeds;

/// Applies Releasedesk's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_core::Migration),
            Box::new(m20261127_000002_access::Migration),
            Box::new(m20261127_000003_history_subjects::Migration),
            Box::new(m20261127_000004_change_requests::Migration),
            Box::new(m20261127_000005_packages::Migration),
            Box::new(m20261127_000006_job_runs::Migration),
            Box::new(m20261127_000007_approvals_outbox::Migration),
            Box::new(m20261127_000008_template_board_approval::Migration),
            Box::new(m20261127_000009_costs_reports::Migration),
            Box::new(m20261127_000010_milestone_index::Migration),
            Box::new(m20261203_000011_approval_requester::Migration),
            Box::new(m20261203_000012_link_key_out_of_the_database::Migration),
            Box::new(m20261204_000013_board_governs::Migration),
            Box::new(m20261204_000014_schedule_windows::Migration),
            Box::new(m20261206_000015_calendar_feeds::Migration),
        ]
    }
}
