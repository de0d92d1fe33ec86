//! Personal API tokens: issued once in clear, stored as a SHA-256 hash, revocable.

use crate::entity::{api_token, person, Role};
use crate::policy::Capability;
use crate::{validate, DomainError, DomainResult, Tx};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, DatabaseBackend, QueryOrder, Statement};
use sha2::{Digest, Sha256};

/// Every secret starts with this, so a leaked one is easy to recognise and scan for.
pub const SECRET_PREFIX: &str = "rdk_";
/// `last_used_at` is written at most this often per token, to keep reads cheap.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// A token as issued: the stored row and the secret, which is never shown again.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: api_token::Model,
    pub secret: String,
}

/// Why a presented token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    Unknown,
    Expired,
    Revoked,
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Issues a token for `person_id`, optionally expiring at `expires_at`.
pub async fn issue(
    tx: &mut Tx,
    person_id: i32,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> DomainResult<IssuedToken> {
    tx.stamp().actor.require(Capability::Administer)?;
    let name = validate::title("name", name)?;
    if let Some(at) = expires_at {
        validate::instant("expiresAt", at)?;
    }
    if expires_at.is_some_and(|at| at <= tx.now()) {
        return Err(DomainError::validation(
            "expiresAt",
            "expiresAt must be in the future",
        ));
    }
    let txn = tx.db();
    person::Entity::find_by_id(person_id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::validation("personId", format!("no person {person_id}")))?;
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|e| DomainError::Database(DbErr::Custom(format!("no randomness: {e}"))))?;
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(random));
    let token = api_token::ActiveModel {
        person_id: Set(person_id),
        name: Set(name),
        token_hash: Set(hash(&secret)),
        prefix: Set(secret[..SECRET_PREFIX.len() + 6].to_owned()),
        created_at: Set(tx.now()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(IssuedToken { token, secret })
}

/// Who a presented API token stands for.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub person: person::Model,
    /// The stored roles; a person without any is a plain stakeholder.
    pub roles: Vec<Role>,
    pub token_id: i32,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The holder of the token with secret `secret`, read with their roles in one
/// statement; notes its use at most once a minute.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> DomainResult<Result<TokenHolder, TokenRejection>> {
    let backend = db.get_database_backend();
    let param = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at, \
                 p.id AS person_id, p.name, p.email, p.created_at, r.role \
                 FROM api_tokens t JOIN people p ON p.id = t.person_id \
                 LEFT JOIN person_roles r ON r.person_id = p.id \
                 WHERE t.token_hash = {param} ORDER BY r.id"
            ),
            [hash(secret).into()],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(Err(TokenRejection::Unknown));
    };
    if first
        .try_get::<Option<DateTimeUtc>>("", "revoked_at")?
        .is_some()
    {
        return Ok(Err(TokenRejection::Revoked));
    }
    let expires_at: Option<DateTimeUtc> = first.try_get("", "expires_at")?;
    if expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(TokenRejection::Expired));
    }
    let token_id: i32 = first.try_get("", "token_id")?;
    let last_used_at: Option<DateTimeUtc> = first.try_get("", "last_used_at")?;
    let person = person::Model {
        id: first.try_get("", "person_id")?,
        name: first.try_get("", "name")?,
        email: first.try_get("", "email")?,
        created_at: first.try_get("", "created_at")?,
    };
    let mut roles = Vec::new();
    for row in &rows {
        if let Some(role) = row.try_get::<Option<String>>("", "role")? {
            roles.push(Role::try_from_value(&role)?);
        }
    }
    if roles.is_empty() {
        roles.push(Role::Stakeholder);
    }
    if last_used_at.is_none_or(|at| now - at >= LAST_USED_RESOLUTION) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_token::Column::Id.eq(token_id))
            .exec(db)
            .await?;
    }
    Ok(Ok(TokenHolder {
        person,
        roles,
        token_id,
        expires_at,
    }))
}

/// Revokes a token; revoking twice keeps the first time.
pub async fn revoke(tx: &mut Tx, token_id: i32) -> DomainResult<api_token::Model> {
    let txn = tx.db();
    let token = find(txn, token_id).await?;
    if !tx.stamp().actor.may_revoke_token_of(token.person_id) {
        // answered as for a missing id, so token ids of others stay unknown
        return Err(DomainError::not_found("API token", token_id));
    }
    if token.revoked_at.is_none() {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(Some(tx.now())))
            .filter(api_token::Column::Id.eq(token_id))
            .exec(txn)
            .await?;
    }
    tx.identity_changed(token.person_id);
    let revoked = find(tx.db(), token_id).await?;
    Ok(revoked)
}

/// Loads one token or answers `NotFound`.
pub async fn find<C: ConnectionTrait>(db: &C, token_id: i32) -> DomainResult<api_token::Model> {
    api_token::Entity::find_by_id(token_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("API token", token_id))
}

/// The tokens of one person, or of everyone, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    person_id: Option<i32>,
) -> DomainResult<Vec<api_token::Model>> {
    let mut query = api_token::Entity::find();
    if let Some(person_id) = person_id {
        query = query.filter(api_token::Column::PersonId.eq(person_id));
    }
    Ok(query.order_by_desc(api_token::Column::Id).all(db).await?)
}
