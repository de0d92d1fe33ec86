//! How a mutation changes data: one unit of work, stamped for the caller (who,
//! when, which request, for the audit trail), committed when the change succeeds.

use super::audit;
use super::error::GqlResultExt;
use super::guard;
use crate::context::AppContext;
use async_graphql::{Context, Result};
use entities::{DomainResult, Tx};

/// Runs `change` for the calling mutation and commits it with its history and
/// audit event; a failure rolls everything back. A deadlock's victim runs
/// again (see [`entities::write`]), so `change` captures copies.
pub async fn write<T>(
    ctx: &Context<'_>,
    change: impl AsyncFnOnce(&mut Tx) -> DomainResult<T> + Clone,
) -> Result<T> {
    let viewer = guard::viewer(ctx)?;
    let app = ctx.data::<AppContext>()?;
    entities::write(&app.db, audit::stamp(ctx, viewer, app), change)
        .await
        .gql()
}
