//! Milestone templates: the milestones a new release starts with.

use crate::entity::{milestone_template, template_item, ReleaseType};
use crate::kit::group_by;
use crate::policy::Capability;
use crate::{validate, DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};
use std::collections::HashMap;

/// One milestone of a new template.
#[derive(Debug, Clone)]
pub struct NewTemplateItem {
    pub title: String,
    pub description: String,
    pub requires_approval: bool,
}

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub name: String,
    pub description: String,
    pub release_type: ReleaseType,
    pub is_default: bool,
    /// Releases made from it need the Release Review Board's approval.
    pub board_approval: bool,
    pub items: Vec<NewTemplateItem>,
}

/// Loads one template or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<milestone_template::Model> {
    milestone_template::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("milestone template", id))
}

/// The default template of a release type, if it has one.
pub async fn default_for<C: ConnectionTrait>(
    db: &C,
    release_type: ReleaseType,
) -> DomainResult<Option<milestone_template::Model>> {
    Ok(milestone_template::Entity::find()
        .filter(milestone_template::Column::ReleaseType.eq(release_type))
        .filter(milestone_template::Column::IsDefault.eq(true))
        .order_by_asc(milestone_template::Column::Id)
        .one(db)
        .await?)
}

/// Every template, by name.
pub async fn list<C: ConnectionTrait>(db: &C) -> DomainResult<Vec<milestone_template::Model>> {
    Ok(milestone_template::Entity::find()
        .order_by_asc(milestone_template::Column::Name)
        .all(db)
        .await?)
}

/// The items of one template, in sequence.
pub async fn items<C: ConnectionTrait>(
    db: &C,
    template_id: i32,
) -> DomainResult<Vec<template_item::Model>> {
    Ok(items_for(db, &[template_id])
        .await?
        .remove(&template_id)
        .unwrap_or_default())
}

/// The items of each template in `template_ids`, in sequence, in one query.
pub async fn items_for<C: ConnectionTrait>(
    db: &C,
    template_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<template_item::Model>>> {
    let rows = template_item::Entity::find()
        .filter(template_item::Column::TemplateId.is_in(template_ids.iter().copied()))
        .order_by_asc(template_item::Column::TemplateId)
        .order_by_asc(template_item::Column::Sequence)
        .all(db)
        .await?;
    Ok(group_by(rows, |row| row.template_id))
}

/// Creates a template with its items; a new default replaces the type's old default.
pub async fn create(tx: &mut Tx, new: NewTemplate) -> DomainResult<milestone_template::Model> {
    tx.stamp().actor.require(Capability::Administer)?;
    let name = validate::title("name", &new.name)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    if new.items.is_empty() {
        return Err(DomainError::validation(
            "items",
            "a template needs at least one milestone",
        ));
    }
    let mut items = Vec::with_capacity(new.items.len());
    for (index, item) in new.items.iter().enumerate() {
        items.push((
            validate::title(&format!("items.{index}.title"), &item.title)?,
            validate::optional_text(
                &format!("items.{index}.description"),
                &item.description,
                validate::MAX_TEXT,
            )?,
            item.requires_approval,
        ));
    }
    let txn = tx.db();
    let taken = milestone_template::Entity::find()
        .filter(milestone_template::Column::Name.eq(name.clone()))
        .count(txn)
        .await?;
    if taken > 0 {
        return Err(DomainError::Conflict(format!(
            "a milestone template named \"{name}\" already exists"
        )));
    }
    if new.is_default {
        milestone_template::Entity::update_many()
            .col_expr(milestone_template::Column::IsDefault, Expr::value(false))
            .filter(milestone_template::Column::ReleaseType.eq(new.release_type))
            .exec(txn)
            .await?;
    }
    let template = milestone_template::ActiveModel {
        name: Set(name),
        description: Set(description),
        release_type: Set(new.release_type),
        is_default: Set(new.is_default),
        board_approval: Set(new.board_approval),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let rows =
        items
            .into_iter()
            .enumerate()
            .map(
                |(index, (title, description, requires_approval))| template_item::ActiveModel {
                    template_id: Set(template.id),
                    sequence: Set(i32::try_from(index).unwrap_or(i32::MAX - 1) + 1),
                    title: Set(title),
                    description: Set(description),
                    requires_approval: Set(requires_approval),
                    ..Default::default()
                },
            );
    template_item::Entity::insert_many(rows).exec(txn).await?;
    Ok(template)
}
