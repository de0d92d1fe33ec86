//! Mechanics every aggregate shares: grouping rows for batch loads and the
//! optimistic, versioned save.

use crate::{DomainError, DomainResult};
use sea_orm::{prelude::*, ActiveValue::Set};
use std::collections::HashMap;
use std::hash::Hash;

/// Groups `rows` by `key`, keeping their order; rows whose key is `None` are dropped.
pub fn group_by<K, V, O>(
    rows: impl IntoIterator<Item = V>,
    key: impl Fn(&V) -> O,
) -> HashMap<K, Vec<V>>
where
    K: Hash + Eq,
    O: Into<Option<K>>,
{
    let mut grouped: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        if let Some(k) = key(&row).into() {
            grouped.entry(k).or_default().push(row);
        }
    }
    grouped
}

/// A row with an `id`, a `version` that grows with every change, and `updated_at`.
pub trait Versioned: ModelTrait + Sized + Send + Sync
where
    Self::Entity: EntityTrait<Model = Self>,
{
    /// What the row is called in messages ("release", "milestone").
    const NAME: &'static str;
    /// The active model of the row.
    type Active: ActiveModelTrait<Entity = Self::Entity> + Send;
    fn id(&self) -> i32;
    fn version(&self) -> i32;
    fn id_column() -> <Self::Entity as EntityTrait>::Column;
    fn version_column() -> <Self::Entity as EntityTrait>::Column;
    /// Sets the new version and update time on `row`.
    fn bump(row: &mut Self::Active, version: i32, at: DateTimeUtc);
}

/// `CONFLICT` unless `row` is still at the version the caller read.
pub fn check_version<M: Versioned>(row: &M, expected: i32) -> DomainResult<()>
where
    M::Entity: EntityTrait<Model = M>,
{
    if row.version() == expected {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!(
            "{} {} is at version {}, not {expected}; reload it and try again",
            M::NAME,
            row.id(),
            row.version()
        )))
    }
}

/// Writes `row` over `before` unless someone changed it meanwhile; bumps the version.
pub async fn save<M: Versioned, C: ConnectionTrait>(
    db: &C,
    at: DateTimeUtc,
    before: &M,
    mut row: M::Active,
) -> DomainResult<M>
where
    M::Entity: EntityTrait<Model = M>,
{
    M::bump(&mut row, before.version() + 1, at);
    let result = M::Entity::update_many()
        .set(row)
        .filter(M::id_column().eq(before.id()))
        .filter(M::version_column().eq(before.version()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::Conflict(format!(
            "{} {} was changed by someone else; reload it and try again",
            M::NAME,
            before.id()
        )));
    }
    M::Entity::find()
        .filter(M::id_column().eq(before.id()))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(M::NAME, before.id()))
}

/// Implements [`Versioned`] for an entity module with `id`, `version` and `updated_at`.
macro_rules! versioned {
    ($module:ident, $name:literal) => {
        impl $crate::kit::Versioned for $crate::entity::$module::Model {
            const NAME: &'static str = $name;
            type Active = $crate::entity::$module::ActiveModel;
            fn id(&self) -> i32 {
                self.id
            }
            fn version(&self) -> i32 {
                self.version
            }
            fn id_column() -> $crate::entity::$module::Column {
                $crate::entity::$module::Column::Id
            }
            fn version_column() -> $crate::entity::$module::Column {
                $crate::entity::$module::Column::Version
            }
            fn bump(row: &mut Self::Active, version: i32, at: sea_orm::prelude::DateTimeUtc) {
                row.version = Set(version);
                row.updated_at = Set(at);
            }
        }
    };
}

versioned!(release, "release");
versioned!(milestone, "milestone");
versioned!(change_request, "change");
versioned!(schedule_window, "schedule window");
