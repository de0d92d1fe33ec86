//! Access checks resolvers call before they read or write.

use super::error::{code, to_graphql, GqlResultExt};
use crate::auth::Viewer;
use crate::context::AppContext;
use async_graphql::{Context, Error, ErrorExtensions, Result};
use entities::policy::Capability;
use entities::releases::list;
use entities::DomainError;

/// The authenticated caller; every executed request has one.
pub fn viewer<'a>(ctx: &Context<'a>) -> Result<&'a Viewer> {
    ctx.data::<Viewer>().map_err(|_| {
        Error::new("not authenticated").extend_with(|_, e| e.set("code", code::UNAUTHENTICATED))
    })
}

/// The caller, if the policy gives them `capability`; `FORBIDDEN` otherwise.
pub fn require<'a>(ctx: &Context<'a>, capability: Capability) -> Result<&'a Viewer> {
    let viewer = viewer(ctx)?;
    viewer.actor().require(capability).gql()?;
    Ok(viewer)
}

/// `NOT_FOUND` unless the caller may see release `id` (a hidden release is not
/// told apart from a missing one); `entity` names what was asked for.
pub async fn ensure_visible(
    ctx: &Context<'_>,
    entity: &'static str,
    release_id: i32,
    id: i32,
) -> Result<()> {
    let app = ctx.data::<AppContext>()?;
    let visibility = viewer(ctx)?.visibility();
    if list::is_visible(&app.db, release_id, visibility)
        .await
        .gql()?
    {
        Ok(())
    } else {
        Err(to_graphql(&DomainError::not_found(entity, id)))
    }
}
