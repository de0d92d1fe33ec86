//! The scheduler's ledger: one row per job with the latest slot claimed, and
//! one row per run. `(job, slot)` is unique, so a scheduled slot runs once
//! however many replicas share the database; manual runs have no slot.

use crate::ddl::{fk, index, unique};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("job_schedules")
                    .col(string_len("job", 64).primary_key())
                    .col(string_len("schedule", 200))
                    .col(timestamp_with_time_zone("claimed_through"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("job_runs")
                    .col(pk_auto("id"))
                    .col(string_len("job", 64))
                    .col(timestamp_with_time_zone_null("slot"))
                    .col(timestamp_with_time_zone_null("covers_from"))
                    .col(string_len("trigger", 16))
                    .col(string_len("runner", 200))
                    .col(integer_null("requested_by"))
                    .col(string_len("outcome", 16))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone("heartbeat_at"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .col(big_integer("examined").default(0))
                    .col(big_integer("changed").default(0))
                    .col(text_null("error"))
                    .foreign_key(&mut fk("job_runs", "requested_by", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("job_runs", &["job", "slot"]))
            .await?;
        manager
            .create_index(index("job_runs", &["job", "outcome"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["job_runs", "job_schedules"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
