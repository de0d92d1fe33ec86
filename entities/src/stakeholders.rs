//! Who has a stake in a release, in which role, and whether they want mail.

use crate::entity::{person, stakeholder, EventKind, StakeholderRole};
use crate::kit::group_by;
use crate::policy::Capability;
use crate::rows::Positional;
use crate::{approvals, releases, DomainError, DomainResult, Event, Subject, Tx};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};
use std::collections::HashMap;

/// Adds `person_id` to a release in `role`; the same person may hold several roles.
pub async fn add(
    tx: &mut Tx,
    release_id: i32,
    person_id: i32,
    role: StakeholderRole,
    notify: bool,
) -> DomainResult<stakeholder::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    if role == StakeholderRole::Owner {
        return Err(DomainError::validation(
            "role",
            "the OWNER follows the release owner; change the owner with updateRelease",
        ));
    }
    releases::find_visible_locked(tx, release_id).await?;
    let txn = tx.db();
    let person = person::Entity::find_by_id(person_id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::validation("personId", format!("no person {person_id}")))?;
    let existing = stakeholder::Entity::find()
        .filter(stakeholder::Column::ReleaseId.eq(release_id))
        .filter(stakeholder::Column::PersonId.eq(person_id))
        .filter(stakeholder::Column::Role.eq(role))
        .count(txn)
        .await?;
    if existing > 0 {
        return Err(DomainError::Conflict(format!(
            "{} is already a {} of release {release_id}",
            person.email,
            role.to_value()
        )));
    }
    let created = stakeholder::ActiveModel {
        release_id: Set(release_id),
        person_id: Set(person_id),
        role: Set(role),
        notify: Set(notify),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    tx.record(
        Subject::Release(release_id),
        [Event::change(
            EventKind::StakeholderAdded,
            "stakeholders",
            None,
            Some(format!("{} as {}", person.email, role.to_value())),
        )],
    );
    Ok(created)
}

/// Removes a stakeholder entry; the OWNER entry goes only by changing the owner.
pub async fn remove(tx: &mut Tx, stakeholder_id: i32) -> DomainResult<stakeholder::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let entry = stakeholder::Entity::find_by_id(stakeholder_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("stakeholder", stakeholder_id))?;
    releases::find_visible_locked(tx, entry.release_id)
        .await
        .map_err(|_| DomainError::not_found("stakeholder", stakeholder_id))?;
    let txn = tx.db();
    if entry.role == StakeholderRole::Owner {
        return Err(DomainError::validation(
            "id",
            "the OWNER entry follows the release owner; change the owner with updateRelease",
        ));
    }
    let email = person::Entity::find_by_id(entry.person_id)
        .one(txn)
        .await?
        .map_or_else(|| entry.person_id.to_string(), |p| p.email);
    stakeholder::Entity::delete_by_id(stakeholder_id)
        .exec(txn)
        .await?;
    if entry.role == StakeholderRole::Approver {
        let pending =
            approvals::pending_votes_of(tx.db(), entry.person_id, Some(&[entry.release_id]))
                .await?;
        approvals::void_without_standing(
            tx,
            entry.person_id,
            pending,
            "they are no longer an APPROVER of the release",
        )
        .await?;
    }
    tx.record(
        Subject::Release(entry.release_id),
        [Event::change(
            EventKind::StakeholderRemoved,
            "stakeholders",
            Some(format!("{email} as {}", entry.role.to_value())),
            None,
        )],
    );
    Ok(entry)
}

/// The stakeholders of each release in `release_ids`, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<stakeholder::Model>>> {
    let rows = stakeholder::Entity::find()
        .filter(stakeholder::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(stakeholder::Column::Id)
        .into_model::<Positional<stakeholder::Model>>()
        .all(db)
        .await?;
    Ok(group_by(rows.into_iter().map(|r| r.0), |row| {
        row.release_id
    }))
}
