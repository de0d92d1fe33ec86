//! The key that signs approve and reject links leaves the database: it lives
//! in the service's settings or key file, so reading the database is not
//! enough to forge a link. Links signed with the old key stop working; the
//! `approval-requests` job's reminders carry new ones.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table("service_keys")
                    .and_where(Expr::col("name").eq("approval-links"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // a deleted key cannot come back; the service never reads it again
        Ok(())
    }
}
