//! History of anything, not only releases: `release_events` becomes
//! `history_events`, where each event names its subject (`RELEASE`, later
//! `CHANGE`, `CONFIGURATION_ITEM`…) and `release_id` is set only when a release
//! is involved. Existing rows are copied as release events.

use crate::ddl::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str =
    "id, release_id, milestone_id, actor_id, kind, field, from_value, to_value, note, occurred_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("history_events")
                    .col(pk_auto("id"))
                    .col(string_len("subject_type", 32))
                    .col(integer("subject_id"))
                    .col(integer_null("release_id"))
                    .col(integer_null("milestone_id"))
                    .col(integer_null("actor_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("field", 64))
                    .col(text_null("from_value"))
                    .col(text_null("to_value"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .foreign_key(&mut fk("history_events", "release_id", "releases"))
                    .foreign_key(&mut fk("history_events", "milestone_id", "milestones"))
                    .foreign_key(&mut fk("history_events", "actor_id", "people"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO history_events (subject_type, subject_id, {COLUMNS}) \
             SELECT 'RELEASE', release_id, {COLUMNS} FROM release_events"
        ))
        .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            // ids were copied; move the sequence past them
            db.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('history_events', 'id'), \
                 COALESCE((SELECT MAX(id) FROM history_events), 0) + 1, false)",
            )
            .await?;
        }
        manager
            .drop_table(Table::drop().table("release_events").to_owned())
            .await?;
        for cols in [
            &["subject_type", "subject_id", "id"][..],
            &["release_id", "id"],
            &["milestone_id"],
            &["actor_id"],
        ] {
            manager.create_index(index("history_events", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "history_events holds events of non-release subjects; it cannot go back".into(),
        ))
    }
}
