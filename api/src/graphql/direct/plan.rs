//! Reading a document into a [`Plan`], or declining it.
//!
//! The planner accepts only what it can answer exactly as the library would:
//! one query operation, the fields listed in [`fields`](super::fields), aliases,
//! fragments on the concrete type, and variables of the argument's own type. A
//! document that the library's validation could refuse, or that selects anything
//! else (an argument, a directive, a field the plan does not know), is declined
//! and runs through async-graphql, which answers it or says what is wrong.

use super::fields::{MilestoneScalar, PersonScalar, ReleaseScalar, StakeholderScalar};
use crate::graphql::error::parse_id;
use crate::graphql::limits::QueryLimits;
use crate::graphql::release::{page_complexity, page_request};
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
    Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{Name, Pos, Positioned, Value as ConstValue, Variables, ID};
use async_graphql_value::Value;
use entities::releases::list::PageRequest;
use std::collections::HashSet;

/// What one response key selects: its output key and what goes there.
pub type Selected<F> = Vec<(Name, F)>;

/// A query the direct path answers, root field by root field.
#[derive(Debug)]
pub struct Plan {
    pub roots: Selected<Root>,
}

/// A root field of the plan.
#[derive(Debug)]
pub enum Root {
    Typename,
    /// `releases(first, after, last, before)` without a filter or an order.
    Releases {
        page: PageRequest,
        fields: Selected<ConnectionField>,
    },
    /// `release(id)`.
    Release {
        id: i32,
        fields: Selected<ReleaseField>,
    },
}

/// A field of `ReleaseConnection`.
#[derive(Debug)]
pub enum ConnectionField {
    Typename,
    Nodes(Selected<ReleaseField>),
    Edges(Selected<EdgeField>),
    PageInfo(Selected<PageInfoField>),
}

/// A field of `ReleaseEdge`.
#[derive(Debug)]
pub enum EdgeField {
    Typename,
    Cursor,
    Node(Selected<ReleaseField>),
}

/// A field of `PageInfo`.
#[derive(Debug, Clone, Copy)]
pub enum PageInfoField {
    Typename,
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

/// A field of `Release`.
#[derive(Debug)]
pub enum ReleaseField {
    Typename,
    Scalar(ReleaseScalar),
    Owner(Selected<PersonField>),
    Milestones(Selected<MilestoneField>),
    Stakeholders(Selected<StakeholderField>),
}

/// A field of `Milestone`.
#[derive(Debug, Clone, Copy)]
pub enum MilestoneField {
    Typename,
    Scalar(MilestoneScalar),
}

/// A field of `Person`.
#[derive(Debug, Clone, Copy)]
pub enum PersonField {
    Typename,
    Scalar(PersonScalar),
}

/// A field of `Stakeholder`.
#[derive(Debug)]
pub enum StakeholderField {
    Typename,
    Scalar(StakeholderScalar),
    Person(Selected<PersonField>),
}

/// What the releases of a root field need besides their rows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    pub owner: bool,
    /// The milestone fields selected anywhere (`Some` when milestones are).
    pub milestones: Option<Vec<MilestoneScalar>>,
    pub stakeholders: bool,
    pub stakeholder_people: bool,
}

impl Needs {
    /// What `fields` of a release need.
    pub fn of(fields: &[(Name, ReleaseField)]) -> Self {
        let mut needs = Self::default();
        needs.add(fields);
        needs
    }

    /// Adds what `other` needs.
    pub fn merge(&mut self, other: Needs) {
        self.owner |= other.owner;
        self.stakeholders |= other.stakeholders;
        self.stakeholder_people |= other.stakeholder_people;
        if let Some(fields) = other.milestones {
            let mine = self.milestones.get_or_insert_with(Vec::new);
            for field in fields {
                if !mine.contains(&field) {
                    mine.push(field);
                }
            }
        }
    }

