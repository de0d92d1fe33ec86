//! Roles, API tokens and the audit trail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_table: &str, from_col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table.to_owned(), from_col.to_owned())
        .to(to_table.to_owned(), "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &str, table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name.to_owned()).table(table.to_owned());
    for col in cols {
        stmt.col((*col).to_owned());
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

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
            .create_index(index(
                "uq_person_roles_person_id_role",
                "person_roles",
                &["person_id", "role"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_person_roles_role",
                "person_roles",
                &["role"],
                false,
            ))
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
            .create_index(index(
                "uq_api_tokens_token_hash",
                "api_tokens",
                &["token_hash"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_api_tokens_person_id",
                "api_tokens",
                &["person_id"],
                false,
            ))
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
        for (name, cols) in [
            ("idx_audit_events_actor_id", &["actor_id"][..]),
            ("idx_audit_events_token_id", &["token_id"]),
            ("idx_audit_events_operation", &["operation"]),
            ("idx_audit_events_request_id", &["request_id"]),
            ("idx_audit_events_occurred_at", &["occurred_at"]),
        ] {
            manager
                .create_index(index(name, "audit_events", cols, false))
                .await?;
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
