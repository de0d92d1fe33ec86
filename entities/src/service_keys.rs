//! Secrets the service generates once and every replica reads from the database.

use crate::entity::service_key;
use crate::DomainResult;
use sea_orm::{prelude::*, sea_query::OnConflict, ActiveValue::Set};

/// The secret named `name`, created (32 random bytes, hex) on first use. Two
/// replicas starting together agree: the first insert wins, both read it back.
pub async fn get_or_create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    at: DateTimeUtc,
) -> DomainResult<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| {
        crate::DomainError::Database(DbErr::Custom(format!("no randomness: {err}")))
    })?;
    service_key::Entity::insert(service_key::ActiveModel {
        name: Set(name.to_owned()),
        secret: Set(hex::encode(bytes)),
        created_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(service_key::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let stored = service_key::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| crate::DomainError::not_found("service key", name))?;
    Ok(stored.secret.into_bytes())
}