    /// Adds what the releases under a connection field need.
    pub fn add_connection(&mut self, field: &ConnectionField) {
        match field {
            ConnectionField::Nodes(fields) => self.add(fields),
            ConnectionField::Edges(edges) => {
                for (_, edge) in edges {
                    if let EdgeField::Node(fields) = edge {
                        self.add(fields);
                    }
                }
            }
            ConnectionField::Typename | ConnectionField::PageInfo(_) => {}
        }
    }

    /// Adds what `fields` need.
    pub fn add(&mut self, fields: &[(Name, ReleaseField)]) {
        for (_, field) in fields {
            match field {
                ReleaseField::Owner(_) => self.owner = true,
                ReleaseField::Milestones(selected) => {
                    let scalars = self.milestones.get_or_insert_with(Vec::new);
                    for (_, field) in selected {
                        if let MilestoneField::Scalar(scalar) = field {
                            if !scalars.contains(scalar) {
                                scalars.push(*scalar);
                            }
                        }
                    }
                }
                ReleaseField::Stakeholders(selected) => {
                    self.stakeholders = true;
                    self.stakeholder_people |= selected
                        .iter()
                        .any(|(_, f)| matches!(f, StakeholderField::Person(_)));
                }
                ReleaseField::Typename | ReleaseField::Scalar(_) => {}
            }
        }
    }
}

/// The type names `__typename` answers.
pub mod type_names {
    pub const QUERY: &str = "QueryRoot";
    pub const MUTATION: &str = "MutationRoot";
    pub const CONNECTION: &str = "ReleaseConnection";
    pub const EDGE: &str = "ReleaseEdge";
    pub const PAGE_INFO: &str = "PageInfo";
    pub const RELEASE: &str = "Release";
    pub const MILESTONE: &str = "Milestone";
    pub const PERSON: &str = "Person";
    pub const STAKEHOLDER: &str = "Stakeholder";
}

/// Fragments may nest this deep inside one selection set (the limits refuse cycles first).
const MAX_FRAGMENT_NESTING: usize = 16;

/// The plan of `document`'s operation, or `None` when the library must answer it.
pub fn plan(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &QueryLimits,
) -> Option<Plan> {
    let measured = measure(document, operation_name, variables)?;
    // over a limit, the library's validation answers
    (measured.complexity <= limits.max_complexity && measured.depth <= limits.max_depth)
        .then_some(measured.plan)
}

/// A plan with the complexity and depth the library's limits would count.
struct Measured {
    plan: Plan,
    complexity: usize,
    depth: usize,
}

fn measure(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Option<Measured> {
    let operation = only_operation(document, operation_name)?;
    let mut planner = Planner::new(document, &operation.node, variables, OperationType::Query)?;
    let (roots, complexity) = planner.roots(&operation.node.selection_set.node)?;
    all_used(document, &planner).then_some(Measured {
        plan: Plan { roots },
        complexity,
        depth: planner.depth,
    })
}

/// The document's one operation, if `operation_name` (if any) names it:
/// validation looks at every operation of a document, so only documents of one
/// are planned.
pub(super) fn only_operation<'d>(
    document: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d Positioned<OperationDefinition>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => Some(operation),
        (DocumentOperations::Multiple(operations), name) if operations.len() == 1 => {
            let (only_name, operation) = operations.iter().next()?;
            if name.is_some_and(|name| name != only_name.as_str()) {
                return None;
            }
            Some(operation)
        }
        _ => None,
    }
}

/// True when every variable the operation declares and every fragment of the
/// document was used (validation refuses unused ones).
pub(super) fn all_used(document: &ExecutableDocument, planner: &Planner<'_>) -> bool {
    let every_variable_used = planner.definitions.iter().all(|definition| {
        planner
            .used_variables
            .contains(definition.node.name.node.as_str())
    });
    every_variable_used
        && document
            .fragments
            .keys()
            .all(|name| planner.used_fragments.contains(name.as_str()))
}

/// The type an argument position takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    /// `ID!`
    RequiredId,
    /// `Int`
    Int,
    /// `String`
    String,
}

