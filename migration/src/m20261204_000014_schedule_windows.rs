//! Schedule windows: change freezes and maintenance windows, once or
//! recurring in a time zone, over some configuration items or everything.

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
                    .table("schedule_windows")
                    .col(pk_auto("id"))
                    .col(string_len("title", 200))
                    .col(string_len("kind", 16))
                    .col(string_len("enforcement", 8))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_len_null("recurrence", 500))
                    .col(timestamp_with_time_zone_null("recurs_until"))
                    .col(string_len("time_zone", 64))
                    .col(string_len("reason", 2000))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk("schedule_windows", "created_by", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("schedule_windows", &["starts_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("schedule_window_items")
                    .col(pk_auto("id"))
                    .col(integer("window_id"))
                    .col(integer("item_id"))
                    .foreign_key(&mut fk(
                        "schedule_window_items",
                        "window_id",
                        "schedule_windows",
                    ))
                    .foreign_key(&mut fk(
                        "schedule_window_items",
                        "item_id",
                        "configuration_items",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("schedule_window_items", &["window_id", "item_id"]))
            .await?;
        manager
            .create_index(index("schedule_window_items", &["item_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["schedule_window_items", "schedule_windows"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
