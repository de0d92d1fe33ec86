//! The GraphQL schema: one query root and one mutation root, each merged from
//! one object per domain. Every resolver checks access through [`guard`].

mod admin;
pub mod audit;
pub mod error;
pub mod guard;
mod history;
pub mod loaders;
mod milestone;
mod pagination;
mod people;
mod release;
mod template;

use async_graphql::{dataloader::DataLoader, EmptySubscription, MergedObject, Schema};
use entities::release_query::Visibility;
use entities::Clock;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Read operations.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    release::ReleaseQuery,
    milestone::MilestoneQuery,
    people::PeopleQuery,
    template::TemplateQuery,
    admin::AdminQuery,
);

/// Write operations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    release::ReleaseMutation,
    milestone::MilestoneMutation,
    people::PeopleMutation,
    template::TemplateMutation,
    admin::AdminMutation,
);

/// The served schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// What resolvers need from the service: the database and the clock.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
}

/// Limits and switches of the schema.
#[derive(Debug, Clone, Copy)]
pub struct SchemaLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

/// The per-request batch loader for nested fields.
pub type RequestLoader = DataLoader<loaders::DbLoader>;

/// A loader for one request, seeing only what `visibility` allows. It collects
/// keys for `window` before it queries, so sibling resolvers share one batch.
pub fn request_loader(
    db: &DatabaseConnection,
    visibility: Option<Visibility>,
    window: std::time::Duration,
) -> RequestLoader {
    DataLoader::new(loaders::DbLoader::new(db.clone(), visibility), tokio::spawn).delay(window)
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
pub fn build_schema(services: Services, limits: SchemaLimits) -> AppSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .data(services)
    .extension(audit::AuditTrail)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
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
