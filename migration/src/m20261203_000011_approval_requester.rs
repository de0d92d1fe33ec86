//! Who asked for a decision: the person whose action opened an approval
//! request (a submit, or a milestone's completion). Neither they nor the
//! release's owner may vote on it (four eyes), however they come to hold a vote.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("approval_requests")
                    .add_column(integer_null("requested_by"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("approval_requests")
                    .drop_column("requested_by")
                    .to_owned(),
            )
            .await
    }
}
