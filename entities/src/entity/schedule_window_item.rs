//! The configuration items a schedule window covers; none means every item.

use sea_orm::entity::prelude::*;

/// A row of `schedule_window_items`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "schedule_window_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub window_id: i32,
    pub item_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
