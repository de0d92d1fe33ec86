//! Who is calling: bearer tokens (personal API tokens or JWTs) resolved to a
//! person with roles. What each role may do is the domain's policy
//! (`entities::policy`).

pub mod cache;
pub mod jwt;

use crate::context::AppContext;
use entities::entity::{person, Role};
use entities::releases::list::Visibility;
use entities::tokens::{self, TokenRejection};
use entities::{access, Actor, DomainError};
use serde_json::Value;

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub person: person::Model,
    pub roles: Vec<Role>,
    /// The personal API token used, if any (JWT callers have none).
    pub token_id: Option<i32>,
    /// When that token expires, checked again on every cached use.
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Viewer {
    /// The viewer as the domain's policy sees them.
    pub fn actor(&self) -> Actor {
        Actor::Person {
            id: self.person.id,
            roles: self.roles.clone(),
        }
    }

    /// What the viewer may see of the release list; `None` is everything.
    pub fn visibility(&self) -> Option<Visibility> {
        self.actor().visibility()
    }
}

/// Why a request was not authenticated; the message is safe to show the caller.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthFailure {
    #[error("send an `Authorization: Bearer <token>` header")]
    Missing,
    #[error("the Authorization header is not a bearer token")]
    Malformed,
    #[error("the token is not valid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token has been revoked")]
    Revoked,
    #[error("no account matches this identity")]
    NoAccount,
    #[error("authentication is unavailable; retry later")]
    Unavailable,
}

/// Resolves bearer tokens to viewers.
pub struct Authenticator {
    jwt: Option<jwt::JwtVerifier>,
}

impl Authenticator {
    /// An authenticator that accepts API tokens, and JWTs when `jwt` is given.
    pub fn new(jwt: Option<jwt::JwtVerifier>) -> Self {
        Self { jwt }
    }

    /// The viewer behind an `Authorization` header value.
    pub async fn authenticate(
        &self,
        services: &AppContext,
        authorization: Option<&str>,
    ) -> Result<Viewer, AuthFailure> {
        let header = authorization.ok_or(AuthFailure::Missing)?;
        let token = bearer(header).ok_or(AuthFailure::Malformed)?;
        self.authenticate_token(services, token).await
    }

    /// The viewer behind a WebSocket `connection_init` payload, which carries
    /// `{"Authorization": "Bearer …"}` (any case) or `{"token": "…"}`.
    pub async fn authenticate_connection_init(
        &self,
        services: &AppContext,
        payload: &Value,
    ) -> Result<Viewer, AuthFailure> {
        let object = payload.as_object().ok_or(AuthFailure::Missing)?;
        let header = object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| v.as_str());
        match (header, object.get("token").and_then(Value::as_str)) {
            (Some(header), _) => self.authenticate(services, Some(header)).await,
            (None, Some(token)) => self.authenticate_token(services, token).await,
            (None, None) => Err(AuthFailure::Missing),
        }
    }

    async fn authenticate_token(
        &self,
        services: &AppContext,
        token: &str,
    ) -> Result<Viewer, AuthFailure> {
        let unavailable = |err: DomainError| {
            tracing::error!(error = %err, "authentication lookup failed");
            AuthFailure::Unavailable
        };
        let now = services.clock.now();
        if token.starts_with(tokens::SECRET_PREFIX) {
            let key = tokens::hash(token);
            let generation = services.viewers.generation();
            if let Some(viewer) = services.viewers.get(&key) {
                if viewer.token_expires_at.is_some_and(|at| at <= now) {
                    return Err(AuthFailure::Expired);
                }
                return Ok(viewer);
            }
            let holder = tokens::authenticate(&services.db, token, now)
                .await
                .map_err(unavailable)?
                .map_err(|rejection| match rejection {
                    TokenRejection::Unknown => AuthFailure::Invalid,
                    TokenRejection::Expired => AuthFailure::Expired,
                    TokenRejection::Revoked => AuthFailure::Revoked,
                })?;
            let viewer = Viewer {
                person: holder.person,
                roles: holder.roles,
                token_id: Some(holder.token_id),
                token_expires_at: holder.expires_at,
            };
            services.viewers.put(key, viewer.clone(), generation);
            return Ok(viewer);
        }
        let verifier = self.jwt.as_ref().ok_or(AuthFailure::Invalid)?;
        let identity = verifier.verify(token, now)?;
        // the signature and times were checked above; only the account is cached
        let key = format!("jwt:{}:{:?}", identity.email, identity.granted_roles);
        let generation = services.viewers.generation();
        if let Some(viewer) = services.viewers.get(&key) {
            return Ok(viewer);
        }
        let person = access::person_by_email(&services.db, &identity.email)
            .await
            .map_err(unavailable)?
            .ok_or(AuthFailure::NoAccount)?;
        let mut roles = access::roles_of(&services.db, person.id)
            .await
            .map_err(unavailable)?;
        for granted in identity.granted_roles {
            if !roles.contains(&granted) {
                roles.retain(|r| *r != Role::Stakeholder);
                roles.push(granted);
            }
        }
        let viewer = Viewer {
            person,
            roles,
            token_id: None,
            token_expires_at: None,
        };
        services.viewers.put(key, viewer.clone(), generation);
        Ok(viewer)
    }
}

/// The token of a `Bearer <token>` header value.
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
