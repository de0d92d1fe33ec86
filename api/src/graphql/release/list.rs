//! The release list: filters, order, Relay cursors, and `release(id)`.

use super::Release;
use crate::context::AppContext;
use crate::graphql::error::{parse_id, to_graphql, validation, GqlResultExt};
use crate::graphql::guard::{self, viewer};
use crate::graphql::loaders::MilestonesOf;
use crate::graphql::pagination;
use crate::graphql::prefetch;
use crate::graphql::RequestLoader;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{ReleaseScope, ReleaseStatus, ReleaseType};
use entities::releases::list::{self, PageRequest, ReleaseFilter, SortField, SortKey, SortOrder};
use entities::DomainError;

/// Most items one page may hold.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Page size when the client gives neither `first` nor `last`.
const DEFAULT_PAGE_SIZE: i32 = 20;
/// Which releases `releases` lists; every given criterion must hold.
#[derive(InputObject, Default)]
#[graphql(name = "ReleaseFilter")]
pub struct ReleaseFilterInput {
    pub types: Option<Vec<ReleaseType>>,
    pub scopes: Option<Vec<ReleaseScope>>,
    pub statuses: Option<Vec<ReleaseStatus>>,
    /// Case-insensitive text in the title or description.
    pub search: Option<String>,
    /// Only phases of this master.
    pub master_id: Option<ID>,
    pub owner_id: Option<ID>,
    /// Releases whose planned window overlaps this range.
    pub planned_between: Option<DateRange>,
}

/// A closed range of instants.
#[derive(InputObject)]
pub struct DateRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The field a release list is sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseOrderField {
    Id,
    /// Releases without a planned start come last.
    PlannedStart,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

/// Sort order of a release list; ties go by id in the same direction.
#[derive(InputObject)]
pub struct ReleaseOrder {
    pub field: ReleaseOrderField,
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl ReleaseFilterInput {
    fn into_domain(self) -> Result<ReleaseFilter> {
        let planned_between = match self.planned_between {
            Some(range) if range.end < range.start => {
                return Err(validation(
                    "filter.plannedBetween",
                    "plannedBetween.end must not be before its start",
                ))
            }
            Some(range) => Some((range.start, range.end)),
            None => None,
        };
        Ok(ReleaseFilter {
            types: self.types.unwrap_or_default(),
            scopes: self.scopes.unwrap_or_default(),
            statuses: self.statuses.unwrap_or_default(),
            search: self.search,
            master_id: self
                .master_id
                .as_ref()
                .map(|id| parse_id(id, "filter.masterId"))
                .transpose()?,
            owner_id: self
                .owner_id
                .as_ref()
                .map(|id| parse_id(id, "filter.ownerId"))
                .transpose()?,
            planned_between,
            visible_to: None,
        })
    }
}

/// Extra fields of a release list.
pub struct ReleaseListTotals {
    filter: ReleaseFilter,
}

#[Object]
impl ReleaseListTotals {
    /// How many releases match the filter, on all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let services = ctx.data::<AppContext>()?;
        list::count(&services.db, &self.filter).await.gql()
    }
}

/// A page of releases.
pub type ReleaseConnection = Connection<String, Release, ReleaseListTotals>;

#[derive(Default)]
pub struct ReleaseQuery;

#[Object]
impl ReleaseQuery {
    /// Releases, highest id first unless `orderBy` says otherwise. Pages hold at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn releases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ReleaseFilterInput>,
        order_by: Option<ReleaseOrder>,
    ) -> Result<ReleaseConnection> {
        let services = ctx.data::<AppContext>()?;
        let mut filter = filter.unwrap_or_default().into_domain()?;
        filter.visible_to = viewer(ctx)?.visibility();
        let order = order_by.map_or_else(SortOrder::default, |o| SortOrder {
            field: match o.field {
                ReleaseOrderField::Id => SortField::Id,
                ReleaseOrderField::PlannedStart => SortField::PlannedStart,
            },
            descending: o.direction == OrderDirection::Desc,
        });
        let request = page_request(first, after.as_deref(), last, before.as_deref())?;
        // a page's releases are selected under `edges { node }`, `nodes`, or both
        let selections = [
            ctx.look_ahead().field("edges").field("node"),
            ctx.look_ahead().field("nodes"),
        ];
        let page = list::page(&services.db, &filter, order, request)
            .await
            .gql()?;
        // the first warms the loader, so the second loads only what it adds
        for selection in selections.into_iter().filter(|s| s.exists()) {
            prefetch::releases(ctx, selection, &page.releases).await?;
        }
        let mut connection = Connection::with_additional_fields(
            page.has_previous,
            page.has_next,
            ReleaseListTotals { filter },
        );
        connection.edges.extend(
            page.releases
                .into_iter()
                .map(|r| Edge::new(pagination::encode(&SortKey::of(&r)), Release(r))),
        );
        Ok(connection)
    }

    /// One release; `null` with a `NOT_FOUND` error when there is none or the
    /// caller may not see it (the two are not told apart).
    async fn release(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Release>> {
        let services = ctx.data::<AppContext>()?;
        let id = parse_id(&id, "id")?;
        let visibility = guard::viewer(ctx)?.visibility();
        let not_found = || to_graphql(&DomainError::not_found("release", id));
        // one statement, with the milestones when they are asked for; a hidden
        // release answers exactly as a missing one
        let release = if ctx.look_ahead().field("milestones").exists() {
            let (release, milestones) =
                list::find_visible_with_milestones(&services.db, id, visibility)
                    .await
                    .gql()?
                    .ok_or_else(not_found)?;
            ctx.data::<RequestLoader>()?
                .feed_one(MilestonesOf(id), milestones)
                .await;
            release
        } else {
            list::find_visible_by_id(&services.db, id, visibility)
                .await
                .gql()?
                .ok_or_else(not_found)?
        };
        prefetch::releases(ctx, ctx.look_ahead(), std::slice::from_ref(&release)).await?;
        Ok(Some(Release(release)))
    }
}

/// A page costs its size times the cost of one item.
pub(crate) fn page_complexity(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    let size = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    usize::try_from(size).unwrap_or(1) * child_complexity + 1
}

/// Checks Relay arguments and turns them into a page request.
pub(crate) fn page_request(
    first: Option<i32>,
    after: Option<&str>,
    last: Option<i32>,
    before: Option<&str>,
) -> Result<PageRequest> {
    let size = |n: i32, field: &str| {
        if (0..=MAX_PAGE_SIZE).contains(&n) {
            Ok(n as u64)
        } else {
            Err(validation(
                field,
                &format!("{field} must be between 0 and {MAX_PAGE_SIZE}"),
            ))
        }
    };
    let cursor = |value: Option<&str>, field: &str| {
        value
            .map(|c| {
                pagination::decode(c).ok_or_else(|| {
                    validation(field, &format!("{field} is not a cursor from this list"))
                })
            })
            .transpose()
    };
    let (limit, from_end) = match (first, last) {
        (Some(_), Some(_)) => {
            return Err(validation("last", "pass either first or last, not both"));
        }
        (Some(n), None) => (size(n, "first")?, false),
        (None, Some(n)) => (size(n, "last")?, true),
        (None, None) => (DEFAULT_PAGE_SIZE as u64, false),
    };
    Ok(PageRequest {
        after: cursor(after, "after")?,
        before: cursor(before, "before")?,
        limit,
        from_end,
    })
}
