//! Live events: what a committed unit of work tells every replica.
//!
//! [`crate::Tx::commit`] derives one [`LiveEvent::Release`] per release its
//! history touched and one [`LiveEvent::Identity`] per person whose tokens or
//! roles changed. On PostgreSQL they are sent with `pg_notify` inside the
//! transaction, so they leave only if it commits, in commit order, to every
//! session that `LISTEN`s on [`CHANNEL`] (every replica, whatever wrote: the
//! API, a job or the command line). On SQLite, where one process serves a
//! database file, they go after the commit to that file's in-process bus
//! ([`local_bus`]).
//!
//! A release's `revision` is the id of the last history row written about it:
//! every unit of work locks the release before it writes (the lock order in
//! [`crate::unit_of_work`]), so one release's revisions rise in commit order.

use crate::entity::EventKind;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use tokio::sync::broadcast;

/// The PostgreSQL channel the events travel on.
pub const CHANNEL: &str = "releasedesk_live";

/// Events a replica's bus holds for subscribers that fall behind; one that
/// falls further behind is told so and stopped (see the API's subscriptions).
pub const BUS_CAPACITY: usize = 4_096;

/// One committed change, as it travels between replicas (JSON, well under
/// PostgreSQL's 8,000-byte payload limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum LiveEvent {
    /// Release `id` or something under it changed; `kinds` are the history
    /// kinds the unit of work wrote about it.
    #[serde(rename = "r")]
    Release {
        id: i32,
        revision: i64,
        kinds: Vec<EventKind>,
    },
    /// A person's tokens or roles changed: every replica forgets what it
    /// cached about them, and their subscriptions end.
    #[serde(rename = "i")]
    Identity { person_id: i32 },
    /// This replica's link to the events was lost and restored: events in
    /// between may be missing, so subscribers are told to read again.
    #[serde(rename = "g")]
    Gap,
    /// A barrier: once a replica has applied it, it has applied every event
    /// committed before it was sent (see the API's `LiveHub::settled`).
    #[serde(rename = "m")]
    Marker { token: String },
}

impl LiveEvent {
    /// The payload sent on [`CHANNEL`].
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A payload read from [`CHANNEL`]; `None` for anything else.
    pub fn decode(payload: &str) -> Option<Self> {
        serde_json::from_str(payload).ok()
    }
}

/// The payload of a [`LiveEvent::Release`] up to its revision, which
/// PostgreSQL appends (with the closing brace) where it reads it.
pub fn release_payload_head(id: i32, kinds: &[EventKind]) -> String {
    let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
    format!("{{\"t\":\"r\",\"id\":{id},\"kinds\":{kinds},\"revision\":")
}

/// What changed about a release, for subscribers: one per committed unit of
/// work and release, the most telling of what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ReleaseChangeKind {
    /// The release was created.
    Created,
    /// Its status moved (with whatever cascaded).
    StatusChanged,
    /// An approval request was opened, voted on or decided.
    ApprovalChanged,
    /// A milestone was added, edited or moved.
    MilestoneChanged,
    /// A change request was linked, unlinked, edited or rescheduled with it.
    ChangeLinked,
    /// A cost line, the budget or a final cost changed.
    CostChanged,
    /// A stakeholder was added or removed.
    StakeholdersChanged,
    /// Its fields or its review changed.
    Updated,
}

