//! One milestone of a template.

use sea_orm::entity::prelude::*;

/// A row of `milestone_template_items`, ordered by `sequence` within its template.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_template_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub template_id: i32,
    pub sequence: i32,
    pub title: String,
    pub description: String,
    pub requires_approval: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
