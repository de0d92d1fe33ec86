//! Costs and reports: a release's budget and stored cost totals (running and,
//! once frozen, final) on releases and milestones, the append-only ledger of
//! cost lines, report snapshots (one per period), and attachments on e-mails.

use crate::ddl::{fk, index, unique};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE
        for (table, column) in [
            ("releases", big_integer_null("budget")),
            (
                "releases",
                big_integer("cost_running").default(0).to_owned(),
            ),
            ("releases", big_integer_null("cost_final")),
            (
                "milestones",
                big_integer("cost_running").default(0).to_owned(),
            ),
            ("milestones", big_integer_null("cost_final")),
            ("outbox_messages", text_null("attachments")),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("cost_lines")
                    .col(pk_auto("id"))
                    .col(integer("release_id"))
                    .col(integer_null("milestone_id"))
                    .col(string_len("category", 16))
                    .col(string_len("description", 200))
                    .col(big_integer("amount"))
                    .col(string_len("currency", 3))
                    .col(date("incurred_on"))
                    .col(integer_null("entered_by"))
                    .col(timestamp_with_time_zone("entered_at"))
                    .col(integer_null("reverses_id"))
                    .foreign_key(&mut fk("cost_lines", "release_id", "releases"))
                    .foreign_key(&mut fk("cost_lines", "milestone_id", "milestones"))
                    .foreign_key(&mut fk("cost_lines", "entered_by", "people"))
                    .foreign_key(&mut fk("cost_lines", "reverses_id", "cost_lines"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("cost_lines", &["release_id"]))
            .await?;
        manager
            .create_index(index("cost_lines", &["milestone_id"]))
            .await?;
        // a line is reversed at most once
        manager
            .create_index(unique("cost_lines", &["reverses_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("report_snapshots")
                    .col(pk_auto("id"))
                    .col(timestamp_with_time_zone("period_from"))
                    .col(timestamp_with_time_zone("period_to"))
                    .col(text("report"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("report_snapshots", &["period_from", "period_to"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["report_snapshots", "cost_lines"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for (table, column) in [
            ("outbox_messages", "attachments"),
            ("milestones", "cost_final"),
            ("milestones", "cost_running"),
            ("releases", "cost_final"),
            ("releases", "cost_running"),
            ("releases", "budget"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
