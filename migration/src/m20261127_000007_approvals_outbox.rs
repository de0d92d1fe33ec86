//! The Release Review Board's approvals (policy, requests, votes, delegations),
//! the e-mail outbox, and the service's own signing keys.
//!
//! `approval_requests (subject_key, round)` is unique, so a release or milestone
//! has at most one request per round; `approval_votes (request_id, approver_id)`
//! gives each approver one vote per request; `outbox_messages.idempotency_key`
//! is unique, so a retried change or a second replica cannot queue an e-mail twice.

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
                    .table("review_board_policies")
                    .col(integer("id").primary_key())
                    .col(string_len("rule", 16))
                    .col(integer_null("quorum"))
                    .col(integer("due_hours"))
                    .col(integer("reminder_hours"))
                    .col(integer_null("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("review_board_policies", "updated_by", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("review_board_policies")
                    .columns(["id", "rule", "due_hours", "reminder_hours", "updated_at"])
                    .values_panic([
                        1.into(),
                        "ALL".into(),
                        72.into(),
                        24.into(),
                        Expr::current_timestamp(),
                    ])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("approval_requests")
                    .col(pk_auto("id"))
                    .col(integer("release_id"))
                    .col(integer_null("milestone_id"))
                    .col(string_len("subject_key", 32))
                    .col(integer("round"))
                    .col(string_len("rule", 16))
                    .col(integer_null("quorum"))
                    .col(boolean("emergency"))
                    .col(string_len("status", 16))
                    .col(integer("reminder_hours"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk("approval_requests", "release_id", "releases"))
                    .foreign_key(&mut fk("approval_requests", "milestone_id", "milestones"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("approval_requests", &["subject_key", "round"]))
            .await?;
        for cols in [&["release_id"][..], &["status", "due_at"]] {
            manager
                .create_index(index("approval_requests", cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("approval_votes")
                    .col(pk_auto("id"))
                    .col(integer("request_id"))
                    .col(integer("approver_id"))
                    .col(string_len("decision", 16))
                    .col(text_null("comment"))
                    .col(integer_null("decided_by"))
                    .col(integer_null("delegated_to"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(integer("emails_sent").default(0))
                    .col(timestamp_with_time_zone_null("last_emailed_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk("approval_votes", "request_id", "approval_requests"))
                    .foreign_key(&mut fk("approval_votes", "approver_id", "people"))
                    .foreign_key(&mut fk("approval_votes", "decided_by", "people"))
                    .foreign_key(&mut fk("approval_votes", "delegated_to", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("approval_votes", &["request_id", "approver_id"]))
            .await?;
        manager
            .create_index(index("approval_votes", &["approver_id", "decision"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("approval_delegations")
                    .col(pk_auto("id"))
                    .col(integer("delegator_id"))
                    .col(integer("delegate_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(text_null("reason"))
                    .col(integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("approval_delegations", "delegator_id", "people"))
                    .foreign_key(&mut fk("approval_delegations", "delegate_id", "people"))
                    .foreign_key(&mut fk("approval_delegations", "created_by", "people"))
                    .to_owned(),
            )
            .await?;
        for cols in [&["delegator_id"][..], &["delegate_id"]] {
            manager
                .create_index(index("approval_delegations", cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("outbox_messages")
                    .col(pk_auto("id"))
                    .col(string_len("idempotency_key", 200))
                    .col(string_len("kind", 32))
                    .col(integer_null("release_id"))
                    .col(integer_null("recipient_id"))
                    .col(string_len("recipient", 320))
                    .col(text("subject"))
                    .col(text("text_body"))
                    .col(text("html_body"))
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(string_len_null("claimed_by", 200))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .foreign_key(&mut fk("outbox_messages", "release_id", "releases"))
                    .foreign_key(&mut fk("outbox_messages", "recipient_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("outbox_messages", &["idempotency_key"]))
            .await?;
        manager
            .create_index(index("outbox_messages", &["status", "next_attempt_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("service_keys")
                    .col(string_len("name", 64).primary_key())
                    .col(string_len("secret", 128))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "service_keys",
            "outbox_messages",
            "approval_delegations",
            "approval_votes",
            "approval_requests",
            "review_board_policies",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
