//! Reading the rows every page reads (releases, milestones, stakeholders,
//! people) by column position.
//!
//! SeaORM's derived decoding looks each column up by name (a hash per column in
//! sqlx) and formats an error message for every NULL it meets, only to throw it
//! away for an `Option` field. For a page of 20 releases with their milestones
//! that was about a fifth of the server's instructions. [`Positional`] reads
//! the same columns in the order the select lists them, without sqlx's
//! per-value type check.
//!
//! Which column sits at which position is decided by the code that builds the
//! select (SeaORM lists every column by name), never by the data or the
//! database's own column order. So debug builds, which every test runs, check
//! each position against the expected column name and answer an error for a
//! select that drifts from the model; the test
//! `rows_read_by_position_equal_rows_read_by_name` compares both decodings on
//! both databases, and release builds skip the check.

use crate::entity::{milestone, person, release, stakeholder};
use sea_orm::sqlx::{self, postgres::PgRow, sqlite::SqliteRow, Column as _, Row as _};
use sea_orm::{ActiveEnum, DbErr, FromQueryResult, IdenStatic, QueryResult};

/// A value sqlx decodes the same way from PostgreSQL and SQLite.
pub trait Decodable:
    for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
    + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
{
}

impl<T> Decodable for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
{
}

enum Backend<'a> {
    Postgres(&'a PgRow),
    Sqlite(&'a SqliteRow),
}

impl Backend<'_> {
    fn column_name(&self, position: usize) -> Option<&str> {
        match self {
            Backend::Postgres(row) => row.columns().get(position).map(|c| c.name()),
            Backend::Sqlite(row) => row.columns().get(position).map(|c| c.name()),
        }
    }

    fn value<T: Decodable>(&self, position: usize) -> Result<Option<T>, sqlx::Error> {
        // the column is known by position (see the module comment); a value
        // of another type fails to decode rather than being misread
        match self {
            Backend::Postgres(row) => row.try_get_unchecked::<Option<T>, _>(position),
            Backend::Sqlite(row) => row.try_get_unchecked::<Option<T>, _>(position),
        }
    }
}

/// Walks the columns of one row left to right.
pub struct Cursor<'a> {
    row: Backend<'a>,
    prefix: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the first column named `prefix` + `first` (position 0
    /// without a prefix).
    fn new(result: &'a QueryResult, prefix: &'a str, first: &str) -> Result<Self, DbErr> {
        let row = if let Some(row) = result.try_as_pg_row() {
            Backend::Postgres(row)
        } else if let Some(row) = result.try_as_sqlite_row() {
            Backend::Sqlite(row)
        } else {
            return Err(DbErr::Type("positional rows need sqlx".into()));
        };
        let mut cursor = Self {
            row,
            prefix,
            position: 0,
        };
        if !prefix.is_empty() {
            while let Some(name) = cursor.row.column_name(cursor.position) {
                if cursor.names(name, first) {
                    break;
                }
                cursor.position += 1;
            }
        }
        Ok(cursor)
    }

    fn names(&self, actual: &str, expected: &str) -> bool {
        actual.len() == self.prefix.len() + expected.len()
            && actual.starts_with(self.prefix)
            && actual.ends_with(expected)
    }

    /// Takes the next position, which must hold `column` (checked in debug builds).
    fn take(&mut self, column: &str) -> Result<usize, DbErr> {
        let position = self.position;
        if cfg!(debug_assertions) {
            match self.row.column_name(position) {
                Some(actual) if self.names(actual, column) => {}
                actual => {
                    return Err(DbErr::Type(format!(
                        "expected column {}{column} at position {position}, found {actual:?}",
                        self.prefix
                    )))
                }
            }
        }
        self.position += 1;
        Ok(position)
    }

    /// The next column, which must be `column`, may hold NULL.
    pub fn optional<T: Decodable>(&mut self, column: impl IdenStatic) -> Result<Option<T>, DbErr> {
        let position = self.take(column.as_str())?;
        self.row
            .value(position)
            .map_err(|e| DbErr::Type(format!("column {}: {e}", column.as_str())))
    }

    /// The next column, which must be `column`, is NOT NULL.
    pub fn required<T: Decodable>(&mut self, column: impl IdenStatic) -> Result<T, DbErr> {
        self.optional(column)?
            .ok_or_else(|| DbErr::Type(format!("column {} is NULL", column.as_str())))
    }

    /// A string enum column that may hold NULL.
    pub fn optional_enum<E>(&mut self, column: impl IdenStatic) -> Result<Option<E>, DbErr>
    where
        E: ActiveEnum<Value = String>,
    {
        self.optional::<String>(column)?
            .map(|value| E::try_from_value(&value))
            .transpose()
    }

    /// A NOT NULL string enum column.
    pub fn required_enum<E>(&mut self, column: impl IdenStatic) -> Result<E, DbErr>
    where
        E: ActiveEnum<Value = String>,
    {
        E::try_from_value(&self.required::<String>(column)?)
    }

    /// True when the next column is NULL (an outer join that matched nothing).
    pub fn next_is_null(&self) -> Result<bool, DbErr> {
        let null = match self.row {
            Backend::Postgres(row) => {
                sqlx::Row::try_get_raw(row, self.position).map(|v| sqlx::ValueRef::is_null(&v))
            }
            Backend::Sqlite(row) => {
                sqlx::Row::try_get_raw(row, self.position).map(|v| sqlx::ValueRef::is_null(&v))
            }
        };
        null.map_err(|e| DbErr::Type(e.to_string()))
    }
}

