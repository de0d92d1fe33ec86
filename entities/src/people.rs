//! People who own, approve or follow releases.

use crate::entity::person;
use crate::policy::Capability;
use crate::rows::Positional;
use crate::{validate, DomainError, DomainResult, Tx};
use sea_orm::{
    prelude::*,
    sea_query::{ExprTrait, Func, LikeExpr},
    ActiveValue::Set,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// Creates a person; the e-mail address is unique (case-insensitive).
pub async fn create(tx: &mut Tx, name: &str, email: &str) -> DomainResult<person::Model> {
    tx.stamp().actor.require(Capability::Administer)?;
    let name = validate::title("name", name)?;
    let email = validate::email(email)?;
    let txn = tx.db();
    let taken = person::Entity::find()
        .filter(person::Column::Email.eq(email.clone()))
        .count(txn)
        .await?;
    if taken > 0 {
        return Err(DomainError::Conflict(format!(
            "a person with email {email} already exists"
        )));
    }
    let created = person::ActiveModel {
        name: Set(name),
        email: Set(email),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(created)
}

/// People whose name or e-mail contains `search`, by name, at most `limit`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    search: Option<&str>,
    limit: u64,
) -> DomainResult<Vec<person::Model>> {
    let mut query = person::Entity::find();
    let term = match search {
        Some(search) => validate::search("search", search)?,
        None => None,
    };
    if let Some(term) = term.as_deref() {
        let pattern = crate::releases::list::contains_pattern(term);
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(person::Column::Name)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
                .or(Expr::col(person::Column::Email).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    Ok(query
        .order_by_asc(person::Column::Name)
        .order_by_asc(person::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The people with the given ids, in one query.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> DomainResult<HashMap<i32, person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .into_model::<Positional<person::Model>>()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.0.id, p.0))
        .collect())
}
