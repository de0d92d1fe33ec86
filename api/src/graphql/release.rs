//! Releases: the object, the list with filters and cursors, and the mutations
//! that create, edit and move them.

use super::error::{internal, parse_id, validation, GqlResultExt};
use super::guard::{self, viewer};
use super::history::ReleaseEvent;
use super::loaders::{
    HistoryOf, MilestonesOf, PersonById, PhasesOf, ReleaseActionsOf, ReleaseById, StakeholdersOf,
};
use super::milestone::Milestone;
use super::pagination;
use super::people::{Person, Stakeholder};
use super::prefetch;
use super::write::write;
use super::{patch, RequestLoader};
use crate::context::AppContext;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{release, ReleaseScope, ReleaseStatus, ReleaseType, ReviewOutcome};
use entities::lifecycle::release::ReleaseAction;
use entities::release_query::{self, PageRequest, ReleaseFilter, SortField, SortKey, SortOrder};
use entities::releases::{self, NewRelease, ReleaseChanges, TemplateChoice};
use entities::workflow;

/// Most items one page may hold.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Page size when the client gives neither `first` nor `last`.
const DEFAULT_PAGE_SIZE: i32 = 20;

/// A release: a set of changes rolled out together, alone, as a master, or as a phase.
pub struct Release(pub release::Model);

#[Object]
impl Release {
    /// The release number users see.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    #[graphql(name = "type")]
    async fn release_type(&self) -> ReleaseType {
        self.0.release_type
    }
    async fn scope(&self) -> ReleaseScope {
        self.0.scope
    }
    async fn status(&self) -> ReleaseStatus {
        self.0.status
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Person> {
        let loader = ctx.data::<RequestLoader>()?;
        loader
            .load_one(PersonById(self.0.owner_id))
            .await
            .gql()?
            .map(Person)
            .ok_or_else(|| internal("owner is missing"))
    }
    async fn planned_start(&self) -> Option<DateTime<Utc>> {
        self.0.planned_start
    }
    async fn planned_end(&self) -> Option<DateTime<Utc>> {
        self.0.planned_end
    }
    async fn actual_start(&self) -> Option<DateTime<Utc>> {
        self.0.actual_start
    }
    async fn actual_end(&self) -> Option<DateTime<Utc>> {
        self.0.actual_end
    }
    async fn review_outcome(&self) -> Option<ReviewOutcome> {
        self.0.review_outcome
    }
    async fn lessons_learned(&self) -> Option<&str> {
        self.0.lessons_learned.as_deref()
    }
    /// Why the release was cancelled, if it was.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// The template the milestones came from, if any.
    async fn template_id(&self) -> Option<ID> {
        self.0.template_id.map(|id| ID(id.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Pass this as `expectedVersion` to `updateRelease`; it grows with every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The master of a phase.
    async fn master(&self, ctx: &Context<'_>) -> Result<Option<Release>> {
        let Some(master_id) = self.0.master_id else {
            return Ok(None);
        };
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader
            .load_one(ReleaseById(master_id))
            .await
            .gql()?
            .map(Release))
    }
    /// The phases of a master, lowest id first.
    async fn phases(&self, ctx: &Context<'_>) -> Result<Vec<Release>> {
        let loader = ctx.data::<RequestLoader>()?;
        let phases = loader.load_one(PhasesOf(self.0.id)).await.gql()?;
        Ok(phases
            .unwrap_or_default()
            .into_iter()
            .map(Release)
            .collect())
    }
    /// Milestones in sequence.
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(MilestonesOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Milestone)
            .collect())
    }
    async fn stakeholders(&self, ctx: &Context<'_>) -> Result<Vec<Stakeholder>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(StakeholdersOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Stakeholder)
            .collect())
    }
    /// Every change to the release and its milestones, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ReleaseEvent>> {
        let loader = ctx.data::<RequestLoader>()?;
        let rows = loader.load_one(HistoryOf(self.0.id)).await.gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ReleaseEvent)
            .collect())
    }
    /// The `transitionRelease` actions that would succeed now, for the caller:
    /// allowed by the lifecycle and by the caller's roles.
    async fn available_actions(&self, ctx: &Context<'_>) -> Result<Vec<ReleaseAction>> {
        let viewer = viewer(ctx)?;
        let loader = ctx.data::<RequestLoader>()?;
        let actions = loader
            .load_one(ReleaseActionsOf(self.0.clone()))
            .await
            .gql()?;
        Ok(actions
            .unwrap_or_default()
            .into_iter()
            .filter(|action| viewer.actor().may_move(*action, self.0.status).is_ok())
            .collect())
    }
}

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
        release_query::count(&services.db, &self.filter).await.gql()
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
        let page = release_query::page(&services.db, &filter, order, request)
            .await
            .gql()?;
        prefetch::releases(
            ctx,
            ctx.look_ahead().field("edges").field("node"),
            &page.releases,
        )
        .await?;
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
        guard::ensure_visible(ctx, "release", id, id).await?;
        let release = releases::find(&services.db, id).await.gql()?;
        prefetch::releases(ctx, ctx.look_ahead(), std::slice::from_ref(&release)).await?;
        Ok(Some(Release(release)))
    }
}

