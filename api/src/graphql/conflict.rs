//! What a release's planned window runs into: another release on one of its
//! items, a freeze, or an item's maintenance windows it lies outside.

use super::package::ConfigurationItem;
use super::release::Release;
use super::schedule::{ScheduleOccurrence, ScheduleWindow};
use async_graphql::{Enum, Object};
use entities::entity::Enforcement;
use entities::packages;
use entities::schedule::freeze::{WindowConflict, WindowConflictKind};
use entities::schedule::Occurrence;

/// The kinds of [`Conflict`].
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Another approved or running release touches one of the items in an
    /// overlapping window.
    ItemOverlap,
    /// The planned window overlaps a freeze over one of the items, or over
    /// every item.
    Freeze,
    /// An item has maintenance windows, and none holds the whole planned window.
    OutsideMaintenance,
}

/// One conflict of a release, naming what it conflicts with.
#[derive(Clone)]
pub enum Conflict {
    Item(packages::Conflict),
    Window(WindowConflict),
}

#[Object]
impl Conflict {
    async fn kind(&self) -> ConflictKind {
        match self {
            Conflict::Item(_) => ConflictKind::ItemOverlap,
            Conflict::Window(w) => match w.kind {
                WindowConflictKind::Freeze => ConflictKind::Freeze,
                WindowConflictKind::OutsideMaintenance => ConflictKind::OutsideMaintenance,
            },
        }
    }
    /// True for a HARD freeze, which refuses APPROVE and START; every other
    /// conflict is a warning.
    async fn blocking(&self) -> bool {
        matches!(self, Conflict::Window(w)
            if w.kind == WindowConflictKind::Freeze && w.window.enforcement == Enforcement::Hard)
    }
    /// The configuration item; null for a window over every item.
    async fn item(&self) -> Option<ConfigurationItem> {
        match self {
            Conflict::Item(c) => Some(ConfigurationItem(c.item.clone())),
            Conflict::Window(w) => w.item.clone().map(ConfigurationItem),
        }
    }
    /// ITEM_OVERLAP: the other release.
    async fn release(&self) -> Option<Release> {
        match self {
            Conflict::Item(c) => Some(Release(c.release.clone())),
            Conflict::Window(_) => None,
        }
    }
    /// FREEZE and OUTSIDE_MAINTENANCE: the window.
    async fn window(&self) -> Option<ScheduleWindow> {
        match self {
            Conflict::Item(_) => None,
            Conflict::Window(w) => Some(ScheduleWindow(w.window.clone())),
        }
    }
    /// FREEZE: the first occurrence the planned window overlaps.
    async fn occurrence(&self) -> Option<ScheduleOccurrence> {
        match self {
            Conflict::Window(WindowConflict {
                window,
                occurrence: Some((starts_at, ends_at)),
                ..
            }) => Some(ScheduleOccurrence(Occurrence {
                window: window.clone(),
                starts_at: *starts_at,
                ends_at: *ends_at,
            })),
            _ => None,
        }
    }
}
