//! Milestone templates.

use super::error::GqlResultExt;
use super::guard;
use super::loaders::ItemsOf;
use super::write::write;
use super::RequestLoader;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::entity::{milestone_template, template_item, ReleaseType};
use entities::policy::Capability;
use entities::templates::{self, NewTemplate, NewTemplateItem};

/// A named list of milestones new releases can start from.
pub struct MilestoneTemplate(pub milestone_template::Model);

#[Object]
impl MilestoneTemplate {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The release type this template is meant for.
    async fn release_type(&self) -> ReleaseType {
        self.0.release_type
    }
    /// New releases of this type use it unless told otherwise.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// Releases made from it need the Release Review Board's approval.
    async fn board_approval(&self) -> bool {
        self.0.board_approval
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The milestones, in sequence.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<MilestoneTemplateItem>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(ItemsOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(MilestoneTemplateItem::from)
            .collect())
    }
}

/// One milestone of a template.
#[derive(SimpleObject)]
pub struct MilestoneTemplateItem {
    pub sequence: i32,
    pub title: String,
    pub description: String,
    pub requires_approval: bool,
}

impl From<template_item::Model> for MilestoneTemplateItem {
    fn from(row: template_item::Model) -> Self {
        Self {
            sequence: row.sequence,
            title: row.title,
            description: row.description,
            requires_approval: row.requires_approval,
        }
    }
}

#[derive(Default)]
pub struct TemplateQuery;

#[Object]
impl TemplateQuery {
    /// Every milestone template, by name.
    async fn milestone_templates(&self, ctx: &Context<'_>) -> Result<Vec<MilestoneTemplate>> {
        guard::require(ctx, Capability::ReadTemplates)?;
        let services = ctx.data::<AppContext>()?;
        let rows = templates::list(&services.db).await.gql()?;
        Ok(rows.into_iter().map(MilestoneTemplate).collect())
    }
}

/// One milestone of a new template.
#[derive(InputObject)]
pub struct MilestoneTemplateItemInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default)]
    pub requires_approval: bool,
}

/// Input of `createMilestoneTemplate`.
#[derive(InputObject)]
pub struct CreateMilestoneTemplateInput {
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub release_type: ReleaseType,
    /// Make it the default of its release type, replacing the old default.
    #[graphql(default)]
    pub is_default: bool,
    /// Releases made from it need the Release Review Board's approval, MINOR
    /// ones included (the board's policy can add every MAJOR and EMERGENCY one).
    #[graphql(default)]
    pub board_approval: bool,
    pub items: Vec<MilestoneTemplateItemInput>,
}

#[derive(Default)]
pub struct TemplateMutation;

#[Object]
impl TemplateMutation {
    /// Creates a template; a taken name fails with `CONFLICT`.
    async fn create_milestone_template(
        &self,
        ctx: &Context<'_>,
        input: CreateMilestoneTemplateInput,
    ) -> Result<MilestoneTemplate> {
        let new = NewTemplate {
            name: input.name,
            description: input.description,
            release_type: input.release_type,
            is_default: input.is_default,
            board_approval: input.board_approval,
            items: input
                .items
                .into_iter()
                .map(|i| NewTemplateItem {
                    title: i.title,
                    description: i.description,
                    requires_approval: i.requires_approval,
                })
                .collect(),
        };
        write(ctx, async |tx| templates::create(tx, new).await)
            .await
            .map(MilestoneTemplate)
    }
}