/// A page costs its size times the cost of one item.
fn page_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    usize::try_from(size).unwrap_or(1) * child_complexity + 1
}

/// Checks Relay arguments and turns them into a page request.
fn page_request(
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

/// Input of `createRelease`.
#[derive(InputObject)]
pub struct CreateReleaseInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(name = "type")]
    pub release_type: ReleaseType,
    #[graphql(default_with = "ReleaseScope::Standalone")]
    pub scope: ReleaseScope,
    /// Required for a PHASE, forbidden otherwise.
    pub master_id: Option<ID>,
    pub owner_id: ID,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    /// Create the milestones from this template.
    pub template_id: Option<ID>,
    /// `false` creates no template milestones; by default MAJOR releases use the default template.
    pub use_template: Option<bool>,
}

/// Input of `updateRelease`; omitted fields stay as they are, `null` clears a date.
#[derive(InputObject, Default)]
pub struct UpdateReleaseInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<ID>,
    pub planned_start: MaybeUndefined<DateTime<Utc>>,
    pub planned_end: MaybeUndefined<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ReleaseMutation;

#[Object]
impl ReleaseMutation {
    /// Creates a DRAFT release; MAJOR releases get the default template's milestones
    /// unless `useTemplate: false`.
    async fn create_release(
        &self,
        ctx: &Context<'_>,
        input: CreateReleaseInput,
    ) -> Result<Release> {
        let template = match (input.template_id, input.use_template) {
            (Some(_), Some(false)) => {
                return Err(validation(
                    "useTemplate",
                    "templateId and useTemplate: false contradict each other",
                ))
            }
            (Some(id), _) => TemplateChoice::Template(parse_id(&id, "templateId")?),
            (None, Some(false)) => TemplateChoice::None,
            (None, _) => TemplateChoice::Default,
        };
        let new = NewRelease {
            title: input.title,
            description: input.description,
            release_type: input.release_type,
            scope: input.scope,
            master_id: input
                .master_id
                .as_ref()
                .map(|id| parse_id(id, "masterId"))
                .transpose()?,
            owner_id: parse_id(&input.owner_id, "ownerId")?,
            planned_start: input.planned_start,
            planned_end: input.planned_end,
            template,
        };
        write(ctx, async |tx| releases::create(tx, new).await)
            .await
            .map(Release)
    }

    /// Edits a release read at `expectedVersion`; a stale version fails with `CONFLICT`.
    async fn update_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateReleaseInput,
        expected_version: i32,
    ) -> Result<Release> {
        let changes = ReleaseChanges {
            title: input.title,
            description: input.description,
            owner_id: input
                .owner_id
                .as_ref()
                .map(|id| parse_id(id, "ownerId"))
                .transpose()?,
            planned_start: patch(input.planned_start),
            planned_end: patch(input.planned_end),
        };
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            releases::update(tx, id, changes, expected_version).await
        })
        .await
        .map(Release)
    }

    /// Moves a release through its lifecycle; REJECT and CANCEL need a `reason`.
    /// A refused action fails with `INVALID_TRANSITION` and lists the allowed ones.
    async fn transition_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        action: ReleaseAction,
        reason: Option<String>,
    ) -> Result<Release> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            workflow::transition_release(tx, id, action, reason).await
        })
        .await
        .map(Release)
    }

    /// Records the review of a release in REVIEW; needed before CLOSE.
    async fn record_release_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        outcome: ReviewOutcome,
        lessons_learned: String,
    ) -> Result<Release> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| {
            releases::record_review(tx, id, outcome, lessons_learned).await
        })
        .await
        .map(Release)
    }
}
