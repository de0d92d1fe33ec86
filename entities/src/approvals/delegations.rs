//! Holiday cover: a board member lets another member vote for them for a period.

use crate::entity::{approval_delegation, person_role, Role};
use crate::policy::Capability;
use crate::{validate, DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, sea_query::ExprTrait, ActiveValue::Set, QueryOrder, QuerySelect};

/// Longest cover accepted: a year.
const MAX_DELEGATION_DAYS: i64 = 366;

/// Input of [`delegate`].
#[derive(Debug, Clone)]
pub struct NewDelegation {
    /// Whose votes are covered; the caller unless an administrator names someone.
    pub delegator_id: Option<i32>,
    pub delegate_id: i32,
    /// When the cover starts; now when unset.
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: DateTimeUtc,
    pub reason: Option<String>,
}

/// Records that `delegate_id` votes for the delegator between the two times.
/// Both must be board members; members delegate their own votes, administrators anyone's.
pub async fn delegate(
    tx: &mut Tx,
    input: NewDelegation,
) -> DomainResult<approval_delegation::Model> {
    let actor = tx.stamp().actor.clone();
    let delegator_id = match (input.delegator_id, actor.person_id()) {
        (Some(id), Some(me)) if id != me => {
            actor.require(Capability::Administer)?;
            id
        }
        (Some(id), _) => id,
        (None, Some(me)) => me,
        (None, None) => {
            return Err(DomainError::validation(
                "delegatorId",
                "name whose votes are covered",
            ))
        }
    };
    if delegator_id == input.delegate_id {
        return Err(DomainError::validation(
            "delegateId",
            "a member cannot cover for themselves",
        ));
    }
    let starts_at = input.starts_at.unwrap_or(tx.now());
    validate::instant("startsAt", starts_at)?;
    validate::instant("endsAt", input.ends_at)?;
    if input.ends_at <= starts_at {
        return Err(DomainError::validation(
            "endsAt",
            "endsAt must be after startsAt",
        ));
    }
    if input.ends_at <= tx.now() {
        return Err(DomainError::validation("endsAt", "endsAt is in the past"));
    }
    if input.ends_at - starts_at > chrono::Duration::days(MAX_DELEGATION_DAYS) {
        return Err(DomainError::validation(
            "endsAt",
            format!("a delegation lasts at most {MAX_DELEGATION_DAYS} days"),
        ));
    }
    let reason = validate::optional_note("reason", input.reason)?;
    for (field, id) in [
        ("delegatorId", delegator_id),
        ("delegateId", input.delegate_id),
    ] {
        if !is_board_member(tx.db(), id).await? {
            return Err(DomainError::validation(
                field,
                format!("person {id} is not a member of the Release Review Board"),
            ));
        }
    }
    Ok(approval_delegation::ActiveModel {
        delegator_id: Set(delegator_id),
        delegate_id: Set(input.delegate_id),
        starts_at: Set(starts_at),
        ends_at: Set(input.ends_at),
        reason: Set(reason),
        created_by: Set(actor.person_id()),
        created_at: Set(tx.now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(tx.db())
    .await?)
}

/// Ends a delegation now; its delegator, its delegate or an administrator may.
pub async fn revoke_delegation(tx: &mut Tx, id: i32) -> DomainResult<approval_delegation::Model> {
    let actor = tx.stamp().actor.clone();
    let found = approval_delegation::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .filter(|d| {
            actor.may(Capability::Administer)
                || actor.person_id() == Some(d.delegator_id)
                || actor.person_id() == Some(d.delegate_id)
        })
        .ok_or_else(|| DomainError::not_found("delegation", id))?;
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut row: approval_delegation::ActiveModel = found.into();
    row.revoked_at = Set(Some(tx.now()));
    Ok(row.update(tx.db()).await?)
}

/// Delegations given or received by `person_id`, newest first.
pub async fn delegations_of<C: ConnectionTrait>(
    db: &C,
    person_id: i32,
) -> DomainResult<Vec<approval_delegation::Model>> {
    Ok(approval_delegation::Entity::find()
        .filter(
            approval_delegation::Column::DelegatorId
                .eq(person_id)
                .or(approval_delegation::Column::DelegateId.eq(person_id)),
        )
        .order_by_desc(approval_delegation::Column::Id)
        .limit(200)
        .all(db)
        .await?)
}

/// The people `delegate_id` covers for at `at`.
pub(crate) async fn covered_by<C: ConnectionTrait>(
    db: &C,
    delegate_id: i32,
    at: DateTimeUtc,
) -> DomainResult<Vec<i32>> {
    Ok(active(db, at)
        .await?
        .into_iter()
        .filter(|d| d.delegate_id == delegate_id)
        .map(|d| d.delegator_id)
        .collect())
}

/// Every delegation in force at `at`.
pub(crate) async fn active<C: ConnectionTrait>(
    db: &C,
    at: DateTimeUtc,
) -> DomainResult<Vec<approval_delegation::Model>> {
    Ok(approval_delegation::Entity::find()
        .filter(approval_delegation::Column::StartsAt.lte(at))
        .filter(approval_delegation::Column::EndsAt.gt(at))
        .filter(approval_delegation::Column::RevokedAt.is_null())
        .order_by_asc(approval_delegation::Column::Id)
        .all(db)
        .await?)
}

/// True when `person_id` holds the REVIEW_BOARD role.
pub(crate) async fn is_board_member<C: ConnectionTrait>(
    db: &C,
    person_id: i32,
) -> DomainResult<bool> {
    Ok(person_role::Entity::find()
        .filter(person_role::Column::PersonId.eq(person_id))
        .filter(person_role::Column::Role.eq(Role::ReviewBoard))
        .count(db)
        .await?
        > 0)
}

/// Everyone holding the REVIEW_BOARD role, by id.
pub(crate) async fn board_members<C: ConnectionTrait>(db: &C) -> DomainResult<Vec<i32>> {
    Ok(person_role::Entity::find()
        .select_only()
        .column(person_role::Column::PersonId)
        .filter(person_role::Column::Role.eq(Role::ReviewBoard))
        .order_by_asc(person_role::Column::PersonId)
        .into_tuple()
        .all(db)
        .await?)
}
