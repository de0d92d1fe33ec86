//! Releases: creating, editing and moving them, the facts their lifecycle needs,
//! and the list with its filters and cursors. Operations run inside a unit of
//! work ([`Tx`]) and record their history there; cascades to milestones and
//! phases are declared in [`crate::workflow`].

mod create;
mod edit;
mod facts;
pub mod list;
mod transition;

pub use create::{create, NewRelease, TemplateChoice};
pub use edit::{record_review, update, ReleaseChanges};
pub use facts::facts;
pub use transition::reason_for;
pub(crate) use transition::{apply, open_phases};

use crate::entity::{person, release, stakeholder, StakeholderRole};
use crate::rows::Positional;
use crate::{DomainError, DomainResult, Tx};
use sea_orm::{prelude::*, ActiveValue::Set, QuerySelect};

/// Loads one release or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> DomainResult<release::Model> {
    release::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("release", id))
}

/// Loads a release the actor of `tx` may see, or answers `NotFound` (a release
/// that exists but is hidden is not told apart from a missing one).
pub async fn find_visible(tx: &Tx, id: i32) -> DomainResult<release::Model> {
    visible(tx, id)
        .into_model::<Positional<release::Model>>()
        .one(tx.db())
        .await?
        .map(|row| row.0)
        .ok_or_else(|| DomainError::not_found("release", id))
}

/// Like [`find_visible`], and locks the release until the unit of work ends
/// (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write transaction already
/// holds the whole database), so changes that read and then extend its
/// children queue instead of colliding. One statement.
pub(crate) async fn find_visible_locked(tx: &Tx, id: i32) -> DomainResult<release::Model> {
    visible(tx, id)
        .lock_exclusive()
        .into_model::<Positional<release::Model>>()
        .one(tx.db())
        .await?
        .map(|row| row.0)
        .ok_or_else(|| DomainError::not_found("release", id))
}

/// Release `id` if the actor of `tx` may see it.
fn visible(tx: &Tx, id: i32) -> Select<release::Entity> {
    let query = release::Entity::find_by_id(id);
    match tx.stamp().actor.visibility() {
        Some(visibility) => query.filter(visibility.condition()),
        None => query,
    }
}

pub(crate) async fn require_person<C: ConnectionTrait>(
    db: &C,
    id: i32,
    field: &str,
) -> DomainResult<()> {
    person::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| DomainError::validation(field, format!("no person {id}")))
}

pub(crate) async fn add_owner_stakeholder(
    tx: &Tx,
    release_id: i32,
    owner_id: i32,
) -> DomainResult<()> {
    stakeholder::ActiveModel {
        release_id: Set(release_id),
        person_id: Set(owner_id),
        role: Set(StakeholderRole::Owner),
        notify: Set(true),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    Ok(())
}
