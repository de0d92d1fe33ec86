//! Writing a planned answer as JSON, keys in selection order, straight from the
//! rows: no `Value` tree in between.

use super::fetch::{Fetched, Related};
use super::fields::{MilestoneScalar, Scalar};
use super::plan::{
    type_names, ConnectionField, EdgeField, MilestoneField, PageInfoField, PersonField, Plan,
    ReleaseField, Root, StakeholderField,
};
use crate::graphql::pagination;
use async_graphql::Name;
use entities::entity::{milestone, person, release, stakeholder};
use entities::releases::list::SortKey;
use entities::rows::Cell;
use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, Serializer};

/// The response body `{"data": …}` for `plan` with what was fetched for each
/// root and what their releases relate to.
pub fn response(
    plan: &Plan,
    fetched: &[Fetched],
    related: &Related,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::with_capacity(4096);
    let response = Response {
        plan,
        fetched,
        related,
    };
    response.serialize(&mut serde_json::Serializer::new(&mut body))?;
    Ok(body)
}

/// The response body `{"data": {key: …}}` of a mutation that returns the
/// milestone `row`, with its `fields`.
pub fn milestone_response(
    key: &Name,
    fields: &[(Name, MilestoneField)],
    row: &milestone::Model,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::with_capacity(256);
    let data = MutationData(key.as_str(), Milestone(MilestoneRow::Model(row), fields));
    let mut serializer = serde_json::Serializer::new(&mut body);
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry("data", &data)?;
    SerializeMap::end(map)?;
    Ok(body)
}

/// The `data` of a mutation: its one root field.
struct MutationData<'a>(&'a str, Milestone<'a>);

impl Serialize for MutationData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

struct Response<'a> {
    plan: &'a Plan,
    fetched: &'a [Fetched],
    related: &'a Related,
}

impl Serialize for Response<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("data", &Data(self))?;
        map.end()
    }
}

struct Data<'a>(&'a Response<'a>);

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let roots = &self.0.plan.roots;
        let related = self.0.related;
        let mut map = serializer.serialize_map(Some(roots.len()))?;
        for ((key, root), fetched) in roots.iter().zip(self.0.fetched) {
            let key = key.as_str();
            match (root, fetched) {
                (Root::Typename, _) => map.serialize_entry(key, type_names::QUERY)?,
                (Root::Releases { fields, .. }, Fetched::Page(page)) => {
                    let connection = Connection {
                        rows: &page.releases,
                        has_previous: page.has_previous,
                        has_next: page.has_next,
                        cursors: page.releases.iter().map(cursor).collect(),
                        fields,
                        related,
                    };
                    map.serialize_entry(key, &connection)?;
                }
                (Root::Release { fields, .. }, Fetched::One(release)) => {
                    map.serialize_entry(key, &Release(release, fields, related))?;
                }
                _ => return Err(S::Error::custom("the fetched data does not fit the plan")),
            }
        }
        map.end()
    }
}

fn cursor(release: &release::Model) -> String {
    pagination::encode(&SortKey::of(release))
}

struct Connection<'a> {
    rows: &'a [release::Model],
    has_previous: bool,
    has_next: bool,
    cursors: Vec<String>,
    fields: &'a [(Name, ConnectionField)],
    related: &'a Related,
}

impl Serialize for Connection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, field) in self.fields {
            let key = key.as_str();
            match field {
                ConnectionField::Typename => map.serialize_entry(key, type_names::CONNECTION)?,
                ConnectionField::Nodes(fields) => {
                    let nodes = List(self.rows, |row| Release(row, fields, self.related));
                    map.serialize_entry(key, &nodes)?;
                }
                ConnectionField::Edges(fields) => {
                    let indexed: Vec<usize> = (0..self.rows.len()).collect();
                    let edges = List(&indexed, |at: &usize| Edge {
                        row: &self.rows[*at],
                        cursor: &self.cursors[*at],
                        fields,
                        related: self.related,
                    });
                    map.serialize_entry(key, &edges)?;
                }
                ConnectionField::PageInfo(fields) => {
                    map.serialize_entry(key, &PageInfo(self, fields))?;
                }
            }
        }
        map.end()
    }
}

struct Edge<'a> {
    row: &'a release::Model,
    cursor: &'a str,
    fields: &'a [(Name, EdgeField)],
    related: &'a Related,
}

impl Serialize for Edge<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, field) in self.fields {
            let key = key.as_str();
            match field {
                EdgeField::Typename => map.serialize_entry(key, type_names::EDGE)?,
                EdgeField::Cursor => map.serialize_entry(key, self.cursor)?,
                EdgeField::Node(fields) => {
                    map.serialize_entry(key, &Release(self.row, fields, self.related))?
                }
            }
        }
        map.end()
    }
}

struct PageInfo<'a>(&'a Connection<'a>, &'a [(Name, PageInfoField)]);

impl Serialize for PageInfo<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let PageInfo(connection, fields) = self;
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, field) in fields.iter() {
            let key = key.as_str();
            match field {
                PageInfoField::Typename => map.serialize_entry(key, type_names::PAGE_INFO)?,
                PageInfoField::HasPreviousPage => {
                    map.serialize_entry(key, &connection.has_previous)?
                }
                PageInfoField::HasNextPage => map.serialize_entry(key, &connection.has_next)?,
                PageInfoField::StartCursor => {
                    map.serialize_entry(key, &connection.cursors.first())?
                }
                PageInfoField::EndCursor => map.serialize_entry(key, &connection.cursors.last())?,
            }
        }
        map.end()
    }
}