/// What a column holds, to read it without its model (enums are their stored text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Int,
    Text,
    Bool,
    Instant,
}

/// One value read as its [`CellKind`] says.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i32),
    Text(String),
    Bool(bool),
    Instant(chrono::DateTime<chrono::Utc>),
}

/// Reads `columns` from the start of a row, in order: for a select that lists
/// only some columns of a model (see [`crate::milestones::cells_for_releases`]).
pub fn cells<C: IdenStatic + Copy>(
    result: &QueryResult,
    columns: &[(C, CellKind)],
) -> Result<Vec<Cell>, DbErr> {
    let first = columns.first().map_or("", |(column, _)| column.as_str());
    let mut cursor = Cursor::new(result, "", first)?;
    columns
        .iter()
        .map(|&(column, kind)| {
            Ok(match kind {
                CellKind::Int => cursor.optional(column)?.map(Cell::Int),
                CellKind::Text => cursor.optional(column)?.map(Cell::Text),
                CellKind::Bool => cursor.optional(column)?.map(Cell::Bool),
                CellKind::Instant => cursor.optional(column)?.map(Cell::Instant),
            }
            .unwrap_or(Cell::Null))
        })
        .collect()
}

/// A model read column by column in its declaration order, which is the order
/// `Entity::find()` selects.
pub trait ReadRow: Sized {
    /// The name of the first column, where a prefixed read starts.
    const FIRST: &'static str = "id";
    /// Reads the model's columns from `cursor`, advancing it past them.
    fn read(cursor: &mut Cursor<'_>) -> Result<Self, DbErr>;
}

/// Decodes `M` by position; use with `into_model::<Positional<M>>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Positional<M>(pub M);

impl<M: ReadRow> FromQueryResult for Positional<M> {
    fn from_query_result(result: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        M::read(&mut Cursor::new(result, prefix, M::FIRST)?).map(Positional)
    }

    fn from_query_result_optional(
        result: &QueryResult,
        prefix: &str,
    ) -> Result<Option<Self>, DbErr> {
        let mut cursor = Cursor::new(result, prefix, M::FIRST)?;
        if cursor.next_is_null()? {
            return Ok(None);
        }
        M::read(&mut cursor).map(|m| Some(Positional(m)))
    }
}

impl ReadRow for release::Model {
    fn read(c: &mut Cursor<'_>) -> Result<Self, DbErr> {
        use release::Column as C;
        Ok(Self {
            id: c.required(C::Id)?,
            title: c.required(C::Title)?,
            description: c.required(C::Description)?,
            release_type: c.required_enum(C::ReleaseType)?,
            scope: c.required_enum(C::Scope)?,
            master_id: c.optional(C::MasterId)?,
            status: c.required_enum(C::Status)?,
            owner_id: c.required(C::OwnerId)?,
            template_id: c.optional(C::TemplateId)?,
            planned_start: c.optional(C::PlannedStart)?,
            planned_end: c.optional(C::PlannedEnd)?,
            actual_start: c.optional(C::ActualStart)?,
            actual_end: c.optional(C::ActualEnd)?,
            review_outcome: c.optional_enum(C::ReviewOutcome)?,
            lessons_learned: c.optional(C::LessonsLearned)?,
            cancel_reason: c.optional(C::CancelReason)?,
            budget: c.optional(C::Budget)?,
            cost_running: c.required(C::CostRunning)?,
            cost_final: c.optional(C::CostFinal)?,
            created_at: c.required(C::CreatedAt)?,
            updated_at: c.required(C::UpdatedAt)?,
            version: c.required(C::Version)?,
        })
    }
}

impl ReadRow for milestone::Model {
    fn read(c: &mut Cursor<'_>) -> Result<Self, DbErr> {
        use milestone::Column as C;
        Ok(Self {
            id: c.required(C::Id)?,
            release_id: c.required(C::ReleaseId)?,
            sequence: c.required(C::Sequence)?,
            title: c.required(C::Title)?,
            description: c.required(C::Description)?,
            status: c.required_enum(C::Status)?,
            requires_approval: c.required(C::RequiresApproval)?,
            planned_start: c.optional(C::PlannedStart)?,
            planned_end: c.optional(C::PlannedEnd)?,
            actual_start: c.optional(C::ActualStart)?,
            actual_end: c.optional(C::ActualEnd)?,
            cost_running: c.required(C::CostRunning)?,
            cost_final: c.optional(C::CostFinal)?,
            created_at: c.required(C::CreatedAt)?,
            updated_at: c.required(C::UpdatedAt)?,
            version: c.required(C::Version)?,
        })
    }
}

impl ReadRow for stakeholder::Model {
    fn read(c: &mut Cursor<'_>) -> Result<Self, DbErr> {
        use stakeholder::Column as C;
        Ok(Self {
            id: c.required(C::Id)?,
            release_id: c.required(C::ReleaseId)?,
            person_id: c.required(C::PersonId)?,
            role: c.required_enum(C::Role)?,
            notify: c.required(C::Notify)?,
            created_at: c.required(C::CreatedAt)?,
        })
    }
}

impl ReadRow for person::Model {
    fn read(c: &mut Cursor<'_>) -> Result<Self, DbErr> {
        use person::Column as C;
        Ok(Self {
            id: c.required(C::Id)?,
            name: c.required(C::Name)?,
            email: c.required(C::Email)?,
            created_at: c.required(C::CreatedAt)?,
        })
    }
}
