//! Filtering, ordering and keyset pagination of the release list. Cursors hold
//! the sort key of a row, so pages stay stable while releases are added.

use crate::entity::VoteDecision;
use crate::entity::{
    approval_request, approval_vote, milestone, release, stakeholder, MilestoneStatus,
    ReleaseScope, ReleaseStatus, ReleaseType,
};
use crate::rows::Positional;
use crate::shapes::Shape;
use crate::{validate, DomainResult};
use chrono::{DateTime, Utc};
use sea_orm::{
    prelude::*,
    sea_query::Query,
    sea_query::{ExprTrait, Func, LikeExpr, NullOrdering},
    Condition, DbBackend, Order, QueryOrder, QuerySelect, QueryTrait, Select, SelectTwoModel,
    SelectorTrait, Statement,
};
use std::collections::HashMap;

/// Which releases a list shows; empty vectors mean "any".
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    pub types: Vec<ReleaseType>,
    pub scopes: Vec<ReleaseScope>,
    pub statuses: Vec<ReleaseStatus>,
    /// Case-insensitive text in the title or description.
    pub search: Option<String>,
    pub master_id: Option<i32>,
    pub owner_id: Option<i32>,
    /// Releases whose planned window overlaps this one.
    pub planned_between: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only what this viewer may see; `None` sees everything.
    pub visible_to: Option<Visibility>,
}

/// What a viewer who does not see every release may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    /// Releases this person is a stakeholder of, or was asked to vote on.
    pub person_id: i32,
    /// Also releases awaiting a decision: REQUESTED, or with a milestone PENDING_APPROVAL.
    pub awaiting_decision: bool,
}

impl Visibility {
    /// The condition on `releases` that selects what is visible.
    pub fn condition(self) -> Condition {
        let stakeholder_of = Query::select()
            .column(stakeholder::Column::ReleaseId)
            .from(stakeholder::Entity)
            .and_where(stakeholder::Column::PersonId.eq(self.person_id))
            .to_owned();
        let voted_on = Query::select()
            .column(approval_request::Column::ReleaseId)
            .from(approval_request::Entity)
            .and_where(
                approval_request::Column::Id.in_subquery(
                    Query::select()
                        .column(approval_vote::Column::RequestId)
                        .from(approval_vote::Entity)
                        .and_where(approval_vote::Column::ApproverId.eq(self.person_id))
                        .and_where(approval_vote::Column::Decision.ne(VoteDecision::Void))
                        .to_owned(),
                ),
            )
            .to_owned();
        let mut visible = Condition::any()
            .add(release::Column::Id.in_subquery(stakeholder_of))
            .add(release::Column::Id.in_subquery(voted_on));
        if self.awaiting_decision {
            let pending = Query::select()
                .column(milestone::Column::ReleaseId)
                .from(milestone::Entity)
                .and_where(milestone::Column::Status.eq(MilestoneStatus::PendingApproval))
                .to_owned();
            visible = visible
                .add(release::Column::Status.eq(ReleaseStatus::Requested))
                .add(release::Column::Id.in_subquery(pending));
        }
        visible
    }

    /// The kind of statement shape a filter by `visibility` takes (none, a
    /// stakeholder's, a board member's) and the values its condition binds.
    pub(crate) fn shape(visibility: Option<Self>) -> (usize, Vec<Value>) {
        match visibility {
            None => (0, Vec::new()),
            Some(visibility) => (
                1 + usize::from(visibility.awaiting_decision),
                visibility.condition_values(),
            ),
        }
    }

    /// The values [`condition`](Self::condition) binds, in its order.
    fn condition_values(self) -> Vec<Value> {
        let mut values = vec![
            self.person_id.into(),
            self.person_id.into(),
            VoteDecision::Void.into(),
        ];
        if self.awaiting_decision {
            values.push(ReleaseStatus::Requested.into());
            values.push(MilestoneStatus::PendingApproval.into());
        }
        values
    }
}

