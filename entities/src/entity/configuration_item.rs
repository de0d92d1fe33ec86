//! Configuration items: the servers, applications, workstations and network
//! devices that changes touch and releases roll out to.

use sea_orm::entity::prelude::*;

/// What kind of thing an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ItemType {
    #[sea_orm(string_value = "SERVER")]
    Server,
    #[sea_orm(string_value = "APPLICATION")]
    Application,
    #[sea_orm(string_value = "WORKSTATION")]
    Workstation,
    #[sea_orm(string_value = "NETWORK")]
    Network,
    #[sea_orm(string_value = "DATABASE")]
    Database,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// A row of `configuration_items`; names are unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "configuration_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub item_type: ItemType,
    pub item_version: String,
    pub owner_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
