//! Reading a mutation document into a [`MutationPlan`], or declining it.
//!
//! One mutation is planned: `addMilestone`, the step a release plan grows by,
//! alone in its operation, with its `input` written in the document or passed
//! whole as an `AddMilestoneInput!` variable, selecting scalar fields of the new
//! milestone. As for reads, anything the library's validation or argument
//! coercion could refuse or read differently (an unknown or `null` input field,
//! a variable inside the input, a default, a directive, another root field) is
//! declined, and the executor answers it.

use super::plan::{all_used, only_operation, type_names, MilestoneField, Planner, Selected};
use crate::graphql::limits::QueryLimits;
use crate::graphql::milestone::AddMilestoneInput;
use async_graphql::parser::types::{BaseType, ExecutableDocument, OperationType};
use async_graphql::{InputType, Name, Pos, Value as ConstValue, Variables};
use async_graphql_value::Value;

/// The root field a planned mutation runs.
pub const ADD_MILESTONE: &str = "addMilestone";

/// A mutation the direct path runs.
pub struct MutationPlan {
    /// The response key of the root field (its alias, or its name).
    pub key: Name,
    /// Where the root field starts in the document: errors point there.
    pub position: Pos,
    /// The arguments as the audit trail records them: as written, variables replaced.
    pub arguments: Vec<(Name, ConstValue)>,
    pub input: AddMilestoneInput,
    pub fields: Selected<MilestoneField>,
}

/// The plan of `document`'s operation, or `None` when the executor must run it.
pub fn plan(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &QueryLimits,
) -> Option<MutationPlan> {
    let operation = &only_operation(document, operation_name)?.node;
    let mut planner = Planner::new(document, operation, variables, OperationType::Mutation)?;
    let roots = planner.collect(&operation.selection_set.node, type_names::MUTATION)?;
    let ([(key, field)], [position]) = (roots.fields.as_slice(), roots.positions.as_slice()) else {
        return None;
    };
    let [(name, value)] = field.arguments.as_slice() else {
        return None;
    };
    if field.name.node != ADD_MILESTONE || name.node != "input" {
        return None;
    }
    let input = match &value.node {
        Value::Variable(variable) => {
            let definition = planner
                .definitions
                .iter()
                .find(|d| d.node.name.node == *variable)?;
            let ty = &definition.node.var_type.node;
            let declared = matches!(&ty.base, BaseType::Named(name) if name == "AddMilestoneInput");
            if !declared || ty.nullable {
                return None;
            }
            planner
                .used_variables
                .insert(definition.node.name.node.as_str());
            variables.get(variable)?.clone()
        }
        literal => literal.clone().into_const()?,
    };
    let parsed = add_milestone_input(&input)?;
    planner.reach(1);
    let (fields, cost) = planner.milestone(&field.selection_set.node, 2)?;
    let complexity = 1 + cost;
    let within_limits = complexity <= limits.max_complexity && planner.depth <= limits.max_depth;
    (within_limits && all_used(document, &planner)).then(|| MutationPlan {
        key: (*key).clone(),
        position: *position,
        arguments: vec![(name.node.clone(), input)],
        input: parsed,
        fields,
    })
}

/// `value` read as the library reads an `AddMilestoneInput`, if it holds only
/// fields of that type and none of them `null`.
fn add_milestone_input(value: &ConstValue) -> Option<AddMilestoneInput> {
    let ConstValue::Object(given) = value else {
        return None;
    };
    let parsed = AddMilestoneInput::parse(Some(value.clone())).ok()?;
    let ConstValue::Object(known) = parsed.to_value() else {
        return None;
    };
    given
        .iter()
        .all(|(name, value)| known.contains_key(name) && *value != ConstValue::Null)
        .then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(query: &str, variables: serde_json::Value) -> Option<MutationPlan> {
        let document = async_graphql::parser::parse_query(query).expect("a document");
        let limits = QueryLimits {
            max_depth: 16,
            max_complexity: 5_000,
            max_aliases: 30,
        };
        plan(&document, None, &Variables::from_json(variables), &limits)
    }

    #[test]
    fn what_is_planned_and_what_is_not() {
        let input = serde_json::json!({ "input": { "releaseId": "4", "title": "Step" } });
        let planned_documents = [
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\" }) { id sequence } }",
            "mutation { a: addMilestone(input: { releaseId: 4, title: \"Step\", requiresApproval: true }) { __typename id ...M } } fragment M on Milestone { status }",
            "mutation Add($input: AddMilestoneInput!) { addMilestone(input: $input) { id title } }",
        ];
        for query in planned_documents {
            assert!(planned(query, input.clone()).is_some(), "{query}");
        }
        let declined = [
            "{ releases { nodes { id } } }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\" }) { id release { id } } }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\", colour: \"red\" }) { id } }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\", description: null }) { id } }",
            "mutation { addMilestone(input: { releaseId: 4.5, title: \"Step\" }) { id } }",
            "mutation { addMilestone(input: { releaseId: \"4\" }) { id } }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\", plannedStart: \"soon\" }) { id } }",
            "mutation($t: String!) { addMilestone(input: { releaseId: \"4\", title: $t }) { id } }",
            "mutation($input: AddMilestoneInput) { addMilestone(input: $input) { id } }",
            "mutation($input: AddMilestoneInput!, $unused: Int) { addMilestone(input: $input) { id } }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\" }) { id } __typename }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\" }) { id @skip(if: true) } }",
            "mutation { addMilestone(input: { releaseId: \"4\", title: \"Step\" }) { a: id a: title } }",
            "mutation { transitionMilestone(id: \"1\", action: START) { id } }",
        ];
        for query in declined {
            assert!(planned(query, input.clone()).is_none(), "{query}");
        }
        let missing = "mutation($input: AddMilestoneInput!) { addMilestone(input: $input) { id } }";
        assert!(planned(missing, serde_json::json!({})).is_none());
    }

    #[test]
    fn the_audit_arguments_are_the_input_as_given() {
        let plan = planned(
            "mutation { addMilestone(input: { releaseId: 4, title: \"Step\" }) { id } }",
            serde_json::json!({}),
        )
        .expect("planned");
        let arguments: Vec<_> = plan
            .arguments
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.into_json().expect("JSON")))
            .collect();
        assert_eq!(
            arguments,
            [(
                "input".to_owned(),
                serde_json::json!({ "releaseId": 4, "title": "Step" })
            )]
        );
    }
}
