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

mod fetch;
mod fields;
mod plan;
mod render;

use crate::graphql::limits::QueryLimits;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::Variables;
use entities::releases::list::Visibility;
use sea_orm::DatabaseConnection;

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
