//! A named list of milestones that new releases can be created from.

use super::release::ReleaseType;
use sea_orm::entity::prelude::*;

/// A row of `milestone_templates`. At most one template per release type is the default.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub description: String,
    pub release_type: ReleaseType,
    pub is_default: bool,
    /// Releases made from it go to the Release Review Board, whatever their type.
    pub board_approval: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
