//! Configuration items, the items a change touches, and release packages: what a
//! release (or phase) rolls out for a change, item by item.

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
                    .table("configuration_items")
                    .col(pk_auto("id"))
                    .col(string_len("name", 200))
                    .col(string_len("item_type", 16))
                    .col(string_len("item_version", 100))
                    .col(integer_null("owner_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("configuration_items", "owner_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("configuration_items", &["name"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("change_items")
                    .col(pk_auto("id"))
                    .col(integer("change_id"))
                    .col(integer("item_id"))
                    .foreign_key(&mut fk("change_items", "change_id", "change_requests"))
                    .foreign_key(&mut fk("change_items", "item_id", "configuration_items"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("change_items", &["change_id", "item_id"]))
            .await?;
        manager
            .create_index(index("change_items", &["item_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("release_packages")
                    .col(pk_auto("id"))
                    .col(string_len("name", 200))
                    .col(integer("release_id"))
                    .col(integer_null("change_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("release_packages", "release_id", "releases"))
                    .foreign_key(&mut fk("release_packages", "change_id", "change_requests"))
                    .to_owned(),
            )
            .await?;
        for cols in [&["release_id"][..], &["change_id"]] {
            manager
                .create_index(index("release_packages", cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("package_items")
                    .col(pk_auto("id"))
                    .col(integer("package_id"))
                    .col(integer("item_id"))
                    .foreign_key(&mut fk("package_items", "package_id", "release_packages"))
                    .foreign_key(&mut fk("package_items", "item_id", "configuration_items"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("package_items", &["package_id", "item_id"]))
            .await?;
        manager
            .create_index(index("package_items", &["item_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "package_items",
            "release_packages",
            "change_items",
            "configuration_items",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
