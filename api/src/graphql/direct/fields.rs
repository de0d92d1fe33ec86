//! The scalar fields the direct path answers and how each reads its row; the
//! values are written as the library writes them (see `render`): IDs as decimal
//! strings, instants with `to_rfc3339`, enums by their GraphQL names.

use async_graphql::resolver_utils::EnumType;
use chrono::{DateTime, Utc};
use entities::entity::{milestone, person, release, stakeholder, MilestoneStatus};
use entities::rows::{Cell, CellKind};
use sea_orm::ActiveEnum;

/// One scalar value of an answer.
pub enum Scalar<'a> {
    Null,
    Id(i32),
    Int(i32),
    Bool(bool),
    Text(&'a str),
    Instant(DateTime<Utc>),
    Enum(&'static str),
}

/// The GraphQL name of an enum value.
fn enum_name<E: EnumType>(value: E) -> &'static str {
    E::items()
        .iter()
        .find(|item| item.value == value)
        .map_or("", |item| item.name)
}

fn optional<'a, T>(value: Option<T>, some: impl FnOnce(T) -> Scalar<'a>) -> Scalar<'a> {
    value.map_or(Scalar::Null, some)
}

/// Declares a field enum with its GraphQL names and how each reads a row.
macro_rules! scalar_fields {
    ($(#[$doc:meta])* $name:ident for $model:ty { $($variant:ident = $graphql:literal => |$row:ident| $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            /// The field called `name` in the schema.
            pub fn named(name: &str) -> Option<Self> {
                match name {
                    $($graphql => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// Every field, for tests.
            #[cfg(test)]
            pub const ALL: &'static [(&'static str, Self)] = &[$(($graphql, Self::$variant)),*];

            /// The field's value in `row`.
            pub fn of<'a>(self, row: &'a $model) -> Scalar<'a> {
                match self {
                    $(Self::$variant => { let $row = row; $value })*
                }
            }
        }
    };
}

scalar_fields! {
    /// A scalar field of `Release`.
    ReleaseScalar for release::Model {
        Id = "id" => |r| Scalar::Id(r.id),
        Title = "title" => |r| Scalar::Text(&r.title),
        Description = "description" => |r| Scalar::Text(&r.description),
        Type = "type" => |r| Scalar::Enum(enum_name(r.release_type)),
        Scope = "scope" => |r| Scalar::Enum(enum_name(r.scope)),
        Status = "status" => |r| Scalar::Enum(enum_name(r.status)),
        PlannedStart = "plannedStart" => |r| optional(r.planned_start, Scalar::Instant),
        PlannedEnd = "plannedEnd" => |r| optional(r.planned_end, Scalar::Instant),
        ActualStart = "actualStart" => |r| optional(r.actual_start, Scalar::Instant),
        ActualEnd = "actualEnd" => |r| optional(r.actual_end, Scalar::Instant),
        ReviewOutcome = "reviewOutcome" => |r| optional(r.review_outcome, |o| Scalar::Enum(enum_name(o))),
        LessonsLearned = "lessonsLearned" => |r| optional(r.lessons_learned.as_deref(), Scalar::Text),
        CancelReason = "cancelReason" => |r| optional(r.cancel_reason.as_deref(), Scalar::Text),
        TemplateId = "templateId" => |r| optional(r.template_id, Scalar::Id),
        CreatedAt = "createdAt" => |r| Scalar::Instant(r.created_at),
        UpdatedAt = "updatedAt" => |r| Scalar::Instant(r.updated_at),
        Version = "version" => |r| Scalar::Int(r.version),
    }
}

