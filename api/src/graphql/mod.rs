//! The GraphQL schema: one query root and one mutation root, each merged from
//! one object per domain.

pub mod error;
mod history;
pub mod loaders;
mod milestone;
mod pagination;
mod people;
mod release;
mod template;

use async_graphql::{dataloader::DataLoader, EmptySubscription, MergedObject, Schema};
use entities::{Clock, Stamp};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Read operations.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    release::ReleaseQuery,
    milestone::MilestoneQuery,
    people::PeopleQuery,
    template::TemplateQuery,
);

/// Write operations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    release::ReleaseMutation,
    milestone::MilestoneMutation,
    people::PeopleMutation,
    template::TemplateMutation,
);

/// The served schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest query nesting accepted.
const MAX_DEPTH: usize = 16;

/// What resolvers need from the service: the database and the clock.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// The stamp for a change made now; the actor arrives with authentication.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            at: self.clock.now(),
            actor_id: None,
        }
    }
}

/// The per-request batch loader for nested fields.
pub type RequestLoader = DataLoader<loaders::DbLoader>;

/// A loader for one request; the schema handler attaches it to every request.
pub fn request_loader(db: &DatabaseConnection) -> RequestLoader {
    DataLoader::new(loaders::DbLoader::new(db.clone()), tokio::spawn)
}

/// Reads an optional input field: `None` when omitted, `Some(None)` when `null`.
fn patch<T>(value: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Builds the schema around `services`.
pub fn build_schema(services: Services) -> AppSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .data(services)
    .limit_depth(MAX_DEPTH)
    .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
