//! Loading what a plan selects, with the same statements the library's
//! resolvers and `prefetch` run: a page (or one release, joined with its
//! milestones when they are selected), then one statement per relation.

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
    Page {
        page: Page,
        related: Related,
    },
    One {
        release: Box<release::Model>,
        related: Related,
    },
}

/// What the releases of a root field relate to, by release or person id.
#[derive(Default)]
pub struct Related {
    pub milestones: Milestones,
    pub stakeholders: HashMap<i32, Vec<stakeholder::Model>>,
    pub people: HashMap<i32, person::Model>,
}

/// The milestones of the releases, by release.
pub enum Milestones {
    /// Whole rows (one release by id reads them in its join).
    Models(HashMap<i32, Vec<milestone::Model>>),
    /// Only the selected columns (a page): each row holds a cell per field of `fields`.
    Cells {
        fields: Vec<MilestoneScalar>,
        rows: HashMap<i32, Vec<Vec<Cell>>>,
    },
}

impl Default for Milestones {
    fn default() -> Self {
        Self::Models(HashMap::new())
    }
}

/// The rows of every root of `plan`; `Ok(None)` when a release is not there
/// (or hidden), which the library answers with its `NOT_FOUND` error.
pub async fn fetch(
    db: &DatabaseConnection,
    visibility: Option<Visibility>,
    plan: &Plan,
) -> DomainResult<Option<Vec<Fetched>>> {
    let mut fetched = Vec::with_capacity(plan.roots.len());
    for (_, root) in &plan.roots {
        let rows = match root {
            Root::Typename => Fetched::Nothing,
            Root::Releases { page, fields } => {
                let filter = ReleaseFilter {
                    visible_to: visibility,
                    ..ReleaseFilter::default()
                };
                let page = list::page(db, &filter, SortOrder::default(), *page).await?;
                let mut needs = Needs::default();
                for (_, field) in fields {
                    needs.add_connection(field);
                }
                let related = related(db, &page.releases, &needs, None).await?;
                Fetched::Page { page, related }
            }
            Root::Release { id, fields } => {
                let needs = Needs::of(fields);
                // one statement, joined with the milestones when they are selected
                let found = if needs.milestones.is_some() {
                    list::find_visible_with_milestones(db, *id, visibility)
                        .await?
                        .map(|(release, milestones)| {
                            let by_release = HashMap::from([(*id, milestones)]);
                            (release, Some(Milestones::Models(by_release)))
                        })
                } else {
                    list::find_visible_by_id(db, *id, visibility)
                        .await?
                        .map(|release| (release, None))
                };
                let Some((release, milestones)) = found else {
                    return Ok(None);
                };
                let related =
                    related(db, std::slice::from_ref(&release), &needs, milestones).await?;
                Fetched::One {
                    release: Box::new(release),
                    related,
                }
            }
        };
        fetched.push(rows);
    }
    Ok(Some(fetched))
}

/// The relations `needs` asks for of `rows`: milestones and stakeholders
/// together, then every person (owners and stakeholders) in one statement.
/// `loaded` holds milestones read already.
async fn related(
    db: &DatabaseConnection,
    rows: &[release::Model],
    needs: &Needs,
    loaded: Option<Milestones>,
) -> DomainResult<Related> {
    if rows.is_empty() {
        return Ok(Related::default());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let (milestones, stakeholders) = tokio::try_join!(
        async {
            match (loaded, &needs.milestones) {
                (Some(milestones), _) => Ok(milestones),
                (None, Some(fields)) => {
                    let columns: Vec<_> = fields.iter().map(|f| f.column()).collect();
                    let rows = milestones::cells_for_releases(db, &ids, &columns).await?;
                    Ok(Milestones::Cells {
                        fields: fields.clone(),
                        rows,
                    })
                }
                (None, None) => Ok(Milestones::default()),
            }
        },
        async {
            if needs.stakeholders {
                stakeholders::for_releases(db, &ids).await
            } else {
                Ok(HashMap::new())
            }
        }
    )?;
    let mut wanted: BTreeSet<i32> = BTreeSet::new();
    if needs.stakeholder_people {
        wanted.extend(stakeholders.values().flatten().map(|s| s.person_id));
    }
    if needs.owner {
        wanted.extend(rows.iter().map(|r| r.owner_id));
    }
    let people = if wanted.is_empty() {
        HashMap::new()
    } else {
        let wanted: Vec<i32> = wanted.into_iter().collect();
        people::by_ids(db, &wanted).await?
    };
    Ok(Related {
        milestones,
        stakeholders,
        people,
    })
}