/// An argument's value, coerced for its position.
enum Argument {
    Id(String),
    Int(Option<i32>),
    String(Option<String>),
}

pub(super) struct Planner<'d> {
    document: &'d ExecutableDocument,
    variables: &'d Variables,
    pub(super) definitions: &'d [Positioned<VariableDefinition>],
    pub(super) used_variables: HashSet<&'d str>,
    pub(super) used_fragments: HashSet<&'d str>,
    /// The deepest field seen, counted as the library's depth limit counts.
    pub(super) depth: usize,
}

/// The fields of a selection set, by response key, and how many duplicate
/// leaves were merged into them (the library's complexity counts each).
/// `__typename` counts for neither the complexity nor the depth: the
/// library's validation does not visit it.
pub(super) struct Collected<'d> {
    pub(super) fields: Vec<(&'d Name, &'d Field)>,
    /// Where each field starts in the document (errors point there).
    pub(super) positions: Vec<Pos>,
    merged: usize,
}

impl<'d> Planner<'d> {
    /// A planner for `operation`, if it is of type `ty`, without directives, and
    /// declares its variables plainly (no defaults, no directives, no repeats).
    pub(super) fn new(
        document: &'d ExecutableDocument,
        operation: &'d OperationDefinition,
        variables: &'d Variables,
        ty: OperationType,
    ) -> Option<Self> {
        if operation.ty != ty || !operation.directives.is_empty() {
            return None;
        }
        let definitions = operation.variable_definitions.as_slice();
        let mut names = HashSet::new();
        for definition in definitions {
            let definition = &definition.node;
            let plain = definition.directives.is_empty() && definition.default_value.is_none();
            if !plain || !names.insert(definition.name.node.as_str()) {
                return None;
            }
        }
        Some(Self {
            document,
            variables,
            definitions,
            used_variables: HashSet::new(),
            used_fragments: HashSet::new(),
            depth: 0,
        })
    }

    /// The root fields and the operation's complexity.
    fn roots(&mut self, set: &'d SelectionSet) -> Option<(Selected<Root>, usize)> {
        let collected = self.collect(set, type_names::QUERY)?;
        let mut complexity = collected.merged;
        let mut roots = Vec::with_capacity(collected.fields.len());
        for (key, field) in collected.fields {
            let root = match field.name.node.as_str() {
                "__typename" => {
                    leaf(field)?;
                    Root::Typename
                }
                "releases" => {
                    self.reach(1);
                    let (page, cost, fields) = self.releases(field)?;
                    complexity += cost;
                    Root::Releases { page, fields }
                }
                "release" => {
                    self.reach(1);
                    let [(name, value)] = field.arguments.as_slice() else {
                        return None;
                    };
                    if name.node != "id" {
                        return None;
                    }
                    let Argument::Id(id) = self.argument(&value.node, Position::RequiredId)? else {
                        return None;
                    };
                    let id = parse_id(&ID(id), "id").ok()?;
                    let (fields, cost) = self.release(&field.selection_set.node, 2)?;
                    complexity += 1 + cost;
                    Root::Release { id, fields }
                }
                _ => return None,
            };
            roots.push((key.clone(), root));
        }
        Some((roots, complexity))
    }

    /// `releases` with its page arguments, its complexity and its selection.
    fn releases(
        &mut self,
        field: &'d Field,
    ) -> Option<(PageRequest, usize, Selected<ConnectionField>)> {
        let (mut first, mut after, mut last, mut before) = (None, None, None, None);
        let mut seen = HashSet::new();
        for (name, value) in &field.arguments {
            let name = name.node.as_str();
            if !seen.insert(name) {
                return None;
            }
            match (name, self.argument_for(name, &value.node)?) {
                ("first", Argument::Int(n)) => first = n,
                ("last", Argument::Int(n)) => last = n,
                ("after", Argument::String(s)) => after = s,
                ("before", Argument::String(s)) => before = s,
                _ => return None,
            }
        }
        let page = page_request(first, after.as_deref(), last, before.as_deref()).ok()?;
        let (fields, child) = self.connection(&field.selection_set.node)?;
        Some((page, page_complexity(first, last, child), fields))
    }