scalar_fields! {
    /// A scalar field of `Milestone`.
    MilestoneScalar for milestone::Model {
        Id = "id" => |m| Scalar::Id(m.id),
        Sequence = "sequence" => |m| Scalar::Int(m.sequence),
        Title = "title" => |m| Scalar::Text(&m.title),
        Description = "description" => |m| Scalar::Text(&m.description),
        Status = "status" => |m| Scalar::Enum(enum_name(m.status)),
        RequiresApproval = "requiresApproval" => |m| Scalar::Bool(m.requires_approval),
        PlannedStart = "plannedStart" => |m| optional(m.planned_start, Scalar::Instant),
        PlannedEnd = "plannedEnd" => |m| optional(m.planned_end, Scalar::Instant),
        ActualStart = "actualStart" => |m| optional(m.actual_start, Scalar::Instant),
        ActualEnd = "actualEnd" => |m| optional(m.actual_end, Scalar::Instant),
        UpdatedAt = "updatedAt" => |m| Scalar::Instant(m.updated_at),
        Version = "version" => |m| Scalar::Int(m.version),
    }
}

scalar_fields! {
    /// A scalar field of `Person` (`roles` is not one: it depends on the caller).
    PersonScalar for person::Model {
        Id = "id" => |p| Scalar::Id(p.id),
        Name = "name" => |p| Scalar::Text(&p.name),
        Email = "email" => |p| Scalar::Text(&p.email),
        CreatedAt = "createdAt" => |p| Scalar::Instant(p.created_at),
    }
}

scalar_fields! {
    /// A scalar field of `Stakeholder`.
    StakeholderScalar for stakeholder::Model {
        Id = "id" => |s| Scalar::Id(s.id),
        Role = "role" => |s| Scalar::Enum(enum_name(s.role)),
        Notify = "notify" => |s| Scalar::Bool(s.notify),
        CreatedAt = "createdAt" => |s| Scalar::Instant(s.created_at),
    }
}

impl MilestoneScalar {
    /// The column the field reads, and what it holds.
    pub fn column(self) -> (milestone::Column, CellKind) {
        use milestone::Column as C;
        match self {
            Self::Id => (C::Id, CellKind::Int),
            Self::Sequence => (C::Sequence, CellKind::Int),
            Self::Title => (C::Title, CellKind::Text),
            Self::Description => (C::Description, CellKind::Text),
            Self::Status => (C::Status, CellKind::Text),
            Self::RequiresApproval => (C::RequiresApproval, CellKind::Bool),
            Self::PlannedStart => (C::PlannedStart, CellKind::Instant),
            Self::PlannedEnd => (C::PlannedEnd, CellKind::Instant),
            Self::ActualStart => (C::ActualStart, CellKind::Instant),
            Self::ActualEnd => (C::ActualEnd, CellKind::Instant),
            Self::UpdatedAt => (C::UpdatedAt, CellKind::Instant),
            Self::Version => (C::Version, CellKind::Int),
        }
    }

    /// The field's value in the cell read from its [`column`](Self::column);
    /// `None` for a value its model could not hold (the library fails there too).
    pub fn of_cell(self, cell: &Cell) -> Option<Scalar<'_>> {
        let nullable = matches!(
            self,
            Self::PlannedStart | Self::PlannedEnd | Self::ActualStart | Self::ActualEnd
        );
        Some(match (self, cell) {
            (_, Cell::Null) if nullable => Scalar::Null,
            (Self::Id, Cell::Int(id)) => Scalar::Id(*id),
            (Self::Sequence | Self::Version, Cell::Int(n)) => Scalar::Int(*n),
            (Self::Title | Self::Description, Cell::Text(text)) => Scalar::Text(text),
            (Self::Status, Cell::Text(stored)) => {
                Scalar::Enum(enum_name(MilestoneStatus::try_from_value(stored).ok()?))
            }
            (Self::RequiresApproval, Cell::Bool(b)) => Scalar::Bool(*b),
            (
                Self::PlannedStart
                | Self::PlannedEnd
                | Self::ActualStart
                | Self::ActualEnd
                | Self::UpdatedAt,
                Cell::Instant(at),
            ) => Scalar::Instant(*at),
            _ => return None,
        })
    }
}
