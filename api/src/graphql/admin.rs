//! Administration: roles, API tokens and the audit trail.

use super::error::{parse_id, GqlResultExt};
use super::guard;
use super::people::{load_person, Person};
use super::write::write;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::audit::AuditFilter;
use entities::entity::{api_token, audit_event, Role};
use entities::policy::Capability;
use entities::{access, tokens};

/// Most audit events one call returns.
const MAX_AUDIT_EVENTS: i32 = 100;

/// A personal API token; the secret itself is shown only when it is created.
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the secret, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, Some(self.0.person_id)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When the token was last used, to the minute.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
}

/// A new token and its secret; store the secret now, it is not shown again.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// One mutation attempt.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        load_person(ctx, self.0.actor_id).await
    }
    /// The API token used, if any.
    async fn token_id(&self) -> Option<ID> {
        self.0.token_id.map(|id| ID(id.to_string()))
    }
    /// The `x-request-id` of the HTTP request, also in the server log.
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    /// The mutation, e.g. `transitionRelease`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// `OK` or the error code the caller received.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// The arguments as JSON.
    async fn arguments(&self) -> Option<&str> {
        self.0.arguments.as_deref()
    }
}

/// Which audit events to list.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    pub actor_id: Option<ID>,
    pub operation: Option<String>,
    pub request_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// API tokens of one person or of everyone, newest first. Administrators only.
    async fn api_tokens(&self, ctx: &Context<'_>, person_id: Option<ID>) -> Result<Vec<ApiToken>> {
        guard::require(ctx, Capability::Administer)?;
        let services = ctx.data::<AppContext>()?;
        let person_id = person_id
            .as_ref()
            .map(|id| parse_id(id, "personId"))
            .transpose()?;
        let rows = tokens::list(&services.db, person_id).await.gql()?;
        Ok(rows.into_iter().map(ApiToken).collect())
    }

    /// Mutation attempts, newest first; page with `before` (an event id). Administrators only.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        #[graphql(default = 50, validator(minimum = 0, maximum = 100))] first: i32,
        before: Option<ID>,
    ) -> Result<Vec<AuditEvent>> {
        guard::require(ctx, Capability::Administer)?;
        let services = ctx.data::<AppContext>()?;
        let filter = filter.unwrap_or_default();
        let domain = AuditFilter {
            actor_id: filter
                .actor_id
                .as_ref()
                .map(|id| parse_id(id, "filter.actorId"))
                .transpose()?,
            operation: filter.operation,
            request_id: filter.request_id,
            since: filter.since,
            before_id: before
                .as_ref()
                .map(|id| parse_id(id, "before"))
                .transpose()?,
        };
        let limit = first.clamp(0, MAX_AUDIT_EVENTS) as u64;
        let rows = entities::audit::list(&services.db, &domain, limit)
            .await
            .gql()?;
        Ok(rows.into_iter().map(AuditEvent).collect())
    }
}

/// Input of `createApiToken`.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub person_id: ID,
    /// What the token is for, e.g. "CI pipeline".
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Replaces a person's roles; an empty list leaves them a plain stakeholder.
    async fn set_person_roles(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
        roles: Vec<Role>,
    ) -> Result<Vec<Role>> {
        let person_id = parse_id(&person_id, "personId")?;
        let roles = write(ctx, async |tx| {
            access::set_roles(tx, person_id, &roles).await
        })
        .await?;
        ctx.data::<AppContext>()?.viewers.forget_person(person_id);
        Ok(roles)
    }

    /// Issues a personal API token; the secret is in the answer and nowhere else.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreatedApiToken> {
        let person_id = parse_id(&input.person_id, "personId")?;
        let issued = write(ctx, async |tx| {
            tokens::issue(tx, person_id, &input.name, input.expires_at).await
        })
        .await?;
        Ok(CreatedApiToken {
            token: ApiToken(issued.token),
            secret: issued.secret,
        })
    }

    /// Revokes a token at once; administrators revoke any, others their own (another
    /// person's token answers `NOT_FOUND`, exactly as a missing id does).
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let id = parse_id(&id, "id")?;
        let revoked = write(ctx, async |tx| tokens::revoke(tx, id).await).await?;
        ctx.data::<AppContext>()?
            .viewers
            .forget_person(revoked.person_id);
        Ok(ApiToken(revoked))
    }
}