    fn argument_for(&mut self, name: &str, value: &'d Value) -> Option<Argument> {
        let position = match name {
            "first" | "last" => Position::Int,
            "after" | "before" => Position::String,
            _ => return None,
        };
        self.argument(value, position)
    }

    fn connection(&mut self, set: &'d SelectionSet) -> Option<(Selected<ConnectionField>, usize)> {
        let collected = self.collect(set, type_names::CONNECTION)?;
        let mut complexity = collected.merged;
        let mut fields = Vec::with_capacity(collected.fields.len());
        for (key, field) in collected.fields {
            no_arguments(field)?;
            let name = field.name.node.as_str();
            if name != "__typename" {
                self.reach(2);
            }
            let planned = match name {
                "__typename" => {
                    leaf(field)?;
                    ConnectionField::Typename
                }
                "nodes" => {
                    let (selected, cost) = self.release(&field.selection_set.node, 3)?;
                    complexity += 1 + cost;
                    ConnectionField::Nodes(selected)
                }
                "edges" => {
                    let (selected, cost) = self.edge(&field.selection_set.node)?;
                    complexity += 1 + cost;
                    ConnectionField::Edges(selected)
                }
                "pageInfo" => {
                    let (selected, cost) = self.page_info(&field.selection_set.node)?;
                    complexity += 1 + cost;
                    ConnectionField::PageInfo(selected)
                }
                _ => return None,
            };
            fields.push((key.clone(), planned));
        }
        Some((fields, complexity))
    }

    fn edge(&mut self, set: &'d SelectionSet) -> Option<(Selected<EdgeField>, usize)> {
        let collected = self.collect(set, type_names::EDGE)?;
        let mut complexity = collected.merged;
        let mut fields = Vec::with_capacity(collected.fields.len());
        for (key, field) in collected.fields {
            no_arguments(field)?;
            let name = field.name.node.as_str();
            if name != "__typename" {
                self.reach(3);
            }
            let planned = match name {
                "__typename" => {
                    leaf(field)?;
                    EdgeField::Typename
                }
                "cursor" => {
                    leaf(field)?;
                    complexity += 1;
                    EdgeField::Cursor
                }
                "node" => {
                    let (selected, cost) = self.release(&field.selection_set.node, 4)?;
                    complexity += 1 + cost;
                    EdgeField::Node(selected)
                }
                _ => return None,
            };
            fields.push((key.clone(), planned));
        }
        Some((fields, complexity))
    }

    fn page_info(&mut self, set: &'d SelectionSet) -> Option<(Selected<PageInfoField>, usize)> {
        self.leaves(set, type_names::PAGE_INFO, 3, |name| match name {
            "__typename" => Some(PageInfoField::Typename),
            "hasPreviousPage" => Some(PageInfoField::HasPreviousPage),
            "hasNextPage" => Some(PageInfoField::HasNextPage),
            "startCursor" => Some(PageInfoField::StartCursor),
            "endCursor" => Some(PageInfoField::EndCursor),
            _ => None,
        })
    }

