//! The direct path for the reads a client makes most: a page of releases or one
//! release, with their milestones, owner and stakeholders.
//!
//! async-graphql resolves every field of an answer through its own machinery (a
//! future, a `Value`, a hashed map insert per field), then the answer is walked
//! again to complete it (`completion`) and once more to write it. For a page of
//! 20 releases with their milestones that was most of the server's time. Here a
//! [`plan`](plan::plan) of the document is read once, the rows are loaded with
//! the same statements the resolvers run, and the JSON is written straight from
//! the rows.
//!
//! The plan declines anything it cannot answer exactly as the library would (see
//! `plan`); those documents, and any request whose release is not found, run
//! through the library, which stays the reference. The setting
//! `server.direct_reads` turns the path off, and the `direct_reads` tests compare
//! both answers byte for byte.
//!
//! One mutation takes a direct path too (see [`mutation`]): `addMilestone` is
//! planned the same way, runs the resolver's own unit of work, and writes the
//! new milestone's fields from its row. Its errors, and the audit events of its
//! successes and failures, are the executor's; `graphql.direct_writes` turns it
//! off, and the `direct_writes` tests compare both paths.

mod fetch;
mod fields;
pub mod mutation;
mod plan;
mod render;

use crate::auth::Viewer;
use crate::context::AppContext;
use crate::graphql::audit;
use crate::graphql::error::{internal, GqlResultExt};
use crate::graphql::limits::QueryLimits;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{PathSegment, Variables};
use entities::audit::AuditContext;
use entities::milestones;
use entities::releases::list::Visibility;
use entities::Stamp;
use mutation::MutationPlan;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub use plan::plan;

/// The response body for `document`, or `None` when the library must answer it.
pub async fn answer(
    db: &DatabaseConnection,
    visibility: Option<Visibility>,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &QueryLimits,
) -> Option<Vec<u8>> {
    let plan = plan::plan(document, operation_name, variables, limits)?;
    // a failed read runs again through the library, which reports it
    let (fetched, related) = fetch::fetch(db, visibility, &plan).await.ok()??;
    render::response(&plan, &fetched, &related).ok()
}

/// What running a planned mutation gave.
pub enum Written {
    /// The response body with the new milestone.
    Body(Vec<u8>),
    /// The executor's response for a mutation that failed (nothing was written
    /// but its audit event).
    Failed(async_graphql::Response),
}

/// Runs a planned `addMilestone` for `viewer`, in one unit of work with its
/// history and audit event, exactly as its resolver does.
pub async fn write(
    context: &AppContext,
    viewer: &Viewer,
    request_id: &str,
    plan: MutationPlan,
) -> Written {
    let arguments = audit::arguments_json(plan.arguments);
    let stamp = Stamp {
        at: context.clock.now(),
        actor: viewer.actor(),
        audit: Some(Arc::new(AuditContext {
            token_id: viewer.token_id,
            request_id: request_id.to_owned(),
            operation: mutation::ADD_MILESTONE.to_owned(),
            arguments: Some(arguments.clone()),
        })),
    };
    let input = plan.input;
    let added = async {
        let new = input.into_new()?;
        entities::write(&context.db, stamp, async |tx| {
            milestones::add(tx, new).await
        })
        .await
        .gql()
    }
    .await;
    let failed = |error: async_graphql::Error| {
        error
            .into_server_error(plan.position)
            .with_path(vec![PathSegment::Field(plan.key.to_string())])
    };
    match added {
        Ok(milestone) => match render::milestone_response(&plan.key, &plan.fields, &milestone) {
            Ok(body) => Written::Body(body),
            // committed and audited; only its answer could not be written
            Err(err) => Written::Failed(async_graphql::Response::from_errors(vec![failed(
                internal(&err.to_string()),
            )])),
        },
        Err(error) => {
            let error = failed(error);
            audit::record_failure(
                context,
                audit::Caller::new(request_id, Some(viewer)),
                mutation::ADD_MILESTONE,
                audit::told_code(&error),
                Some(arguments),
            )
            .await;
            Written::Failed(async_graphql::Response::from_errors(vec![error]))
        }
    }
}
