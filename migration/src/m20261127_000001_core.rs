//! People, releases, milestones, templates, stakeholders and history, plus the
//! default MAJOR milestone template.

use crate::ddl::{fk, index, unique};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The milestones of the default MAJOR template: (title, description, requires approval).
const DEFAULT_MAJOR_MILESTONES: [(&str, &str, bool); 6] = [
    (
        "Plan",
        "Scope, schedule, risks and rollback plan agreed.",
        true,
    ),
    (
        "Build",
        "Release package assembled from the approved changes.",
        false,
    ),
    ("Test", "Acceptance and performance tests passed.", true),
    (
        "Deploy",
        "Rolled out to production per the deployment plan.",
        true,
    ),
    (
        "Review",
        "Post-implementation review held, lessons learned recorded.",
        false,
    ),
    (
        "Close",
        "Documentation, handover and closure signed off.",
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("people")
                    .col(pk_auto("id"))
                    .col(string_len("name", 200))
                    .col(string_len("email", 254))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("people", &["email"])).await?;
        manager.create_index(index("people", &["name"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("milestone_templates")
                    .col(pk_auto("id"))
                    .col(string_len("name", 200))
                    .col(text("description"))
                    .col(string_len("release_type", 16))
                    .col(boolean("is_default"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("milestone_templates", &["name"]))
            .await?;
        manager
            .create_index(index(
                "milestone_templates",
                &["release_type", "is_default"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("milestone_template_items")
                    .col(pk_auto("id"))
                    .col(integer("template_id"))
                    .col(integer("sequence"))
                    .col(string_len("title", 200))
                    .col(text("description"))
                    .col(boolean("requires_approval"))
                    .foreign_key(&mut fk(
                        "milestone_template_items",
                        "template_id",
                        "milestone_templates",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "milestone_template_items",
                &["template_id", "sequence"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("releases")
                    .col(pk_auto("id"))
                    .col(string_len("title", 200))
                    .col(text("description"))
                    .col(string_len("release_type", 16))
                    .col(string_len("scope", 16))
                    .col(integer_null("master_id"))
                    .col(string_len("status", 16))
                    .col(integer("owner_id"))
                    .col(integer_null("template_id"))
                    .col(timestamp_with_time_zone_null("planned_start"))
                    .col(timestamp_with_time_zone_null("planned_end"))
                    .col(timestamp_with_time_zone_null("actual_start"))
                    .col(timestamp_with_time_zone_null("actual_end"))
                    .col(string_len_null("review_outcome", 24))
                    .col(text_null("lessons_learned"))
                    .col(text_null("cancel_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk("releases", "master_id", "releases"))
                    .foreign_key(&mut fk("releases", "owner_id", "people"))
                    .foreign_key(&mut fk("releases", "template_id", "milestone_templates"))
                    .to_owned(),
            )
            .await?;
        for cols in [
            &["master_id"][..],
            &["owner_id"],
            &["template_id"],
            &["status"],
            &["release_type"],
            &["scope"],
            &["planned_start", "id"],
            &["planned_end"],
        ] {
            manager.create_index(index("releases", cols)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("milestones")
                    .col(pk_auto("id"))
                    .col(integer("release_id"))
                    .col(integer("sequence"))
                    .col(string_len("title", 200))
                    .col(text("description"))
                    .col(string_len("status", 24))
                    .col(boolean("requires_approval"))
                    .col(timestamp_with_time_zone_null("planned_start"))
                    .col(timestamp_with_time_zone_null("planned_end"))
                    .col(timestamp_with_time_zone_null("actual_start"))
                    .col(timestamp_with_time_zone_null("actual_end"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut fk("milestones", "release_id", "releases"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("milestones", &["release_id", "sequence"]))
            .await?;
        manager
            .create_index(index("milestones", &["release_id", "status"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("stakeholders")
                    .col(pk_auto("id"))
                    .col(integer("release_id"))
                    .col(integer("person_id"))
                    .col(string_len("role", 16))
                    .col(boolean("notify"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("stakeholders", "release_id", "releases"))
                    .foreign_key(&mut fk("stakeholders", "person_id", "people"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique("stakeholders", &["release_id", "person_id", "role"]))
            .await?;
        manager
            .create_index(index("stakeholders", &["person_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("release_events")
                    .col(pk_auto("id"))
                    .col(integer("release_id"))
                    .col(integer_null("milestone_id"))
                    .col(integer_null("actor_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("field", 64))
                    .col(text_null("from_value"))
                    .col(text_null("to_value"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .foreign_key(&mut fk("release_events", "release_id", "releases"))
                    .foreign_key(&mut fk("release_events", "milestone_id", "milestones"))
                    .foreign_key(&mut fk("release_events", "actor_id", "people"))
                    .to_owned(),
            )
            .await?;
        for cols in [&["release_id", "id"][..], &["milestone_id"], &["actor_id"]] {
            manager.create_index(index("release_events", cols)).await?;
        }

        seed_default_major_template(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "release_events",
            "stakeholders",
            "milestones",
            "releases",
            "milestone_template_items",
            "milestone_templates",
            "people",
        ] {
            manager
                .drop_table(Table::drop().table(table.to_owned()).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn seed_default_major_template(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let now = chrono::Utc::now();
    let insert = Query::insert()
        .into_table("milestone_templates")
        .columns([
            "name",
            "description",
            "release_type",
            "is_default",
            "created_at",
        ])
        .values_panic([
            "Major release".into(),
            "Plan, build, test, deploy, review and close, with approvals at the gates.".into(),
            "MAJOR".into(),
            true.into(),
            now.into(),
        ])
        .returning_col("id")
        .to_owned();
    let row = db
        .query_one(&insert)
        .await?
        .ok_or_else(|| DbErr::Custom("default template insert returned no id".into()))?;
    let template_id: i32 = row.try_get("", "id")?;
    let mut items = Query::insert()
        .into_table("milestone_template_items")
        .columns([
            "template_id",
            "sequence",
            "title",
            "description",
            "requires_approval",
        ])
        .to_owned();
    for (index, (title, description, requires_approval)) in
        DEFAULT_MAJOR_MILESTONES.iter().enumerate()
    {
        items.values_panic([
            template_id.into(),
            (index as i32 + 1).into(),
            (*title).into(),
            (*description).into(),
            (*requires_approval).into(),
        ]);
    }
    db.execute(&items).await?;
    Ok(())
}
