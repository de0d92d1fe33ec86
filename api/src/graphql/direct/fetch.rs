//! Loading what a plan selects, with the statements the library's resolvers
//! and `prefetch` run: each root's page (or one release, joined with its
//! milestones when they are selected), then one statement per relation for the
//! releases of every root together, as the request loader shares them.

use super::fields::MilestoneScalar;
use super::plan::{Needs, Plan, Root};
use entities::entity::{milestone, person, release, stakeholder};
use entities::releases::list::{self, Page, ReleaseFilter, SortOrder, Visibility};
use entities::rows::Cell;
use entities::{milestones, people, stakeholders, DomainResult};
use sea_orm::DatabaseConnection;
use std::collections::{BTreeSet, HashMap};

/// The rows one root field answers with.
pub enum Fetched {
    /// `__typename` reads nothing.
    Nothing,
    Page(Page),
    One(Box<release::Model>),
}

/// What the releases of the request relate to, by release or person id.
#[derive(Default)]
pub struct Related {
    /// Whole milestone rows, read in the join of `release(id)`.
    pub joined: HashMap<i32, Vec<milestone::Model>>,
    /// The selected columns of the milestones of every page's releases: each
    /// row holds a cell per field of `milestone_fields`.
    pub milestone_cells: HashMap<i32, Vec<Vec<Cell>>>,
    pub milestone_fields: Vec<MilestoneScalar>,
    pub stakeholders: HashMap<i32, Vec<stakeholder::Model>>,
    pub people: HashMap<i32, person::Model>,
}

/// The rows of every root of `plan`, and what they relate to; `Ok(None)` when a
/// release is not there (or hidden), which the library answers with its
/// `NOT_FOUND` error.
pub async fn fetch(
    db: &DatabaseConnection,
    visibility: Option<Visibility>,
    plan: &Plan,
) -> DomainResult<Option<(Vec<Fetched>, Related)>> {
    let mut fetched = Vec::with_capacity(plan.roots.len());
    let mut related = Related::default();
    // what each root's releases need, with the milestones of `release(id)` joined in
    let mut needs = Vec::with_capacity(plan.roots.len());
    for (_, root) in &plan.roots {
        let (rows, root_needs) = match root {
            Root::Typename => (Fetched::Nothing, Needs::default()),
            Root::Releases { page, fields } => {
                let filter = ReleaseFilter {
                    visible_to: visibility,
                    ..ReleaseFilter::default()
                };
                let mut page_needs = Needs::default();
                for (_, field) in fields {
                    page_needs.add_connection(field);
                }
                let page = list::page(db, &filter, SortOrder::default(), *page).await?;
                (Fetched::Page(page), page_needs)
            }
            Root::Release { id, fields } => {
                let mut one_needs = Needs::of(fields);
                // one statement, joined with the milestones when they are selected
                let release = if one_needs.milestones.take().is_some() {
                    list::find_visible_with_milestones(db, *id, visibility)
                        .await?
                        .map(|(release, milestones)| {
                            related.joined.insert(*id, milestones);
                            release
                        })
                } else {
                    list::find_visible_by_id(db, *id, visibility).await?
                };
                let Some(release) = release else {
                    return Ok(None);
                };
                (Fetched::One(Box::new(release)), one_needs)
            }
        };
        fetched.push(rows);
        needs.push(root_needs);
    }
    let wanting: Vec<(&[release::Model], &Needs)> = fetched
        .iter()
        .zip(&needs)
        .filter_map(|(rows, needs)| match rows {
            Fetched::Page(page) => Some((page.releases.as_slice(), needs)),
            Fetched::One(release) => Some((std::slice::from_ref(release.as_ref()), needs)),
            Fetched::Nothing => None,
        })
        .collect();
    load_related(db, &wanting, &mut related).await?;
    Ok(Some((fetched, related)))
}

/// Loads what each root's releases need, one statement per relation for all
/// roots together (as the request loader shares them): milestones (only the
/// selected columns) and stakeholders together, then every person (owners and
/// stakeholders) in one statement.
async fn load_related(
    db: &DatabaseConnection,
    wanting: &[(&[release::Model], &Needs)],
    related: &mut Related,
) -> DomainResult<()> {
    let ids_where = |wants: fn(&Needs) -> bool| -> Vec<i32> {
        let ids: BTreeSet<i32> = wanting
            .iter()
            .filter(|(_, needs)| wants(needs))
            .flat_map(|(rows, _)| rows.iter().map(|r| r.id))
            .collect();
        ids.into_iter().collect()
    };
    let milestone_ids = ids_where(|needs| needs.milestones.is_some());
    let stakeholder_ids = ids_where(|needs| needs.stakeholders);
    let mut milestone_fields = Needs::default();
    for (_, needs) in wanting {
        milestone_fields.merge((*needs).clone());
    }
    let milestone_fields = milestone_fields.milestones.unwrap_or_default();
    let (cells, stakeholders) = tokio::try_join!(
        async {
            if milestone_ids.is_empty() {
                Ok(HashMap::new())
            } else {
                let columns: Vec<_> = milestone_fields.iter().map(|f| f.column()).collect();
                milestones::cells_for_releases(db, &milestone_ids, &columns).await
            }
        },
        async {
            if stakeholder_ids.is_empty() {
                Ok(HashMap::new())
            } else {
                stakeholders::for_releases(db, &stakeholder_ids).await
            }
        }
    )?;
    let mut wanted: BTreeSet<i32> = BTreeSet::new();
    for (rows, needs) in wanting {
        if needs.owner {
            wanted.extend(rows.iter().map(|r| r.owner_id));
        }
        if needs.stakeholder_people {
            let of_rows = rows.iter().filter_map(|r| stakeholders.get(&r.id));
            wanted.extend(of_rows.flatten().map(|s| s.person_id));
        }
    }
    if !wanted.is_empty() {
        let wanted: Vec<i32> = wanted.into_iter().collect();
        related.people = people::by_ids(db, &wanted).await?;
    }
    related.milestone_cells = cells;
    related.milestone_fields = milestone_fields;
    related.stakeholders = stakeholders;
    Ok(())
}
