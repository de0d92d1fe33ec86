//! Request limits: document size after fragments, nesting depth, complexity and
//! aliases answer `LIMIT_EXCEEDED`, mutations over GET `METHOD_NOT_ALLOWED`, and
//! every error the library raises itself gets a code. On the write schema they
//! run as an extension, and the code comes from the stage that refused. Reads run
//! on a schema without extensions, so every field takes the library's fast path.
//! The HTTP layer calls [`QueryLimits::check`] before them and
//! [`QueryLimits::code_read_errors`] after them.

use super::error::code;
use crate::config::GraphqlSettings;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, OperationType,
    Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Request, Response, ServerError, ServerResult, ValidationResult};
use std::collections::HashMap;
use std::sync::Arc;

/// async-graphql's messages for its depth and complexity limits (validation/mod.rs).
const LIBRARY_TOO_DEEP: &str = "Query is nested too deep.";
const LIBRARY_TOO_COMPLEX: &str = "Query is too complex.";

/// Nesting the library itself refuses to parse or run; fragment spreads count as a level.
const LIBRARY_RECURSION_LIMIT: usize = 32;

/// How a request arrived; the HTTP layer adds it to the request data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `GET /graphql?query=…`: queries only.
    HttpGet,
    /// A POSTed body.
    HttpPost,
}

/// Where the extension writes the name of each parsed operation, for the request
/// log; the HTTP layer adds one to the request data and reads it afterwards.
#[derive(Debug, Clone, Default)]
pub struct OperationLabels(Arc<std::sync::Mutex<Vec<String>>>);

impl OperationLabels {
    /// Notes one operation's label.
    pub fn push(&self, label: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(label);
    }

    /// The labels so far, joined by commas; `-` when nothing was parsed.
    pub fn joined(&self) -> String {
        let labels = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if labels.is_empty() {
            "-".to_owned()
        } else {
            labels.join(",")
        }
    }
}

/// Data of type `T` attached to `request` (the endpoint attaches the transport,
/// the operation labels, the caller).
pub(crate) fn request_data<T: Send + Sync + 'static>(request: &Request) -> Option<&T> {
    request
        .data
        .get(&std::any::TypeId::of::<T>())
        .and_then(|data| data.downcast_ref::<T>())
}

/// The configured limits; add to the schema once.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
}

impl QueryLimits {
    /// The limits of the `graphql` settings section.
    pub fn from_settings(settings: &GraphqlSettings) -> Self {
        Self {
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            max_aliases: settings.max_aliases,
        }
    }

    /// Parses a document, answering syntax errors `VALIDATION` and documents
    /// nested past what the parser takes `LIMIT_EXCEEDED`.
    pub fn parse(&self, query: &str) -> ServerResult<ExecutableDocument> {
        match async_graphql::parser::parse_query(query) {
            Ok(document) => Ok(document),
            Err(async_graphql::parser::Error::RecursionLimitExceeded) => Err(coded(
                "the query is nested too deep to parse",
                code::LIMIT_EXCEEDED,
            )),
            Err(syntax) => {
                let mut error = ServerError::from(syntax);
                set_code_if_missing(&mut error, code::VALIDATION);
                Err(error)
            }
        }
    }