    /// The fields of a release whose own fields sit at `depth`.
    fn release(
        &mut self,
        set: &'d SelectionSet,
        depth: usize,
    ) -> Option<(Selected<ReleaseField>, usize)> {
        let collected = self.collect(set, type_names::RELEASE)?;
        let mut complexity = collected.merged;
        let mut fields = Vec::with_capacity(collected.fields.len());
        for (key, field) in collected.fields {
            no_arguments(field)?;
            let child = &field.selection_set.node;
            let planned = match field.name.node.as_str() {
                "__typename" => ReleaseField::Typename,
                "owner" => {
                    let (selected, cost) = self.person(child, depth + 1)?;
                    complexity += cost;
                    ReleaseField::Owner(selected)
                }
                "milestones" => {
                    let (selected, cost) = self.milestone(child, depth + 1)?;
                    complexity += cost;
                    ReleaseField::Milestones(selected)
                }
                "stakeholders" => {
                    let (selected, cost) = self.stakeholder(child, depth + 1)?;
                    complexity += cost;
                    ReleaseField::Stakeholders(selected)
                }
                name => ReleaseField::Scalar(ReleaseScalar::named(name)?),
            };
            if matches!(planned, ReleaseField::Typename | ReleaseField::Scalar(_)) {
                leaf(field)?;
            }
            if !matches!(planned, ReleaseField::Typename) {
                self.reach(depth);
                complexity += 1;
            }
            fields.push((key.clone(), planned));
        }
        Some((fields, complexity))
    }

    /// The fields of a milestone whose own fields sit at `depth`.
    pub(super) fn milestone(
        &mut self,
        set: &'d SelectionSet,
        depth: usize,
    ) -> Option<(Selected<MilestoneField>, usize)> {
        self.leaves(set, type_names::MILESTONE, depth, |name| match name {
            "__typename" => Some(MilestoneField::Typename),
            _ => MilestoneScalar::named(name).map(MilestoneField::Scalar),
        })
    }

    fn person(
        &mut self,
        set: &'d SelectionSet,
        depth: usize,
    ) -> Option<(Selected<PersonField>, usize)> {
        self.leaves(set, type_names::PERSON, depth, |name| match name {
            "__typename" => Some(PersonField::Typename),
            _ => PersonScalar::named(name).map(PersonField::Scalar),
        })
    }

    fn stakeholder(
        &mut self,
        set: &'d SelectionSet,
        depth: usize,
    ) -> Option<(Selected<StakeholderField>, usize)> {
        let collected = self.collect(set, type_names::STAKEHOLDER)?;
        let mut complexity = collected.merged;
        let mut fields = Vec::with_capacity(collected.fields.len());
        for (key, field) in collected.fields {
            no_arguments(field)?;
            let planned = match field.name.node.as_str() {
                "__typename" => {
                    leaf(field)?;
                    StakeholderField::Typename
                }
                "person" => {
                    let (selected, cost) = self.person(&field.selection_set.node, depth + 1)?;
                    complexity += cost;
                    StakeholderField::Person(selected)
                }
                name => {
                    leaf(field)?;
                    StakeholderField::Scalar(StakeholderScalar::named(name)?)
                }
            };
            if !matches!(planned, StakeholderField::Typename) {
                self.reach(depth);
                complexity += 1;
            }
            fields.push((key.clone(), planned));
        }
        Some((fields, complexity))
    }

    /// A selection set of leaf fields only, each named by `field`.
    pub(super) fn leaves<F>(
        &mut self,
        set: &'d SelectionSet,
        type_name: &str,
        depth: usize,
        field: impl Fn(&str) -> Option<F>,
    ) -> Option<(Selected<F>, usize)> {
        let collected = self.collect(set, type_name)?;
        let mut complexity = collected.merged;
        let mut fields = Vec::with_capacity(collected.fields.len());
        for (key, selected) in &collected.fields {
            no_arguments(selected)?;
            leaf(selected)?;
            let name = selected.name.node.as_str();
            if name != "__typename" {
                self.reach(depth);
                complexity += 1;
            }
            fields.push(((*key).clone(), field(name)?));
        }
        Some((fields, complexity))
    }

    pub(super) fn reach(&mut self, depth: usize) {
        self.depth = self.depth.max(depth);
    }

