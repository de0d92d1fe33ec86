//! Creating a release: scope rules (phases under an open master), its window,
//! its owner as stakeholder and milestones from a template.

use super::{add_owner_stakeholder, require_person};
use crate::entity::{release, EventKind, ReleaseScope, ReleaseStatus, ReleaseType};
use crate::lifecycle::release::{self as lifecycle};
use crate::policy::Capability;
use crate::{milestones, templates, validate, windows};
use crate::{DomainError, DomainResult, Event, Subject, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set};

/// Which milestone template a new release starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemplateChoice {
    /// The default template of the release type, if that type uses one (MAJOR does).
    #[default]
    Default,
    /// No milestones from a template.
    None,
    /// This template.
    Template(i32),
}

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub title: String,
    pub description: String,
    pub release_type: ReleaseType,
    pub scope: ReleaseScope,
    pub master_id: Option<i32>,
    /// The owner; the person creating it when unset.
    pub owner_id: Option<i32>,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub template: TemplateChoice,
}

/// Creates a release with its owner as stakeholder and, where the type asks for it,
/// milestones from a template.
pub async fn create(tx: &mut Tx, new: NewRelease) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let title = validate::title("title", &new.title)?;
    let description = validate::optional_text("description", &new.description, validate::MAX_TEXT)?;
    let window = (new.planned_start, new.planned_end);
    windows::ordered(window, "plannedEnd")?;
    if let (ReleaseScope::Phase, Some(master_id)) = (new.scope, new.master_id) {
        // the master takes its phases under its lock (the lock order)
        tx.lock_releases(&[master_id]).await?;
    }
    let txn = tx.db();
    let owner_id = new
        .owner_id
        .or(tx.stamp().actor.person_id())
        .ok_or_else(|| DomainError::validation("ownerId", "name the release's owner"))?;
    require_person(txn, owner_id, "ownerId").await?;
    match (new.scope, new.master_id) {
        (ReleaseScope::Phase, None) => {
            return Err(DomainError::validation(
                "masterId",
                "a PHASE release needs a masterId",
            ))
        }
        (ReleaseScope::Phase, Some(master_id)) => {
            let master = release::Entity::find_by_id(master_id)
                .one(txn)
                .await?
                .ok_or_else(|| {
                    DomainError::validation("masterId", format!("no release {master_id}"))
                })?;
            if master.scope != ReleaseScope::Master {
                return Err(DomainError::validation(
                    "masterId",
                    format!("release {master_id} is not a MASTER release"),
                ));
            }
            if !master.status.is_open() || master.status == ReleaseStatus::Review {
                return Err(DomainError::validation(
                    "masterId",
                    format!(
                        "master release {master_id} is {} and takes no new phases",
                        lifecycle::status_name(master.status)
                    ),
                ));
            }
            windows::check_phase(&master, window)?;
        }
        (_, Some(_)) => {
            return Err(DomainError::validation(
                "masterId",
                "only a PHASE release belongs to a master",
            ))
        }
        (_, None) => {}
    }
    let template = match new.template {
        TemplateChoice::None => None,
        TemplateChoice::Default if new.release_type == ReleaseType::Major => {
            templates::default_for(txn, new.release_type).await?
        }
        TemplateChoice::Default => None,
        TemplateChoice::Template(id) => Some(templates::find(txn, id).await.map_err(|_| {
            DomainError::validation("templateId", format!("no milestone template {id}"))
        })?),
    };

    let created = release::ActiveModel {
        title: Set(title),
        description: Set(description),
        release_type: Set(new.release_type),
        scope: Set(new.scope),
        master_id: Set(new.master_id),
        status: Set(ReleaseStatus::Draft),
        owner_id: Set(owner_id),
        template_id: Set(template.as_ref().map(|t| t.id)),
        planned_start: Set(new.planned_start),
        planned_end: Set(new.planned_end),
        actual_start: Set(None),
        actual_end: Set(None),
        review_outcome: Set(None),
        lessons_learned: Set(None),
        cancel_reason: Set(None),
        created_at: Set(tx.now()),
        updated_at: Set(tx.now()),
        version: Set(1),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    add_owner_stakeholder(tx, created.id, owner_id).await?;

    let mut events = vec![Event::change(
        EventKind::ReleaseCreated,
        "status",
        None,
        Some(lifecycle::status_name(ReleaseStatus::Draft).to_owned()),
    )];
    if let Some(template) = &template {
        let items = templates::items(tx.db(), template.id).await?;
        let added = milestones::insert_from_template(tx, created.id, &items).await?;
        events.extend(added.iter().map(|m| {
            Event::change(
                EventKind::MilestoneAdded,
                "title",
                None,
                Some(m.title.clone()),
            )
            .on_milestone(m.id)
            .with_note(Some(format!("from template \"{}\"", template.name)))
        }));
    }
    tx.record(Subject::Release(created.id), events);
    Ok(created)
}
