//! A template may ask for the Release Review Board's approval of the releases
//! made from it, MINOR ones included.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("milestone_templates")
                    .add_column(boolean("board_approval").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("milestone_templates")
                    .drop_column("board_approval")
                    .to_owned(),
            )
            .await
    }
}