/// True when release `id` exists and `visibility` (if any) lets its holder see it.
pub async fn is_visible<C: ConnectionTrait>(
    db: &C,
    id: i32,
    visibility: Option<Visibility>,
) -> DomainResult<bool> {
    let mut query = release::Entity::find().filter(release::Column::Id.eq(id));
    if let Some(visibility) = visibility {
        query = query.filter(visibility.condition());
    }
    Ok(query.count(db).await? > 0)
}

/// Release `id` when it exists and `visibility` (if any) lets its holder see
/// it, in one statement.
pub async fn find_visible_by_id<C: ConnectionTrait>(
    db: &C,
    id: i32,
    visibility: Option<Visibility>,
) -> DomainResult<Option<release::Model>> {
    let mut query = release::Entity::find().filter(release::Column::Id.eq(id));
    if let Some(visibility) = visibility {
        query = query.filter(visibility.condition());
    }
    Ok(query
        .into_model::<Positional<release::Model>>()
        .one(db)
        .await?
        .map(|p| p.0))
}

/// Like [`find_visible_by_id`], with the release's milestones in sequence, in
/// one statement (a join).
pub async fn find_visible_with_milestones<C: ConnectionTrait>(
    db: &C,
    id: i32,
    visibility: Option<Visibility>,
) -> DomainResult<Option<(release::Model, Vec<milestone::Model>)>> {
    let statement = with_milestones_statement(db.get_database_backend(), id, visibility);
    type Row = SelectTwoModel<Positional<release::Model>, Positional<milestone::Model>>;
    let rows = db
        .query_all_raw(statement)
        .await?
        .into_iter()
        .map(Row::from_raw_query_result)
        .collect::<Result<Vec<_>, DbErr>>()?;
    let mut rows = rows.into_iter();
    Ok(rows.next().map(|(release, first)| {
        let milestones = first
            .into_iter()
            .chain(rows.filter_map(|(_, milestone)| milestone))
            .map(|m| m.0)
            .collect();
        (release.0, milestones)
    }))
}

/// The join of [`find_visible_with_milestones`]: one shape per kind of
/// visibility (see `crate::shapes`).
fn with_milestones_statement(
    backend: DbBackend,
    id: i32,
    visibility: Option<Visibility>,
) -> Statement {
    static SHAPES: [Shape; 3] = [const { Shape::new() }; 3];
    let (kind, condition) = Visibility::shape(visibility);
    let values = [vec![id.into()], condition].concat();
    SHAPES[kind].statement(backend, values, || {
        let mut query = release::Entity::find().filter(release::Column::Id.eq(id));
        if let Some(visibility) = visibility {
            query = query.filter(visibility.condition());
        }
        query
            .find_also_related(milestone::Entity)
            .order_by_asc(milestone::Column::Sequence)
            .into_query()
    })
}

/// The column a list is sorted by; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    Id,
    /// Releases without a planned start come last.
    PlannedStart,
}

/// A sort order of the release list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortOrder {
    pub field: SortField,
    pub descending: bool,
}

impl Default for SortOrder {
    /// Highest id first, as release managers expect.
    fn default() -> Self {
        Self {
            field: SortField::Id,
            descending: true,
        }
    }
}

/// The position of a row in a sorted list, as carried in a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub id: i32,
    pub planned_start: Option<DateTime<Utc>>,
}

impl SortKey {
    /// The key of `release`.
    pub fn of(release: &release::Model) -> Self {
        Self {
            id: release.id,
            planned_start: release.planned_start,
        }
    }
}

/// Which slice of the list to fetch, Relay style.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub after: Option<SortKey>,
    pub before: Option<SortKey>,
    /// Take from the front (`first`) or, when `from_end`, from the back (`last`).
    pub limit: u64,
    pub from_end: bool,
}