    /// The fields of `set` on `type_name` by response key, fragments inlined.
    pub(super) fn collect(
        &mut self,
        set: &'d SelectionSet,
        type_name: &str,
    ) -> Option<Collected<'d>> {
        let mut collected = Collected {
            fields: Vec::new(),
            positions: Vec::new(),
            merged: 0,
        };
        self.collect_into(set, type_name, &mut collected, 0)?;
        // an object or a list with nothing selected is a validation error
        (!collected.fields.is_empty()).then_some(collected)
    }

    fn collect_into(
        &mut self,
        set: &'d SelectionSet,
        type_name: &str,
        into: &mut Collected<'d>,
        nesting: usize,
    ) -> Option<()> {
        if nesting > MAX_FRAGMENT_NESTING {
            return None;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(positioned) => {
                    let field = &positioned.node;
                    if !field.directives.is_empty() {
                        return None;
                    }
                    let key = &field.response_key().node;
                    match into.fields.iter().find(|(k, _)| *k == key) {
                        // the same leaf twice merges; anything else is the library's to judge
                        Some((_, earlier)) if same_plain_leaf(earlier, field) => {
                            // the library's limits count every selection but `__typename`
                            if field.name.node != "__typename" {
                                into.merged += 1;
                            }
                        }
                        Some(_) => return None,
                        None => {
                            into.fields.push((key, field));
                            into.positions.push(positioned.pos);
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    if !spread.directives.is_empty() {
                        return None;
                    }
                    let name = spread.fragment_name.node.as_str();
                    let fragment = &self.document.fragments.get(name)?.node;
                    if !fragment.directives.is_empty()
                        || fragment.type_condition.node.on.node != type_name
                    {
                        return None;
                    }
                    self.used_fragments.insert(name);
                    self.collect_into(&fragment.selection_set.node, type_name, into, nesting + 1)?;
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let applies = inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| c.node.on.node == type_name);
                    if !inline.directives.is_empty() || !applies {
                        return None;
                    }
                    self.collect_into(&inline.selection_set.node, type_name, into, nesting + 1)?;
                }
            }
        }
        Some(())
    }

    /// The value of an argument at `position`, literal or variable, coerced as
    /// the library coerces it; `None` where the library would refuse it.
    fn argument(&mut self, value: &'d Value, position: Position) -> Option<Argument> {
        let Value::Variable(name) = value else {
            return literal(&value.clone().into_const()?, position);
        };
        let definition = self
            .definitions
            .iter()
            .find(|d| d.node.name.node == *name)?;
        let ty = &definition.node.var_type.node;
        let BaseType::Named(type_name) = &ty.base else {
            return None;
        };
        let declared = match (type_name.as_str(), ty.nullable) {
            ("ID", false) => Position::RequiredId,
            ("Int", _) => Position::Int,
            ("String", _) => Position::String,
            _ => return None,
        };
        if declared != position {
            return None;
        }
        self.used_variables
            .insert(definition.node.name.node.as_str());
        match self.variables.get(name) {
            Some(value) => {
                if !ty.nullable && *value == ConstValue::Null {
                    return None;
                }
                literal(value, position)
            }
            None if ty.nullable => literal(&ConstValue::Null, position),
            None => None,
        }
    }
}

/// A literal or a variable's value at `position`.
fn literal(value: &ConstValue, position: Position) -> Option<Argument> {
    match (position, value) {
        (Position::RequiredId, ConstValue::String(id)) => Some(Argument::Id(id.clone())),
        (Position::RequiredId, ConstValue::Number(n)) if n.is_i64() => {
            Some(Argument::Id(n.to_string()))
        }
        (Position::Int, ConstValue::Null) => Some(Argument::Int(None)),
        (Position::Int, ConstValue::Number(n)) => {
            Some(Argument::Int(Some(i32::try_from(n.as_i64()?).ok()?)))
        }
        (Position::String, ConstValue::Null) => Some(Argument::String(None)),
        (Position::String, ConstValue::String(s)) => Some(Argument::String(Some(s.clone()))),
        _ => None,
    }
}

fn no_arguments(field: &Field) -> Option<()> {
    field.arguments.is_empty().then_some(())
}

fn leaf(field: &Field) -> Option<()> {
    field.selection_set.node.items.is_empty().then_some(())
}