impl ReleaseChangeKind {
    fn of(kind: EventKind) -> Self {
        match kind {
            EventKind::ReleaseCreated => Self::Created,
            EventKind::ReleaseStatusChanged => Self::StatusChanged,
            EventKind::ApprovalRequested | EventKind::VoteCast | EventKind::ApprovalDecided => {
                Self::ApprovalChanged
            }
            EventKind::MilestoneAdded
            | EventKind::MilestoneUpdated
            | EventKind::MilestoneStatusChanged => Self::MilestoneChanged,
            EventKind::ChangeCreated
            | EventKind::ChangeUpdated
            | EventKind::ChangeLinked
            | EventKind::ChangeUnlinked
            | EventKind::ChangeRescheduled => Self::ChangeLinked,
            EventKind::CostAdded
            | EventKind::CostReversed
            | EventKind::BudgetChanged
            | EventKind::CostFrozen
            | EventKind::CostReopened => Self::CostChanged,
            EventKind::StakeholderAdded | EventKind::StakeholderRemoved => {
                Self::StakeholdersChanged
            }
            EventKind::ReleaseUpdated
            | EventKind::ReviewRecorded
            | EventKind::FreezeOverridden
            | EventKind::FreezeHeld => Self::Updated,
        }
    }

    /// The most telling kind among `kinds` (declaration order ranks them).
    pub fn summary(kinds: &[EventKind]) -> Self {
        kinds
            .iter()
            .map(|k| Self::of(*k))
            .min()
            .unwrap_or(Self::Updated)
    }
}

/// What happened to an approval request, for the members who vote on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ApprovalChangeKind {
    /// A request was opened (or a new round of one).
    Opened,
    /// A vote was cast, delegated or voided.
    Voted,
    /// The request was decided, timed out or cancelled.
    Decided,
}

impl ApprovalChangeKind {
    /// What `kinds` did to the release's approvals, if anything.
    pub fn of(kinds: &[EventKind]) -> Option<Self> {
        if kinds.contains(&EventKind::ApprovalDecided) {
            Some(Self::Decided)
        } else if kinds.contains(&EventKind::ApprovalRequested) {
            Some(Self::Opened)
        } else if kinds.contains(&EventKind::VoteCast) {
            Some(Self::Voted)
        } else {
            None
        }
    }
}

type Buses = Mutex<HashMap<PathBuf, broadcast::Sender<LiveEvent>>>;

static LOCAL_BUSES: LazyLock<Buses> = LazyLock::new(Buses::default);

/// The in-process bus of the SQLite database at `file`: one per file, so
/// servers on different files in one process (the tests) stay apart.
pub fn local_bus(file: &Path) -> broadcast::Sender<LiveEvent> {
    let key = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let mut buses = LOCAL_BUSES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    buses
        .entry(key)
        .or_insert_with(|| broadcast::channel(BUS_CAPACITY).0)
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_channel() {
        for event in [
            LiveEvent::Release {
                id: 7,
                revision: 42,
                kinds: vec![EventKind::ReleaseStatusChanged, EventKind::CostFrozen],
            },
            LiveEvent::Identity { person_id: 3 },
            LiveEvent::Gap,
            LiveEvent::Marker { token: "t".into() },
        ] {
            assert_eq!(LiveEvent::decode(&event.encode()), Some(event));
        }
        assert_eq!(LiveEvent::decode("not ours"), None);
        let head = release_payload_head(5, &[EventKind::CostAdded]);
        assert_eq!(
            LiveEvent::decode(&format!("{head}42}}")),
            Some(LiveEvent::Release {
                id: 5,
                revision: 42,
                kinds: vec![EventKind::CostAdded]
            })
        );
    }

    #[test]
    fn the_summary_is_the_most_telling_kind() {
        assert_eq!(
            ReleaseChangeKind::summary(&[
                EventKind::MilestoneStatusChanged,
                EventKind::ReleaseStatusChanged
            ]),
            ReleaseChangeKind::StatusChanged
        );
        assert_eq!(
            ReleaseChangeKind::summary(&[EventKind::CostAdded]),
            ReleaseChangeKind::CostChanged
        );
        assert_eq!(
            ApprovalChangeKind::of(&[EventKind::VoteCast, EventKind::ApprovalDecided]),
            Some(ApprovalChangeKind::Decided)
        );
        assert_eq!(ApprovalChangeKind::of(&[EventKind::CostAdded]), None);
    }
}
