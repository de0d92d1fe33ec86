//! Completing a response as the GraphQL spec does, whatever the library did:
//! every object's keys in selection order, `null` in place of a field that
//! failed, and a `null` in a non-null position carried up to the nearest
//! nullable parent ("Handling Field Errors"). async-graphql 7 leaves a failed
//! field out and orders keys by completion; client caches (Apollo's) take the
//! missing key for missing data and refetch. This walks the operation over the
//! answered data with the field types of the schema's SDL, so it does not depend
//! on the library's internals.

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
    ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value, Variables};
/// Maps looked up for every field of every answer: a fast hasher (the keys are
/// the schema's own names, not attacker-chosen).
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The output fields of every object type, and the root types.
pub struct TypeIndex {
    objects: FastMap<String, FastMap<String, Type>>,
    query: String,
    mutation: String,
}

impl TypeIndex {
    /// Reads the object types of an SDL document.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut index = Self {
            objects: FastMap::default(),
            query: "Query".into(),
            mutation: "Mutation".into(),
        };
        let definitions = match async_graphql::parser::parse_schema(sdl) {
            Ok(ServiceDocument { definitions }) => definitions,
            Err(err) => {
                // the `responses` tests fail loudly if this ever happens
                tracing::error!(error = %err, "cannot read the served SDL; responses are not completed");
                return index;
            }
        };
        for definition in definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = &schema.node.query {
                        index.query = query.node.to_string();
                    }
                    if let Some(mutation) = &schema.node.mutation {
                        index.mutation = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    if let TypeKind::Object(object) = &ty.node.kind {
                        let fields = object
                            .fields
                            .iter()
                            .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                            .collect();
                        index.objects.insert(ty.node.name.node.to_string(), fields);
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        index
    }
}

/// Completes `data`, the answer to the chosen operation of `document`; answers
/// `Value::Null` when a non-null root field failed. `executed` says whether
/// fields ran: the library answers `null` when every one of them failed, and
/// also when the document was refused before any ran (then it stays `null`).
pub fn complete(
    data: Value,
    executed: bool,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    types: &TypeIndex,
) -> Value {
    let map = match data {
        Value::Object(map) => map,
        Value::Null if executed => IndexMap::new(),
        other => return other,
    };
    let Some(operation) = super::limits::chosen_operation(document, operation_name) else {
        return Value::Object(map);
    };
    let root = match operation.ty {
        OperationType::Query => &types.query,
        OperationType::Mutation => &types.mutation,
        OperationType::Subscription => return Value::Object(map),
    };
    let walk = Walk {
        document,
        variables,
        operation,
        types,
    };
    walk.object(map, &[&operation.selection_set.node], root)
        .unwrap_or(Value::Null)
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    operation: &'a OperationDefinition,
    types: &'a TypeIndex,
}

/// The fields one response key stands for (several when merged).
type Grouped<'a> = Vec<(&'a Name, Vec<&'a async_graphql::parser::types::Field>)>;

