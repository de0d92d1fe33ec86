//! Access checks resolvers call before they read or write.

use super::error::code;
use crate::auth::Viewer;
use async_graphql::{Context, Error, ErrorExtensions, Result};
use entities::entity::Role;

/// The authenticated caller; every executed request has one.
pub fn viewer<'a>(ctx: &Context<'a>) -> Result<&'a Viewer> {
    ctx.data::<Viewer>().map_err(|_| {
        Error::new("not authenticated").extend_with(|_, e| e.set("code", code::UNAUTHENTICATED))
    })
}

/// The caller, if they hold one of `roles` (administrators always do); `FORBIDDEN` otherwise.
pub fn require<'a>(ctx: &Context<'a>, roles: &[Role]) -> Result<&'a Viewer> {
    let viewer = viewer(ctx)?;
    if viewer.has_any(roles) {
        Ok(viewer)
    } else {
        Err(forbidden("your roles do not allow this"))
    }
}

/// A `FORBIDDEN` error.
pub fn forbidden(message: &str) -> Error {
    Error::new(message.to_owned()).extend_with(|_, e| e.set("code", code::FORBIDDEN))
}