struct Release<'a>(&'a release::Model, &'a [(Name, ReleaseField)], &'a Related);

impl Serialize for Release<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Release(row, fields, related) = *self;
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, field) in fields {
            let key = key.as_str();
            match field {
                ReleaseField::Typename => map.serialize_entry(key, type_names::RELEASE)?,
                ReleaseField::Scalar(scalar) => map.serialize_entry(key, &scalar.of(row))?,
                ReleaseField::Owner(fields) => {
                    let owner = related
                        .people
                        .get(&row.owner_id)
                        .ok_or_else(|| S::Error::custom("owner is missing"))?;
                    map.serialize_entry(key, &Person(owner, fields))?;
                }
                ReleaseField::Milestones(fields) => {
                    // whole rows where `release(id)` joined them, else the page's cells
                    if let Some(rows) = related.joined.get(&row.id) {
                        let list = List(rows, |m| Milestone(MilestoneRow::Model(m), fields));
                        map.serialize_entry(key, &list)?;
                    } else {
                        let read = &related.milestone_fields;
                        let rows = related
                            .milestone_cells
                            .get(&row.id)
                            .map_or(&[][..], Vec::as_slice);
                        let list = List(rows, |cells| {
                            Milestone(MilestoneRow::Cells(cells, read), fields)
                        });
                        map.serialize_entry(key, &list)?;
                    }
                }
                ReleaseField::Stakeholders(fields) => {
                    let rows = related
                        .stakeholders
                        .get(&row.id)
                        .map_or(&[][..], Vec::as_slice);
                    let list = List(rows, |s| Stakeholder(s, fields, related));
                    map.serialize_entry(key, &list)?;
                }
            }
        }
        map.end()
    }
}

/// A milestone as read: a whole row, or the cells of some of its fields.
#[derive(Clone, Copy)]
enum MilestoneRow<'a> {
    Model(&'a milestone::Model),
    Cells(&'a Vec<Cell>, &'a [MilestoneScalar]),
}

impl<'a> MilestoneRow<'a> {
    fn scalar(self, scalar: MilestoneScalar) -> Option<Scalar<'a>> {
        match self {
            MilestoneRow::Model(row) => Some(scalar.of(row)),
            MilestoneRow::Cells(cells, read) => {
                let at = read.iter().position(|field| *field == scalar)?;
                scalar.of_cell(cells.get(at)?)
            }
        }
    }
}

struct Milestone<'a>(MilestoneRow<'a>, &'a [(Name, MilestoneField)]);

impl Serialize for Milestone<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Milestone(row, fields) = *self;
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, field) in fields {
            match field {
                MilestoneField::Typename => {
                    map.serialize_entry(key.as_str(), type_names::MILESTONE)?
                }
                MilestoneField::Scalar(scalar) => {
                    let value = row
                        .scalar(*scalar)
                        .ok_or_else(|| S::Error::custom("a milestone value out of its type"))?;
                    map.serialize_entry(key.as_str(), &value)?
                }
            }
        }
        map.end()
    }
}

struct Person<'a>(&'a person::Model, &'a [(Name, PersonField)]);

impl Serialize for Person<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Person(row, fields) = *self;
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, field) in fields {
            match field {
                PersonField::Typename => map.serialize_entry(key.as_str(), type_names::PERSON)?,
                PersonField::Scalar(scalar) => {
                    map.serialize_entry(key.as_str(), &scalar.of(row))?
                }
            }
        }
        map.end()
    }
}

struct Stakeholder<'a>(
    &'a stakeholder::Model,
    &'a [(Name, StakeholderField)],
    &'a Related,
);

impl Serialize for Stakeholder<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Stakeholder(row, fields, related) = *self;
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, field) in fields {
            let key = key.as_str();
            match field {
                StakeholderField::Typename => map.serialize_entry(key, type_names::STAKEHOLDER)?,
                StakeholderField::Scalar(scalar) => map.serialize_entry(key, &scalar.of(row))?,
                StakeholderField::Person(fields) => {
                    let person = related
                        .people
                        .get(&row.person_id)
                        .ok_or_else(|| S::Error::custom("person is missing"))?;
                    map.serialize_entry(key, &Person(person, fields))?;
                }
            }
        }
        map.end()
    }
}

/// A JSON array of `items`, each written as `view` makes it.
struct List<'a, T, F>(&'a [T], F);

impl<'a, T, V, F> Serialize for List<'a, T, F>
where
    F: Fn(&'a T) -> V,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item))?;
        }
        seq.end()
    }
}

impl Serialize for Scalar<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Null => serializer.serialize_unit(),
            Scalar::Id(id) => serializer.collect_str(id),
            Scalar::Int(n) => serializer.serialize_i32(*n),
            Scalar::Bool(b) => serializer.serialize_bool(*b),
            Scalar::Text(text) => serializer.serialize_str(text),
            Scalar::Instant(at) => serializer.serialize_str(&at.to_rfc3339()),
            Scalar::Enum(name) => serializer.serialize_str(name),
        }
    }
}
