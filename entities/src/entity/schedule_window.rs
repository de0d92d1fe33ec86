//! Schedule windows: change freezes and the maintenance windows of items.

use sea_orm::entity::prelude::*;

/// What a window is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum WindowKind {
    /// No releases on its items while it lasts.
    #[sea_orm(string_value = "FREEZE")]
    Freeze,
    /// The preferred slots for work on its items.
    #[sea_orm(string_value = "MAINTENANCE")]
    Maintenance,
}

/// How strictly a freeze holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Enforcement {
    /// Refuses; only an override with a reason gets past it.
    #[sea_orm(string_value = "HARD")]
    Hard,
    /// Warns only.
    #[sea_orm(string_value = "SOFT")]
    Soft,
}

/// A row of `schedule_windows`. `starts_at`..`ends_at` is the first
/// occurrence; `recurrence` (an RRULE evaluated in `time_zone`) repeats it,
/// up to `recurs_until`, the end of the last occurrence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "schedule_windows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub kind: WindowKind,
    pub enforcement: Enforcement,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub recurrence: Option<String>,
    pub recurs_until: Option<DateTimeUtc>,
    /// IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub reason: String,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
