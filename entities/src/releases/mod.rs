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
use crate::shapes::Shape;
use crate::{DomainError, DomainResult, Tx};
use list::Visibility;
use sea_orm::{
    prelude::*, ActiveValue::Set, DbBackend, FromQueryResult, QuerySelect, QueryTrait, Statement,
};

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
    let backend = tx.db().get_database_backend();
    let visibility = tx.stamp().actor.visibility();
    Positional::<release::Model>::find_by_statement(visible_statement(backend, visibility, id))
        .one(tx.db())
        .await?
        .map(|row| row.0)
        .ok_or_else(|| DomainError::not_found("release", id))
}

/// Locks release `id` first (the lock order, [`Tx::lock_release`]), then
/// loads it if the actor of `tx` may see it, like [`find_visible`]. Every
/// change under a release starts here.
pub async fn find_visible_locked(tx: &mut Tx, id: i32) -> DomainResult<release::Model> {
    let locked = tx.lock_release(id).await?;
    match tx.stamp().actor.visibility() {
        None => Ok(locked),
        Some(_) => find_visible(tx, id).await,
    }
}

/// The select of release `id` if `visibility` lets its holder see it: one shape
/// per kind of visibility.
fn visible_statement(backend: DbBackend, visibility: Option<Visibility>, id: i32) -> Statement {
    static SHAPES: [Shape; 3] = [const { Shape::new() }; 3];
    let (kind, condition) = Visibility::shape(visibility);
    let values = [vec![id.into()], condition, vec![1u64.into()]].concat();
    SHAPES[kind].statement(backend, values, || {
        let query = release::Entity::find_by_id(id);
        let query = match visibility {
            Some(visibility) => query.filter(visibility.condition()),
            None => query,
        };
        query.limit(1).into_query()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Debug builds check each shape's text and values against sea-query's own
    /// build; every kind of visibility, on both databases.
    #[test]
    fn every_visible_release_shape_binds_what_sea_query_binds() {
        let visibilities = [
            None,
            Some(Visibility {
                person_id: 7,
                awaiting_decision: false,
            }),
            Some(Visibility {
                person_id: 8,
                awaiting_decision: true,
            }),
        ];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for visibility in visibilities {
                for id in [1, 42] {
                    let statement = visible_statement(backend, visibility, id);
                    assert!(statement.sql.contains("LIMIT"), "{}", statement.sql);
                }
            }
        }
    }
}