/// One page of releases and whether more lie on either side.
#[derive(Debug, Clone)]
pub struct Page {
    pub releases: Vec<release::Model>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// The `%term%` pattern for a case-insensitive LIKE, with wildcards in `term` escaped.
pub fn contains_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn filtered(filter: &ReleaseFilter) -> Select<release::Entity> {
    use release::Column as C;
    let mut query = release::Entity::find();
    if !filter.types.is_empty() {
        query = query.filter(C::ReleaseType.is_in(filter.types.clone()));
    }
    if !filter.scopes.is_empty() {
        query = query.filter(C::Scope.is_in(filter.scopes.clone()));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(C::Status.is_in(filter.statuses.clone()));
    }
    if let Some(master_id) = filter.master_id {
        query = query.filter(C::MasterId.eq(master_id));
    }
    if let Some(owner_id) = filter.owner_id {
        query = query.filter(C::OwnerId.eq(owner_id));
    }
    if let Some((from, to)) = filter.planned_between {
        query = query
            .filter(C::PlannedStart.lte(to))
            .filter(C::PlannedEnd.gte(from));
    }
    if let Some(visibility) = filter.visible_to {
        query = query.filter(visibility.condition());
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = contains_pattern(term);
        let like = |col: C| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(C::Title))
                .add(like(C::Description)),
        );
    }
    query
}

impl ReleaseFilter {
    /// Refuses criteria no database should see: control characters or an
    /// overlong search term, instants outside 1970–9999.
    pub fn check(&self) -> DomainResult<()> {
        if let Some(search) = &self.search {
            validate::search("filter.search", search)?;
        }
        if let Some((from, to)) = self.planned_between {
            validate::instant("filter.plannedBetween.start", from)?;
            validate::instant("filter.plannedBetween.end", to)?;
        }
        Ok(())
    }
}

impl PageRequest {
    /// Refuses cursors whose sort key lies outside 1970–9999 (a forged cursor).
    pub fn check(&self) -> DomainResult<()> {
        for (field, key) in [("after", &self.after), ("before", &self.before)] {
            if let Some(start) = key.as_ref().and_then(|k| k.planned_start) {
                validate::instant(field, start)?;
            }
        }
        Ok(())
    }
}

/// At most `limit` releases matching `filter`, by planned start, in one query.
pub async fn by_planned_start<C: ConnectionTrait>(
    db: &C,
    filter: &ReleaseFilter,
    limit: u64,
) -> DomainResult<Vec<release::Model>> {
    filter.check()?;
    Ok(filtered(filter)
        .order_by_asc(release::Column::PlannedStart)
        .order_by_asc(release::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The releases among `ids` that `visibility` lets through, in one query.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    visibility: Option<Visibility>,
) -> DomainResult<HashMap<i32, release::Model>> {
    let rows = visible(release::Entity::find(), visibility)
        .filter(release::Column::Id.is_in(ids.iter().copied()))
        .into_model::<Positional<release::Model>>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.0.id, r.0)).collect())
}

/// The visible phases of each master in `master_ids`, lowest id first, in one query.
pub async fn phases_of<C: ConnectionTrait>(
    db: &C,
    master_ids: &[i32],
    visibility: Option<Visibility>,
) -> DomainResult<HashMap<i32, Vec<release::Model>>> {
    let rows = visible(release::Entity::find(), visibility)
        .filter(release::Column::MasterId.is_in(master_ids.iter().copied()))
        .order_by_asc(release::Column::Id)
        .all(db)
        .await?;
    Ok(crate::kit::group_by(rows, |r| r.master_id))
}

fn visible(
    query: Select<release::Entity>,
    visibility: Option<Visibility>,
) -> Select<release::Entity> {
    match visibility {
        Some(visibility) => query.filter(visibility.condition()),
        None => query,
    }
}

/// How many releases match `filter`.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &ReleaseFilter) -> DomainResult<u64> {
    filter.check()?;
    Ok(filtered(filter).count(db).await?)
}

