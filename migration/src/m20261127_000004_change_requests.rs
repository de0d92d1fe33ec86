//! Change requests from change management, optionally linked to a release or a
//! phase, whose planned window then drives the change's schedule.

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
                    .table("change_requests")
                    .col(pk_auto("id"))
                    .col(string_len("number", 16))
                    .col(string_len("title", 200))
                    .col(text("description"))
                    .col(string_len("state", 16))
                    .col(string_len("risk", 8))
                    .col(timestamp_with_time_zone_null("scheduled_start"))
                    .col(timestamp_with_time_zone_null("scheduled_end"))
                    .col(integer("requester_id"))
                    .col(integer_null("release_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk("change_requests", "requester_id", "people"))
                    .foreign_key(&mut fk("change_requests", "release_id", "releases"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("change_requests", &["number"]))
            .await?;
        for cols in [&["release_id"][..], &["requester_id"], &["state"]] {
            manager.create_index(index("change_requests", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("change_requests").to_owned())
            .await
    }
}
