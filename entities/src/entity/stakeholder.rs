//! A person's role on one release.

use sea_orm::entity::prelude::*;

/// What a person does for a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum StakeholderRole {
    #[sea_orm(string_value = "OWNER")]
    Owner,
    #[sea_orm(string_value = "REQUESTER")]
    Requester,
    #[sea_orm(string_value = "IMPLEMENTER")]
    Implementer,
    #[sea_orm(string_value = "TESTER")]
    Tester,
    #[sea_orm(string_value = "APPROVER")]
    Approver,
    #[sea_orm(string_value = "STAKEHOLDER")]
    Stakeholder,
}

/// A row of `stakeholders`; unique per (release, person, role).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stakeholders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub release_id: i32,
    pub person_id: i32,
    pub role: StakeholderRole,
    pub notify: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
