//! Who holds which role.

use crate::entity::{person, person_role, Role};
use crate::kit::group_by;
use crate::policy::Capability;
use crate::{approvals, DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// The roles of one person; without any stored role a person is a stakeholder.
pub async fn roles_of<C: ConnectionTrait>(db: &C, person_id: i32) -> DomainResult<Vec<Role>> {
    Ok(roles_for(db, &[person_id])
        .await?
        .remove(&person_id)
        .unwrap_or_else(|| vec![Role::Stakeholder]))
}

/// Everyone holding `role` (administrators only when `role` is ADMINISTRATOR), by id.
pub async fn people_with_role<C: ConnectionTrait>(
    db: &C,
    role: Role,
) -> DomainResult<Vec<person::Model>> {
    Ok(person::Entity::find()
        .filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(person_role::Column::PersonId)
                    .from(person_role::Entity)
                    .and_where(person_role::Column::Role.eq(role))
                    .to_owned(),
            ),
        )
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?)
}

/// The stored roles of each person in `person_ids`, in one query.
pub async fn roles_for<C: ConnectionTrait>(
    db: &C,
    person_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<Role>>> {
    let rows = person_role::Entity::find()
        .filter(person_role::Column::PersonId.is_in(person_ids.iter().copied()))
        .order_by_asc(person_role::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |row| row.person_id)
        .into_iter()
        .map(|(person, rows)| (person, rows.into_iter().map(|r| r.role).collect()))
        .collect())
}

/// Replaces the roles of a person with `roles` (duplicates ignored).
pub async fn set_roles(tx: &mut Tx, person_id: i32, roles: &[Role]) -> DomainResult<Vec<Role>> {
    tx.stamp().actor.require(Capability::Administer)?;
    person::Entity::find_by_id(person_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("person", person_id))?;
    // leaving the board voids the pending votes it gave: their releases first
    // (the lock order), before the person's role rows
    let leaves_board = !roles.contains(&Role::ReviewBoard)
        && approvals::is_board_member(tx.db(), person_id).await?;
    let pending = if leaves_board {
        let pending = approvals::pending_votes_of(tx.db(), person_id, None).await?;
        let releases: std::collections::BTreeSet<i32> =
            pending.iter().map(|(r, _)| r.release_id).collect();
        tx.lock_releases(&releases.into_iter().collect::<Vec<_>>())
            .await?;
        pending
    } else {
        Vec::new()
    };
    let txn = tx.db();
    // administrators' rows are locked so two of them cannot remove each other at once
    let administrators = person_role::Entity::find()
        .filter(person_role::Column::Role.eq(Role::Administrator))
        .lock_exclusive()
        .all(txn)
        .await?;
    let others_administer = administrators.iter().any(|r| r.person_id != person_id);
    if !others_administer && !roles.contains(&Role::Administrator) && !administrators.is_empty() {
        return Err(DomainError::Conflict(
            "this is the last administrator; make someone else an administrator first".into(),
        ));
    }
    person_role::Entity::delete_many()
        .filter(person_role::Column::PersonId.eq(person_id))
        .exec(txn)
        .await?;
    let mut kept: Vec<Role> = Vec::new();
    for role in roles {
        if !kept.contains(role) {
            kept.push(*role);
        }
    }
    if !kept.is_empty() {
        let rows = kept.iter().map(|role| person_role::ActiveModel {
            person_id: Set(person_id),
            role: Set(*role),
            granted_at: Set(tx.now()),
            ..Default::default()
        });
        person_role::Entity::insert_many(rows).exec(txn).await?;
    }
    approvals::void_without_standing(tx, person_id, pending, "they left the Release Review Board")
        .await?;
    tx.identity_changed(person_id);
    Ok(if kept.is_empty() {
        vec![Role::Stakeholder]
    } else {
        kept
    })
}

/// True when some person holds the ADMINISTRATOR role.
pub async fn has_administrator<C: ConnectionTrait>(db: &C) -> DomainResult<bool> {
    Ok(person_role::Entity::find()
        .filter(person_role::Column::Role.eq(Role::Administrator))
        .count(db)
        .await?
        > 0)
}

/// The person with this e-mail address (case-insensitive), if any.
pub async fn person_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> DomainResult<Option<person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}