impl<'a> Walk<'a> {
    /// The object of type `type_name` selected by `sets`; `None` when it must be
    /// null because a non-null field of it is.
    fn object(
        &self,
        mut map: IndexMap<Name, Value>,
        sets: &[&'a SelectionSet],
        type_name: &str,
    ) -> Option<Value> {
        let Some(fields) = self.types.objects.get(type_name) else {
            return Some(Value::Object(map)); // not ours to judge
        };
        let mut grouped: Grouped<'a> = Vec::new();
        for set in sets {
            self.collect(set, type_name, &mut grouped);
        }
        // the usual case: the answer holds exactly the selected keys, in order;
        // complete the values in place instead of building a new map
        if map.len() == grouped.len() && map.keys().zip(&grouped).all(|(k, (g, _))| k == *g) {
            for (index, (_, selected)) in grouped.iter().enumerate() {
                let Some(ty) = fields.get(selected[0].name.node.as_str()) else {
                    continue; // introspection is answered as is
                };
                let subsets: Vec<&SelectionSet> =
                    selected.iter().map(|f| &f.selection_set.node).collect();
                if let Some((_, slot)) = map.get_index_mut(index) {
                    *slot = self.value(std::mem::take(slot), ty, &subsets)?;
                }
            }
            return Some(Value::Object(map));
        }
        let mut completed = IndexMap::with_capacity(grouped.len());
        for (key, selected) in grouped {
            let name = selected[0].name.node.as_str();
            let answered = map.shift_remove(key);
            let value = match fields.get(name) {
                // introspection (`__typename`, `__schema`…) is answered as is
                None => answered.unwrap_or(Value::Null),
                Some(ty) => {
                    let subsets: Vec<&SelectionSet> =
                        selected.iter().map(|f| &f.selection_set.node).collect();
                    self.value(answered.unwrap_or(Value::Null), ty, &subsets)?
                }
            };
            completed.insert(key.clone(), value);
        }
        Some(Value::Object(completed))
    }

    /// A value of type `ty`; `None` when it is null in a non-null position.
    fn value(&self, value: Value, ty: &Type, sets: &[&'a SelectionSet]) -> Option<Value> {
        let completed = match (value, &ty.base) {
            (Value::Null, _) => Value::Null,
            (Value::List(items), BaseType::List(item_type)) => {
                let mut list = Vec::with_capacity(items.len());
                let mut failed = false;
                for item in items {
                    match self.value(item, item_type, sets) {
                        Some(item) => list.push(item),
                        None => {
                            failed = true;
                            break;
                        }
                    }
                }
                if failed {
                    Value::Null
                } else {
                    Value::List(list)
                }
            }
            (Value::Object(map), BaseType::Named(name)) => {
                self.object(map, sets, name.as_str()).unwrap_or(Value::Null)
            }
            (other, _) => other,
        };
        if completed == Value::Null && !ty.nullable {
            None
        } else {
            Some(completed)
        }
    }

    /// The fields of `set` that apply to `type_name`, grouped by response key in
    /// the order they first appear, fragments and `@skip`/`@include` applied.
    fn collect(&self, set: &'a SelectionSet, type_name: &str, into: &mut Grouped<'a>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if !self.included(&field.node.directives) {
                        continue;
                    }
                    let key = &field.node.response_key().node;
                    match into.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(&field.node),
                        None => into.push((key, vec![&field.node])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.node.directives) {
                        continue;
                    }
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        if fragment.node.type_condition.node.on.node == type_name {
                            self.collect(&fragment.node.selection_set.node, type_name, into);
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    if !self.included(&inline.node.directives) {
                        continue;
                    }
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| c.node.on.node == type_name);
                    if applies {
                        self.collect(&inline.node.selection_set.node, type_name, into);
                    }
                }
            }
        }
    }

    /// False when `@skip(if: true)` or `@include(if: false)` applies.
    fn included(
        &self,
        directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>],
    ) -> bool {
        directives.iter().all(|directive| {
            let condition = directive.node.get_argument("if").and_then(|value| {
                value
                    .node
                    .clone()
                    .into_const_with(|name| self.variable(&name).ok_or(()))
                    .ok()
            });
            match directive.node.name.node.as_str() {
                "skip" => condition != Some(Value::Boolean(true)),
                "include" => condition != Some(Value::Boolean(false)),
                _ => true,
            }
        })
    }

    /// A variable's value as sent, or its declared default.
    fn variable(&self, name: &Name) -> Option<Value> {
        self.variables.get(name).cloned().or_else(|| {
            self.operation
                .variable_definitions
                .iter()
                .find(|d| d.node.name.node == *name)
                .and_then(|d| d.node.default_value.as_ref())
                .map(|d| d.node.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "schema { query: Q }
        type Q { me: P  people: [P!]!  count: Int! }
        type P { id: ID!  name: String  roles: [String!]!  friend: P }";

    /// The completed answer as JSON text, keys in the order they are kept.
    fn run(query: &str, data: serde_json::Value) -> String {
        let types = TypeIndex::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        let data = Value::from_json(data).unwrap();
        let done = complete(data, true, &document, None, &Variables::default(), &types);
        serde_json::to_string(&done).unwrap()
    }

    #[test]
    fn keys_follow_the_selection_and_failed_nullable_fields_are_null() {
        let done = run(
            "{ count me { name id friend { id } } }",
            serde_json::json!({ "me": { "id": "1" }, "count": 3 }),
        );
        assert_eq!(
            done,
            r#"{"count":3,"me":{"name":null,"id":"1","friend":null}}"#
        );
    }

    #[test]
    fn a_failed_non_null_field_nulls_the_nearest_nullable_parent() {
        // roles failed: person → non-null list item → people (non-null) → data
        let done = run(
            "{ me { id } people { id roles } }",
            serde_json::json!({ "me": { "id": "1" }, "people": [{ "id": "2" }] }),
        );
        assert_eq!(done, "null");
        // inside a nullable parent, only that parent becomes null
        let done = run(
            "{ me { id friend { id roles } } }",
            serde_json::json!({ "me": { "id": "1", "friend": { "id": "2" } } }),
        );
        assert_eq!(done, r#"{"me":{"id":"1","friend":null}}"#);
    }

    #[test]
    fn fragments_aliases_and_skip_are_followed() {
        let done = run(
            "{ ... on Q { who: me { ...F } } me @skip(if: true) { id } } fragment F on P { name id }",
            serde_json::json!({ "who": { "id": "1", "name": "A" } }),
        );
        assert_eq!(done, r#"{"who":{"name":"A","id":"1"}}"#);
    }
}
