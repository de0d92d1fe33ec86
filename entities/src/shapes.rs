//! SQL text built once per statement shape and backend.
//!
//! sea-query builds a statement's text on every call: it walks the expression
//! tree, quotes every identifier, then clones and drops the tree. For the
//! statements every change runs (its release read and locked, the milestone
//! insert, the history and audit rows) that was about a sixth of an
//! `addMilestone`'s instructions (bench/README.md, session 8). A [`Shape`] keeps
//! the text sea-query built the first time; later calls only list their values.
//!
//! The values are listed by the caller in the order sea-query binds them, so
//! debug builds (every test) build the whole statement on every call too and
//! check that its text and values are the ones the shape produced; release
//! builds skip the check.

use sea_orm::sea_query::Values;
use sea_orm::{
    ActiveModelTrait, DbBackend, EntityTrait, Iterable, Statement, StatementBuilder, Value,
};
use std::sync::OnceLock;

/// The text of one statement shape, per backend, built on first use.
pub struct Shape {
    text: [OnceLock<String>; 3],
}

impl Shape {
    /// A shape whose text is not built yet.
    pub const fn new() -> Self {
        Self {
            text: [const { OnceLock::new() }; 3],
        }
    }

    /// The statement for `backend` binding `values`; `build` makes the same
    /// statement with sea-query (it runs once per backend, and on every call in
    /// debug builds to check the shape).
    pub fn statement<S: StatementBuilder>(
        &self,
        backend: DbBackend,
        values: Vec<Value>,
        build: impl FnOnce() -> S,
    ) -> Statement {
        let slot = &self.text[slot(backend)];
        let text = if cfg!(debug_assertions) {
            let built = backend.build(&build());
            let text = slot.get_or_init(|| built.sql.clone());
            assert_eq!(*text, built.sql, "a statement shape's text changed");
            assert_eq!(
                built.values,
                Some(Values(values.clone())),
                "values listed out of the order sea-query binds them:\n{text}"
            );
            text
        } else {
            slot.get_or_init(|| backend.build(&build()).sql)
        };
        Statement::from_sql_and_values(backend, text.as_str(), values)
    }
}

impl Default for Shape {
    fn default() -> Self {
        Self::new()
    }
}

fn slot(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 0,
        DbBackend::Sqlite => 1,
        _ => 2,
    }
}

/// The values an `INSERT` of `model` binds: its set columns, in column order,
/// as SeaORM lists them.
pub fn insert_values<A: ActiveModelTrait>(model: &A, into: &mut Vec<Value>) {
    for column in <A::Entity as EntityTrait>::Column::iter() {
        if let Some(value) = model.get(column).into_value() {
            into.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

    fn by_id(id: i32) -> SelectStatement {
        Query::select()
            .column(Alias::new("title"))
            .from(Alias::new("releases"))
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .to_owned()
    }

    #[test]
    fn a_shape_keeps_its_text_and_binds_new_values() {
        static SHAPE: Shape = Shape::new();
        for id in [3, 5] {
            let statement = SHAPE.statement(DbBackend::Postgres, vec![id.into()], || by_id(id));
            assert_eq!(
                statement.sql,
                r#"SELECT "title" FROM "releases" WHERE "id" = $1"#
            );
            assert_eq!(statement.values, Some(Values(vec![id.into()])));
        }
        let sqlite = SHAPE.statement(DbBackend::Sqlite, vec![9.into()], || by_id(9));
        assert_eq!(
            sqlite.sql,
            r#"SELECT "title" FROM "releases" WHERE "id" = ?"#
        );
    }

    #[test]
    #[should_panic(expected = "values listed out of the order")]
    fn values_that_are_not_the_statements_are_caught_in_debug_builds() {
        static SHAPE: Shape = Shape::new();
        SHAPE.statement(DbBackend::Postgres, vec![4.into()], || by_id(5));
    }
}
