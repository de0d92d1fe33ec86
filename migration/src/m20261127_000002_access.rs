//! Roles, API tokens and the audit trail.

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
                    .table("person_roles")
                    .col(pk_auto("id"))
                    .col(integer("person_id"))
                    .col(string_len("role", 24))
                    .col(timestamp_with_time_zone("granted_at"))
                    .foreign_key(&mut fk("person_roles", "person_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("person_roles", &["person_id", "role"]))
            .await?;
        manager
            .create_index(index("person_roles", &["role"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(pk_auto("id"))
                    .col(integer("person_id"))
                    .col(string_len("name", 200))
                    .col(string_len("token_hash", 64))
                    .col(string_len("prefix", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .foreign_key(&mut fk("api_tokens", "person_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("api_tokens", &["token_hash"]))
            .await?;
        manager
            .create_index(index("api_tokens", &["person_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(pk_auto("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(integer_null("actor_id"))
                    .col(integer_null("token_id"))
                    .col(string_len("request_id", 64))
                    .col(string_len("operation", 64))
                    .col(string_len("outcome", 32))
                    .col(text_null("arguments"))
                    .foreign_key(&mut fk("audit_events", "actor_id", "people"))
                    .foreign_key(&mut fk("audit_events", "token_id", "api_tokens"))
                    .to_owned(),
            )
            .await?;
        for cols in [
            &["actor_id"][..],
            &["token_id"],
            &["operation"],
            &["request_id"],
            &["occurred_at"],
        ] {
            manager.create_index(index("audit_events", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_events", "api_tokens", "person_roles"] {
            manager
                .drop_table(Table::drop().table(table.to_owned()).to_owned())
                .await?;
        }
        Ok(())
    }
}