    /// What is cheap to count on a parsed document: mutations over GET, fragment
    /// cycles, nesting, fields after fragments and aliases.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        transport: Option<Transport>,
        operation_name: Option<&str>,
        variables: &async_graphql::Variables,
    ) -> ServerResult<()> {
        if let Some(missing) = missing_variable(document, operation_name, variables) {
            return Err(coded(missing, code::VALIDATION));
        }
        if transport == Some(Transport::HttpGet) && has_mutation(document, operation_name) {
            return Err(coded(
                "mutations must be sent with POST",
                code::METHOD_NOT_ALLOWED,
            ));
        }
        let shape = Shape::of(document);
        if shape.fragment_cycle {
            return Err(coded(
                "fragments must not spread themselves",
                code::VALIDATION,
            ));
        }
        if shape.nesting > LIBRARY_RECURSION_LIMIT {
            return Err(coded(
                format!(
                    "the query is nested too deep; at most {} levels are allowed",
                    self.max_depth
                ),
                code::LIMIT_EXCEEDED,
            ));
        }
        if shape.fields > self.max_complexity {
            return Err(coded(
                format!(
                    "the query expands to more than {} fields",
                    self.max_complexity
                ),
                code::LIMIT_EXCEEDED,
            ));
        }
        if shape.aliases > self.max_aliases {
            return Err(coded(
                format!(
                    "the query uses {} aliases; at most {} are allowed",
                    shape.aliases, self.max_aliases
                ),
                code::LIMIT_EXCEEDED,
            ));
        }
        Ok(())
    }

    /// Codes what the extension-free read schema answered. Its only uncoded
    /// errors are the library's: validation (where its two limit messages mean
    /// the configured depth and complexity; `hardening` tests pin both) and
    /// argument coercion; every resolver error carries a code already.
    pub fn code_read_errors(&self, response: &mut Response) {
        for error in &mut response.errors {
            let coded_already = error
                .extensions
                .as_ref()
                .is_some_and(|e| e.get("code").is_some());
            if coded_already {
                continue;
            }
            match error.message.as_str() {
                LIBRARY_TOO_DEEP => {
                    error.message = format!(
                        "the query is nested too deep; at most {} levels are allowed",
                        self.max_depth
                    );
                    set_code_if_missing(error, code::LIMIT_EXCEEDED);
                }
                LIBRARY_TOO_COMPLEX => {
                    error.message = format!(
                        "the query is too complex; at most {} is allowed",
                        self.max_complexity
                    );
                    set_code_if_missing(error, code::LIMIT_EXCEEDED);
                }
                _ => set_code_if_missing(error, code::VALIDATION),
            }
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

fn coded(message: impl Into<String>, error_code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", error_code);
    error
}

fn set_code_if_missing(error: &mut ServerError, error_code: &'static str) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", error_code);
    }
}

/// Request data: the request's parsed document was set from its own text
/// (the endpoint's document cache), so the limits do not parse it again.
#[derive(Debug, Clone, Copy)]
pub struct Preparsed;

#[async_trait::async_trait]
impl Extension for QueryLimits {
    /// Parses once (unless the endpoint handed over the document it parsed,
    /// see [`Preparsed`]), checks what is cheap to count on the document, and
    /// hands the parsed document on so the library does not parse again.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if request_data::<Preparsed>(&request).is_none() {
            let document = self.parse(&request.query)?;
            request.set_parsed_query(document);
        }
        let labels = request_data::<OperationLabels>(&request).cloned();
        let transport = request_data::<Transport>(&request).copied();
        let operation_name = request.operation_name.clone();
        let variables = request.variables.clone();
        let document = request.parsed_query()?;
        if let Some(labels) = labels {
            labels.push(operation_label(document, operation_name.as_deref()));
        }
        self.check(document, transport, operation_name.as_deref(), &variables)?;
        next.run(ctx, request).await
    }

    /// Library validation runs without limits; its measured depth and complexity
    /// are compared here, so a limit always answers `LIMIT_EXCEEDED`.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|mut errors| {
            for error in &mut errors {
                set_code_if_missing(error, code::VALIDATION);
            }
            errors
        })?;
        if result.depth > self.max_depth {
            return Err(vec![coded(
                format!(
                    "the query is nested {} levels deep; at most {} are allowed",
                    result.depth, self.max_depth
                ),
                code::LIMIT_EXCEEDED,
            )]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![coded(
                format!(
                    "the query's complexity is {}; at most {} is allowed",
                    result.complexity, self.max_complexity
                ),
                code::LIMIT_EXCEEDED,
            )]);
        }
        Ok(result)
    }

    /// Errors without a code at execution come from coercing arguments and
    /// variables (our resolvers always set one): they are the caller's mistake.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        for error in &mut response.errors {
            set_code_if_missing(error, code::VALIDATION);
        }
        response
    }
}

/// The operation a request runs, as the spec chooses it: the one named, or the
/// only one; `None` when the choice is ambiguous (the library refuses those).
pub fn chosen_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// The first non-null variable of the chosen operation that has no default and
/// was not sent (or was sent as `null`), as a message; a request error, refused
/// before any field runs.
fn missing_variable(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
) -> Option<String> {
    chosen_operation(document, operation_name)?
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let definition = &definition.node;
            let sent = variables
                .get(&definition.name.node)
                .is_some_and(|value| *value != async_graphql::Value::Null);
            (!definition.var_type.node.nullable && definition.default_value.is_none() && !sent)
                .then(|| {
                    format!(
                        "variable ${} of type {} was not provided",
                        definition.name.node, definition.var_type.node
                    )
                })
        })
}

/// The operation's name, or its root fields when it has none.
pub fn operation_label(document: &ExecutableDocument, operation_name: Option<&str>) -> String {
    if let Some(name) = operation_name {
        return name.to_owned();
    }
    let Some((name, operation)) = document.operations.iter().next() else {
        return "-".to_owned();
    };
    if let Some(name) = name {
        return name.to_string();
    }
    let fields: Vec<String> = operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .filter_map(|item| match &item.node {
            Selection::Field(field) => Some(field.node.name.node.to_string()),
            _ => None,
        })
        .collect();
    if fields.is_empty() {
        "-".to_owned()
    } else {
        fields.join("+")
    }
}

