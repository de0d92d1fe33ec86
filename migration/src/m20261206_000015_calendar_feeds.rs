//! Calendar feeds: a person's iCalendar subscription, found by the hash of
//! its secret token.

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
                    .table("calendar_feeds")
                    .col(pk_auto("id"))
                    .col(integer("person_id"))
                    .col(string_len("name", 200))
                    .col(string_len("token_hash", 64))
                    .col(string_len("filter", 2000))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("calendar_feeds", "person_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("calendar_feeds", &["token_hash"]))
            .await?;
        manager
            .create_index(index("calendar_feeds", &["person_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("calendar_feeds").to_owned())
            .await
    }
}
