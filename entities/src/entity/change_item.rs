//! One configuration item of a change (`change_items`).

use sea_orm::entity::prelude::*;

/// A row of `change_items`; unique per (change_id, item_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub change_id: i32,
    pub item_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