/// True for two selections of one leaf field without arguments or directives.
fn same_plain_leaf(a: &Field, b: &Field) -> bool {
    a.name.node == b.name.node
        && a.arguments.is_empty()
        && b.arguments.is_empty()
        && a.selection_set.node.items.is_empty()
        && b.selection_set.node.items.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::{MutationRoot, QueryRoot};
    use async_graphql::{EmptySubscription, Schema};

    fn measured(query: &str, variables: serde_json::Value) -> Option<Measured> {
        let document = async_graphql::parser::parse_query(query).expect("a document");
        measure(&document, None, &Variables::from_json(variables))
    }

    /// Whether the library's validation refuses `query` with these limits.
    async fn library_refuses(
        query: &str,
        variables: serde_json::Value,
        complexity: usize,
        depth: usize,
    ) -> bool {
        let schema = Schema::build(
            QueryRoot::default(),
            MutationRoot::default(),
            EmptySubscription,
        )
        .limit_complexity(complexity)
        .limit_depth(depth)
        .finish();
        let request = async_graphql::Request::new(query).variables(Variables::from_json(variables));
        schema.execute(request).await.errors.iter().any(|error| {
            error.message == "Query is too complex." || error.message == "Query is nested too deep."
        })
    }

    const COUNTED: &[&str] = &[
        "{ releases { nodes { id } } }",
        "{ __typename releases(first: 7) { __typename pageInfo { hasNextPage endCursor } edges { cursor node { id title owner { name } } } } }",
        "query($n: Int) { releases(last: $n) { nodes { id milestones { id title status } stakeholders { role person { id email } } } } }",
        "{ a: release(id: 3) { id milestones { id } } b: releases(first: 2) { nodes { ...F id id } } } fragment F on Release { id title }",
        "{ release(id: \"1\") { ... on Release { id ... { title } } owner { __typename } } }",
        "{ releases { __typename __typename nodes { __typename id id milestones { __typename id } } } }",
    ];

    #[tokio::test]
    async fn complexity_and_depth_are_counted_as_the_library_counts_them() {
        for query in COUNTED {
            let variables = serde_json::json!({ "n": 9 });
            let measured =
                measured(query, variables.clone()).unwrap_or_else(|| panic!("planned: {query}"));
            let (complexity, depth) = (measured.complexity, measured.depth);
            assert!(
                !library_refuses(query, variables.clone(), complexity, depth).await,
                "{query} within {complexity}/{depth}"
            );
            assert!(
                library_refuses(query, variables.clone(), complexity - 1, depth).await,
                "{query} over {}",
                complexity - 1
            );
            assert!(
                library_refuses(query, variables, complexity, depth - 1).await,
                "{query} deeper than {}",
                depth - 1
            );
        }
    }

    #[test]
    fn what_is_planned_and_what_is_not() {
        let planned = [
            "{ releases { nodes { id } } }",
            "query Q($id: ID!) { release(id: $id) { id } }",
            "{ r: releases(first: 2, after: null) { edges { node { id } } } }",
        ];
        for query in planned {
            assert!(
                measured(query, serde_json::json!({ "id": "4" })).is_some(),
                "{query}"
            );
        }
        let declined = [
            "mutation { addMilestone(input: { releaseId: 1, title: \"x\" }) { id } }",
            "{ releases { totalCount } }",
            "{ releases(orderBy: { field: ID }) { nodes { id } } }",
            "{ releases { nodes { id @skip(if: true) } } }",
            "{ releases { nodes { owner { roles } } } }",
            "{ release(id: 0) { id } }",
            "{ release(id: 1.5) { id } }",
            "{ releases(first: 101) { nodes { id } } }",
            "query A { __typename } query B { __typename }",
            "query($id: ID!) { release(id: $id) { id } }",
            "{ __schema { types { name } } }",
            "{ releases { nodes { ... on Change { id } } } }",
            "{ releases { nodes { a: id a: title } } }",
        ];
        for query in declined {
            assert!(measured(query, serde_json::json!({})).is_none(), "{query}");
        }
    }
}