/// One page of the releases matching `filter`, in `order`.
///
/// Its milestones are not joined in: with the page's `LIMIT` a bound parameter
/// in a subquery, PostgreSQL's generic plan hashes every milestone, so it plans
/// the join afresh on every call; the loader's second statement costs it half
/// the CPU (bench/README.md).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &ReleaseFilter,
    order: SortOrder,
    request: PageRequest,
) -> DomainResult<Page> {
    filter.check()?;
    request.check()?;
    // Fetching from the end walks the list backwards, then flips the rows.
    let walk = Walk {
        field: order.field,
        descending: order.descending != request.from_end,
        nulls_last: !request.from_end,
    };
    let (towards, away) = if request.from_end {
        (request.before, request.after)
    } else {
        (request.after, request.before)
    };
    let mut query = filtered(filter);
    if let Some(key) = towards {
        query = query.filter(walk.after(key));
    }
    if let Some(key) = away {
        query = query.filter(walk.reversed().after(key));
    }
    let order_of = |descending: bool| if descending { Order::Desc } else { Order::Asc };
    if walk.field == SortField::PlannedStart {
        let nulls = if walk.nulls_last {
            NullOrdering::Last
        } else {
            NullOrdering::First
        };
        query = query.order_by_with_nulls(
            release::Column::PlannedStart,
            order_of(walk.descending),
            nulls,
        );
    }
    let mut rows: Vec<release::Model> = query
        .order_by(release::Column::Id, order_of(walk.descending))
        .limit(request.limit + 1)
        .into_model::<Positional<release::Model>>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let more = rows.len() as u64 > request.limit;
    rows.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
    if request.from_end {
        rows.reverse();
        Ok(Page {
            releases: rows,
            has_previous: more,
            has_next: request.before.is_some(),
        })
    } else {
        Ok(Page {
            releases: rows,
            has_previous: request.after.is_some(),
            has_next: more,
        })
    }
}

/// A direction of travel through the sorted list.
#[derive(Debug, Clone, Copy)]
struct Walk {
    field: SortField,
    descending: bool,
    nulls_last: bool,
}

impl Walk {
    fn reversed(self) -> Self {
        Self {
            field: self.field,
            descending: !self.descending,
            nulls_last: !self.nulls_last,
        }
    }

    /// Rows strictly after `key` in this direction.
    fn after(self, key: SortKey) -> Condition {
        use release::Column as C;
        let id_after = if self.descending {
            C::Id.lt(key.id)
        } else {
            C::Id.gt(key.id)
        };
        match (self.field, key.planned_start) {
            (SortField::Id, _) => Condition::all().add(id_after),
            (SortField::PlannedStart, Some(start)) => {
                let beyond = if self.descending {
                    C::PlannedStart.lt(start)
                } else {
                    C::PlannedStart.gt(start)
                };
                let mut any = Condition::any().add(beyond).add(
                    Condition::all()
                        .add(C::PlannedStart.eq(start))
                        .add(id_after),
                );
                if self.nulls_last {
                    any = any.add(C::PlannedStart.is_null());
                }
                any
            }
            (SortField::PlannedStart, None) => {
                let among_nulls = Condition::all()
                    .add(C::PlannedStart.is_null())
                    .add(id_after);
                if self.nulls_last {
                    among_nulls
                } else {
                    Condition::any()
                        .add(among_nulls)
                        .add(C::PlannedStart.is_not_null())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debug builds check each shape against sea-query's own build: every kind
    /// of visibility, on both databases.
    #[test]
    fn every_release_with_milestones_shape_binds_what_sea_query_binds() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for visibility in [
                None,
                Some(Visibility {
                    person_id: 3,
                    awaiting_decision: false,
                }),
                Some(Visibility {
                    person_id: 4,
                    awaiting_decision: true,
                }),
            ] {
                for id in [1, 9] {
                    let statement = with_milestones_statement(backend, id, visibility);
                    assert!(statement.sql.contains("JOIN"), "{}", statement.sql);
                }
            }
        }
    }
}
