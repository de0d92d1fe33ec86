//! Which releases the Release Review Board decides: those made from a template
//! that asks for it (the default major template does), and, as options of the
//! board's policy, every MAJOR release and every EMERGENCY one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The policy's options, one column each (SQLite adds one per statement).
const OPTIONS: [&str; 2] = ["every_major", "emergency_by_any_member"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in OPTIONS {
            manager
                .alter_table(
                    Table::alter()
                        .table("review_board_policies")
                        .add_column(boolean(column).default(false))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table("milestone_templates")
                    .value("board_approval", true)
                    .and_where(Expr::col("is_default").eq(true))
                    .and_where(Expr::col("release_type").eq("MAJOR"))
                    .and_where(Expr::col("name").eq("Major release"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in OPTIONS {
            manager
                .alter_table(
                    Table::alter()
                        .table("review_board_policies")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
