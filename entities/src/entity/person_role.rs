//! The roles a person holds; everyone with an account is at least a stakeholder.

use sea_orm::entity::prelude::*;

/// What a person may do in Releasedesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Role {
    /// Everything, including people, roles, tokens, templates and job controls.
    #[sea_orm(string_value = "ADMINISTRATOR")]
    Administrator,
    /// Creates and runs releases; sees every release.
    #[sea_orm(string_value = "RELEASE_MANAGER")]
    ReleaseManager,
    /// Submits release requests and cancels drafts of releases they are on.
    #[sea_orm(string_value = "CHANGE_MANAGER")]
    ChangeManager,
    /// Member of the Release Review Board; sees what awaits a decision.
    #[sea_orm(string_value = "REVIEW_BOARD")]
    ReviewBoard,
    /// Reads the releases they are a stakeholder of.
    #[sea_orm(string_value = "STAKEHOLDER")]
    Stakeholder,
}

/// A row of `person_roles`; unique per (person, role).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub role: Role,
    pub granted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
