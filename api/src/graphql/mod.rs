//! The GraphQL schema: one query root and one mutation root, each merged from
//! one object per domain. Every resolver checks access through [`guard`].
//!
//! The objects a page repeats (releases, milestones, stakeholders, people,
//! history events) resolve their fields serially (`#[Object(serial)]`): each
//! field reads the row, or the request's loader that the list resolvers warm
//! for the whole page before any field runs (see `prefetch`). Concurrent
//! resolution would only add a task set per object. Items of a list still
//! resolve together, so a loader that is not warm still batches per page.

mod admin;
pub(crate) mod approval;
pub mod audit;
mod calendar;
mod change;
pub mod completion;
mod conflict;
pub(crate) mod cost;
pub mod direct;
pub mod documents;
pub mod error;
mod forward;
pub mod guard;
mod history;
mod jobs;
pub mod limits;
pub mod live;
pub mod loaders;
mod milestone;
mod package;
mod pagination;
mod people;
mod prefetch;
mod release;
mod schedule;
mod template;
mod write;

use crate::context::AppContext;
use async_graphql::{dataloader::DataLoader, MergedObject, Schema};
use entities::releases::list::Visibility;
pub use live::SubscriptionRoot;
use sea_orm::DatabaseConnection;

/// Read operations.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    release::ReleaseQuery,
    change::ChangeQuery,
    package::PackageQuery,
    milestone::MilestoneQuery,
    people::PeopleQuery,
    template::TemplateQuery,
    admin::AdminQuery,
    jobs::JobQuery,
    approval::ApprovalQuery,
    cost::CostQuery,
    schedule::ScheduleQuery,
    calendar::CalendarQuery,
    forward::ForwardQuery,
);

/// Write operations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    release::ReleaseMutation,
    change::ChangeMutation,
    package::PackageMutation,
    milestone::MilestoneMutation,
    people::PeopleMutation,
    template::TemplateMutation,
    admin::AdminMutation,
    jobs::JobMutation,
    approval::ApprovalMutation,
    cost::CostMutation,
    schedule::ScheduleMutation,
    calendar::CalendarMutation,
);

/// The served schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The per-request batch loader for nested fields. Its keys are ids, hashed with
/// foldhash (seeded per process) rather than SipHash.
pub type RequestLoader = DataLoader<
    loaders::DbLoader,
    async_graphql::dataloader::HashMapCache<foldhash::fast::RandomState>,
>;

/// A loader for one WebSocket connection: it batches but keeps nothing, so
/// every event is read as it is at delivery.
pub fn connection_loader(db: &DatabaseConnection, visibility: Option<Visibility>) -> RequestLoader {
    let loader = request_loader(db, visibility);
    loader.enable_all_cache(false);
    loader
}

/// A loader for one request, seeing only what `visibility` allows. List resolvers
/// feed it what they prefetched for the whole page (see `loaders::prefetch`), so a
/// page costs a fixed number of statements; other keys are batched as they come.
pub fn request_loader(db: &DatabaseConnection, visibility: Option<Visibility>) -> RequestLoader {
    DataLoader::with_cache(
        loaders::DbLoader::new(db.clone(), visibility),
        tokio::spawn,
        async_graphql::dataloader::HashMapCache::<foldhash::fast::RandomState>::new(),
    )
    // keys that arrive in the same turn of the scheduler still share a batch;
    // waiting longer (the library's default is 1 ms, on its own timer thread
    // unless `tokio-timer` is on) only cost latency and context switches
    .delay(std::time::Duration::ZERO)
}

/// Reads an optional input field: `None` when omitted, `Some(None)` when `null`.
fn patch<T>(value: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// The served schema twice over: `writes` with the audit and limits extensions
/// (every mutation, and any document that does not parse), and `reads` without
/// any, because one extension sends every field of every answer through
/// async-graphql's slower extension path. Both hold the same types.
#[derive(Clone)]
pub struct Schemas {
    pub reads: AppSchema,
    pub writes: AppSchema,
    /// For WebSocket connections: the request limits, no audit (subscriptions
    /// change nothing).
    pub live: AppSchema,
    pub limits: limits::QueryLimits,
    /// The field types both answer with, for [`completion`].
    pub types: std::sync::Arc<completion::TypeIndex>,
    /// Documents parsed before, by their text.
    pub documents: std::sync::Arc<documents::DocumentCache>,
}

/// How many parsed documents are kept (each at most 4 KiB of text): enough for
/// clients that write their arguments into the text instead of variables (one
/// document per release id, say), and at most 512 KiB of text in all.
const DOCUMENTS_KEPT: usize = 4_096;
const DOCUMENT_TEXT_KEPT: usize = 512 * 1024;

/// Builds both schemas around `context`, with the configured request limits.
pub fn build_schemas(context: AppContext) -> Schemas {
    let settings = &context.settings;
    let introspection = settings.introspection_enabled();
    let limits = limits::QueryLimits::from_settings(&settings.graphql);
    let finish =
        |builder: async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>| {
            if introspection {
                builder.finish()
            } else {
                builder.disable_introspection().finish()
            }
        };
    let root = || {
        Schema::build(
            QueryRoot::default(),
            MutationRoot::default(),
            SubscriptionRoot,
        )
        .data(context.clone())
    };
    let reads = finish(
        root()
            .limit_depth(limits.max_depth)
            .limit_complexity(limits.max_complexity),
    );
    // the library's own SDL export, which its SDL parser reads back
    let types = std::sync::Arc::new(completion::TypeIndex::from_sdl(&reads.sdl()));
    Schemas {
        reads,
        writes: finish(root().extension(audit::AuditTrail).extension(limits)),
        live: finish(root().extension(limits)),
        limits,
        types,
        documents: std::sync::Arc::new(documents::DocumentCache::new(
            DOCUMENTS_KEPT,
            DOCUMENT_TEXT_KEPT,
        )),
    }
}

/// The schema in SDL, as committed in `schema.graphql`. It says what
/// introspection says: `@specifiedBy` on scalars that have one, and the schema
/// description async-graphql 7 answers for `__schema { description }` (a fixed
/// text of the library's, which its SDL export leaves out).
pub fn sdl() -> String {
    let sdl = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by());
    match sdl.find("schema {") {
        Some(at) => format!(
            "{}\"\"\"\n{INTROSPECTED_SCHEMA_DESCRIPTION}\n\"\"\"\n{}",
            &sdl[..at],
            &sdl[at..]
        ),
        None => sdl,
    }
}

/// What async-graphql 7 answers for `__schema { description }`, whatever the schema.
const INTROSPECTED_SCHEMA_DESCRIPTION: &str = "A GraphQL Schema defines the capabilities of a \
GraphQL server. It exposes all available types and directives on the server, as well as the \
entry points for query, mutation, and subscription operations.";

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;
    use entities::lifecycle::milestone::MilestoneAction;
    use entities::lifecycle::release::ReleaseAction;

    #[test]
    fn action_names_in_messages_are_the_graphql_names() {
        for item in ReleaseAction::items() {
            assert_eq!(item.name, item.value.name());
        }
        for item in MilestoneAction::items() {
            assert_eq!(item.name, item.value.name());
        }
    }
}