/// True when the operation to run (or, without a name, any operation) is a mutation.
pub fn has_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    document.operations.iter().any(|(name, operation)| {
        let selected = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

/// Sizes of a document as if its fragments were expanded, computed in time
/// linear in the document (each fragment is measured once).
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    /// Selection nesting, fragment spreads and inline fragments counting as a level.
    nesting: usize,
    /// Fields after expanding every fragment spread (saturating).
    fields: usize,
    /// Aliased fields after expansion (saturating).
    aliases: usize,
    fragment_cycle: bool,
}

#[derive(Clone, Copy, Default)]
struct Measure {
    nesting: usize,
    fields: usize,
    aliases: usize,
}

struct Measurer<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    done: HashMap<&'a str, Measure>,
    visiting: Vec<&'a str>,
    cycle: bool,
}

impl<'a> Measurer<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Measure {
        let mut total = Measure::default();
        for item in &set.items {
            let (inner, fields, aliases) = match &item.node {
                Selection::Field(field) => {
                    let sub = &field.node.selection_set.node;
                    let inner = if sub.items.is_empty() {
                        Measure::default()
                    } else {
                        let m = self.set(sub);
                        Measure {
                            nesting: m.nesting + 1,
                            ..m
                        }
                    };
                    (inner, 1, usize::from(field.node.alias.is_some()))
                }
                Selection::InlineFragment(fragment) => {
                    let m = self.set(&fragment.node.selection_set.node);
                    (
                        Measure {
                            nesting: m.nesting + 1,
                            ..m
                        },
                        0,
                        0,
                    )
                }
                Selection::FragmentSpread(spread) => {
                    let m = self.fragment(spread.node.fragment_name.node.as_str());
                    (
                        Measure {
                            nesting: m.nesting + 1,
                            ..m
                        },
                        0,
                        0,
                    )
                }
            };
            total.nesting = total.nesting.max(inner.nesting);
            total.fields = total
                .fields
                .saturating_add(fields)
                .saturating_add(inner.fields);
            total.aliases = total
                .aliases
                .saturating_add(aliases)
                .saturating_add(inner.aliases);
        }
        total
    }

    fn fragment(&mut self, name: &'a str) -> Measure {
        if let Some(measure) = self.done.get(name) {
            return *measure;
        }
        if self.visiting.contains(&name) {
            self.cycle = true;
            return Measure::default();
        }
        // Unknown fragments are reported by validation.
        let Some((key, fragment)) = self.fragments.get_key_value(name) else {
            return Measure::default();
        };
        self.visiting.push(key.as_str());
        let measure = self.set(&fragment.node.selection_set.node);
        self.visiting.pop();
        self.done.insert(key.as_str(), measure);
        measure
    }
}

impl Shape {
    fn of(document: &ExecutableDocument) -> Shape {
        let mut measurer = Measurer {
            fragments: &document.fragments,
            done: HashMap::new(),
            visiting: Vec::new(),
            cycle: false,
        };
        let mut shape = Shape::default();
        for (_, operation) in document.operations.iter() {
            let m = measurer.set(&operation.node.selection_set.node);
            shape.nesting = shape.nesting.max(m.nesting);
            shape.fields = shape.fields.saturating_add(m.fields);
            shape.aliases = shape.aliases.saturating_add(m.aliases);
        }
        shape.fragment_cycle = measurer.cycle;
        shape
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(query: &str) -> Shape {
        Shape::of(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn aliases_and_fields_are_counted_after_fragments() {
        let s = shape(
            "query { a: me { id } b: me { x: id } ...F } fragment F on QueryRoot { c: me { id } }",
        );
        assert_eq!(s.aliases, 4);
        assert_eq!(s.fields, 6);
        assert_eq!(s.nesting, 2);
    }

    #[test]
    fn fragment_bombs_are_measured_without_expanding_them() {
        let mut query = String::from("query { ...F0 } fragment F0 on QueryRoot { me { id } }");
        for level in 1..=60 {
            let previous = level - 1;
            query.push_str(&format!(
                " fragment F{level} on QueryRoot {{ ...F{previous} ...F{previous} }}"
            ));
        }
        query = query.replacen("...F0 }", "...F60 }", 1);
        let s = shape(&query);
        assert_eq!(s.fields, 1usize << 61, "2^60 copies of two fields");
        assert!(!s.fragment_cycle);
    }

    #[test]
    fn fragment_cycles_are_found() {
        let s = shape(
            "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }",
        );
        assert!(s.fragment_cycle);
    }

    #[test]
    fn operations_are_labelled_for_the_log() {
        let named = async_graphql::parser::parse_query("query Me { me { id } }").unwrap();
        assert_eq!(operation_label(&named, None), "Me");
        let anonymous =
            async_graphql::parser::parse_query("{ me { id } releases { totalCount } }").unwrap();
        assert_eq!(operation_label(&anonymous, None), "me+releases");
        assert_eq!(operation_label(&anonymous, Some("Chosen")), "Chosen");
    }

    #[test]
    fn mutations_are_found_by_operation_name() {
        let doc =
            async_graphql::parser::parse_query("query Q { me { id } } mutation M { x }").unwrap();
        assert!(has_mutation(&doc, Some("M")));
        assert!(!has_mutation(&doc, Some("Q")));
        assert!(has_mutation(&doc, None));
    }
}
