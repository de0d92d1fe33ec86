//! Calendar feeds: a person's subscription to the forward schedule in the
//! calendar they already use. The address carries a secret shown once and
//! stored as its hash; the feed shows what its owner may see now (their
//! roles are read at each fetch), over a bounded window around today, so it
//! never grows without limit.

use crate::entity::{calendar_feed, person, release, ReleaseStatus, ReleaseType};
use crate::releases::list::{self, ReleaseFilter};
use crate::schedule::{self, Occurrence, Scope};
use crate::{access, tokens, validate, Actor, DomainError, DomainResult, Tx};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};

/// How far back a feed reaches.
pub const DAYS_BACK: i64 = 90;
/// How far ahead a feed reaches.
pub const DAYS_AHEAD: i64 = 366;
/// Most releases one feed shows, earliest planned first.
pub const MAX_RELEASES: u64 = 2_000;
/// Most feeds one person keeps unrevoked.
pub const MAX_FEEDS: u64 = 20;
/// What every feed secret starts with, so a leaked one is recognised.
pub const SECRET_PREFIX: &str = "rdcal_";

/// What a feed shows: releases of these types and statuses (empty is all),
/// and the freeze and maintenance windows when `windows`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFilter {
    pub types: Vec<ReleaseType>,
    pub statuses: Vec<ReleaseStatus>,
    pub windows: bool,
}

impl Default for FeedFilter {
    fn default() -> Self {
        Self {
            types: Vec::new(),
            statuses: Vec::new(),
            windows: true,
        }
    }
}

/// A [`FeedFilter`] as stored: the enums by their database values.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    types: Vec<String>,
    statuses: Vec<String>,
    windows: bool,
}

impl FeedFilter {
    /// The stored filter of `feed`; a value that does not read back is left out.
    pub fn of(feed: &calendar_feed::Model) -> Self {
        let Ok(stored) = serde_json::from_str::<Stored>(&feed.filter) else {
            return Self::default();
        };
        Self {
            types: stored
                .types
                .iter()
                .filter_map(|t| ReleaseType::try_from_value(t).ok())
                .collect(),
            statuses: stored
                .statuses
                .iter()
                .filter_map(|s| ReleaseStatus::try_from_value(s).ok())
                .collect(),
            windows: stored.windows,
        }
    }

    fn stored(&self) -> String {
        serde_json::json!({
            "types": self.types.iter().map(|t| t.to_value()).collect::<Vec<_>>(),
            "statuses": self.statuses.iter().map(|s| s.to_value()).collect::<Vec<_>>(),
            "windows": self.windows,
        })
        .to_string()
    }
}

/// A new feed with its secret, which is never shown again.
#[derive(Debug, Clone)]
pub struct IssuedFeed {
    pub feed: calendar_feed::Model,
    pub secret: String,
}

/// Creates a feed for the person acting.
pub async fn create(tx: &mut Tx, name: &str, filter: FeedFilter) -> DomainResult<IssuedFeed> {
    let Some(person_id) = tx.stamp().actor.person_id() else {
        return Err(DomainError::Forbidden(
            "calendar feeds belong to people".into(),
        ));
    };
    let name = validate::title("name", name)?;
    let live = calendar_feed::Entity::find()
        .filter(calendar_feed::Column::PersonId.eq(person_id))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .count(tx.db())
        .await?;
    if live >= MAX_FEEDS {
        return Err(DomainError::validation(
            "name",
            format!("you have {MAX_FEEDS} feeds; revoke one first"),
        ));
    }
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|e| DomainError::Database(DbErr::Custom(format!("no randomness: {e}"))))?;
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(random));
    let filter = filter.stored();
    let feed = calendar_feed::ActiveModel {
        person_id: Set(person_id),
        name: Set(name),
        token_hash: Set(tokens::hash(&secret)),
        filter: Set(filter),
        created_at: Set(tx.now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    Ok(IssuedFeed { feed, secret })
}

/// Revokes feed `id`: its address stops answering. Its owner or an
/// administrator may; to anyone else it does not exist. Revoking again
/// changes nothing.
pub async fn revoke(tx: &mut Tx, id: i32) -> DomainResult<calendar_feed::Model> {
    let feed = find_for(tx.db(), &tx.stamp().actor.clone(), id).await?;
    if feed.revoked_at.is_some() {
        return Ok(feed);
    }
    let mut row: calendar_feed::ActiveModel = feed.into();
    row.revoked_at = Set(Some(tx.now()));
    Ok(row.update(tx.db()).await?)
}

/// The feeds of the person acting, newest first.
pub async fn mine<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> DomainResult<Vec<calendar_feed::Model>> {
    let Some(person_id) = actor.person_id() else {
        return Ok(Vec::new());
    };
    Ok(calendar_feed::Entity::find()
        .filter(calendar_feed::Column::PersonId.eq(person_id))
        .order_by_desc(calendar_feed::Column::Id)
        .all(db)
        .await?)
}

async fn find_for<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> DomainResult<calendar_feed::Model> {
    calendar_feed::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|f| {
            actor.person_id() == Some(f.person_id)
                || actor.may(crate::policy::Capability::Administer)
        })
        .ok_or_else(|| DomainError::not_found("calendar feed", id))
}

/// What a feed shows now.
#[derive(Debug, Clone)]
pub struct FeedContent {
    pub feed: calendar_feed::Model,
    pub owner: person::Model,
    pub releases: Vec<release::Model>,
    pub windows: Vec<Occurrence>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The content of the feed whose secret is `secret`, as its owner may see
/// it at `now`; `NotFound` for a secret never issued or revoked.
pub async fn content<C: ConnectionTrait>(
    db: &C,
    secret: &str,
    now: DateTime<Utc>,
) -> DomainResult<FeedContent> {
    let missing = || DomainError::not_found("calendar feed", "?");
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 100 {
        return Err(missing());
    }
    let feed = calendar_feed::Entity::find()
        .filter(calendar_feed::Column::TokenHash.eq(tokens::hash(secret)))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let owner = person::Entity::find_by_id(feed.person_id)
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let actor = Actor::Person {
        id: owner.id,
        roles: access::roles_of(db, owner.id).await?,
    };
    let filter = FeedFilter::of(&feed);
    let (from, to) = (
        now - Duration::days(DAYS_BACK),
        now + Duration::days(DAYS_AHEAD),
    );
    let releases = list::by_planned_start(
        db,
        &ReleaseFilter {
            types: filter.types.clone(),
            statuses: filter.statuses.clone(),
            planned_between: Some((from, to)),
            visible_to: actor.visibility(),
            ..Default::default()
        },
        MAX_RELEASES,
    )
    .await?;
    let windows = if filter.windows {
        schedule::occurrences_covering(db, from, to, Scope::default()).await?
    } else {
        Vec::new()
    };
    Ok(FeedContent {
        feed,
        owner,
        releases,
        windows,
        from,
        to,
    })
}
