//! Drops the index on milestones' `(release_id, status)`: every lookup by
//! release is served by the unique `(release_id, sequence)` index's prefix (a
//! release holds a handful of milestones), and the extra index cost every
//! milestone insert an entry and kept status changes from being HOT updates on
//! PostgreSQL. bench/README.md ("Session 7") has what it bought.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_milestones_release_id_status";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("milestones").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(crate::ddl::index("milestones", &["release_id", "status"]))
            .await
    }
}
