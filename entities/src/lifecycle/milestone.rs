//! The milestone lifecycle: `PLANNED → ACTIVE → (PENDING_APPROVAL →) COMPLETED`,
//! plus `SKIPPED` and `CANCELLED`. Milestones run in sequence and only while
//! their release is ACTIVE.

use super::Refusal;
use crate::entity::{MilestoneStatus, ReleaseStatus};

/// What a user asks a milestone to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum MilestoneAction {
    Start,
    Complete,
    Approve,
    Reject,
    Skip,
    Cancel,
}

impl MilestoneAction {
    /// Every action, in the order a UI shows them.
    pub const ALL: [MilestoneAction; 6] = [
        Self::Start,
        Self::Complete,
        Self::Approve,
        Self::Reject,
        Self::Skip,
        Self::Cancel,
    ];

    /// The name the API uses for this action.
    pub fn name(self) -> &'static str {
        match self {
            Self::Start => "START",
            Self::Complete => "COMPLETE",
            Self::Approve => "APPROVE",
            Self::Reject => "REJECT",
            Self::Skip => "SKIP",
            Self::Cancel => "CANCEL",
        }
    }
}

/// What the rules need to know about a milestone besides its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneFacts {
    /// Status of the milestone's release.
    pub release_status: ReleaseStatus,
    /// Completion waits for an approval.
    pub requires_approval: bool,
    /// No milestone earlier in the sequence is still open.
    pub is_next_in_sequence: bool,
    /// The Review Board decides the approval: its request is open or timed out.
    pub awaiting_board: bool,
}

/// The status `action` leads to from `from`, or why it may not happen.
pub fn next_status(
    from: MilestoneStatus,
    action: MilestoneAction,
    facts: &MilestoneFacts,
) -> Result<MilestoneStatus, Refusal> {
    use MilestoneAction as A;
    use MilestoneStatus as S;
    let release_active = facts.release_status == ReleaseStatus::Active;
    let needs_active_release = || {
        Refusal::new(format!(
            "milestones move only while their release is ACTIVE (it is {})",
            super::release::status_name(facts.release_status)
        ))
    };
    match (from, action) {
        (S::Planned, A::Start) if !release_active => Err(needs_active_release()),
        (S::Planned, A::Start) if !facts.is_next_in_sequence => Err(Refusal::new(
            "an earlier milestone is still open; milestones run in sequence",
        )),
        (S::Planned, A::Start) => Ok(S::Active),
        (S::Active, A::Complete) if !release_active => Err(needs_active_release()),
        (S::Active, A::Complete) if facts.requires_approval => Ok(S::PendingApproval),
        (S::Active, A::Complete) => Ok(S::Completed),
        (S::PendingApproval, A::Approve | A::Reject) if !release_active => {
            Err(needs_active_release())
        }
        (S::PendingApproval, A::Approve | A::Reject) if facts.awaiting_board => Err(Refusal::new(
            "the Release Review Board decides this milestone: its members vote with castVote",
        )),
        (S::PendingApproval, A::Approve) => Ok(S::Completed),
        (S::PendingApproval, A::Reject) => Ok(S::Active),
        (S::Planned | S::Active, A::Skip | A::Cancel) | (S::PendingApproval, A::Cancel)
            if !facts.release_status.is_open() || facts.release_status == ReleaseStatus::Review =>
        {
            Err(Refusal::new("the release is no longer running"))
        }
        (S::Planned | S::Active, A::Skip) => Ok(S::Skipped),
        (S::Planned | S::Active | S::PendingApproval, A::Cancel) => Ok(S::Cancelled),
        _ => Err(Refusal::new(format!(
            "a {} milestone cannot {}",
            status_name(from),
            action.name()
        ))),
    }
}

/// The actions that would succeed right now.
pub fn available_actions(from: MilestoneStatus, facts: &MilestoneFacts) -> Vec<MilestoneAction> {
    MilestoneAction::ALL
        .into_iter()
        .filter(|action| next_status(from, *action, facts).is_ok())
        .collect()
}

/// The API name of a status, for messages and history.
pub fn status_name(status: MilestoneStatus) -> &'static str {
    match status {
        MilestoneStatus::Planned => "PLANNED",
        MilestoneStatus::Active => "ACTIVE",
        MilestoneStatus::PendingApproval => "PENDING_APPROVAL",
        MilestoneStatus::Completed => "COMPLETED",
        MilestoneStatus::Cancelled => "CANCELLED",
        MilestoneStatus::Skipped => "SKIPPED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MilestoneAction as A;
    use MilestoneStatus as S;

    fn facts(requires_approval: bool) -> MilestoneFacts {
        MilestoneFacts {
            release_status: ReleaseStatus::Active,
            requires_approval,
            is_next_in_sequence: true,
            awaiting_board: false,
        }
    }

    #[test]
    fn every_status_and_action_follows_the_table() {
        // (from, action, requires_approval, expected)
        let allowed: &[(S, A, bool, S)] = &[
            (S::Planned, A::Start, false, S::Active),
            (S::Planned, A::Skip, false, S::Skipped),
            (S::Planned, A::Cancel, false, S::Cancelled),
            (S::Active, A::Complete, false, S::Completed),
            (S::Active, A::Complete, true, S::PendingApproval),
            (S::Active, A::Skip, false, S::Skipped),
            (S::Active, A::Cancel, false, S::Cancelled),
            (S::PendingApproval, A::Approve, true, S::Completed),
            (S::PendingApproval, A::Reject, true, S::Active),
            (S::PendingApproval, A::Cancel, true, S::Cancelled),
        ];
        for from in [
            S::Planned,
            S::Active,
            S::PendingApproval,
            S::Completed,
            S::Cancelled,
            S::Skipped,
        ] {
            for action in MilestoneAction::ALL {
                for requires_approval in [false, true] {
                    let expected = allowed
                        .iter()
                        .find(|(f, a, r, _)| {
                            *f == from
                                && *a == action
                                && (*r == requires_approval
                                    || from != S::Active
                                    || action != A::Complete)
                        })
                        .map(|(_, _, _, to)| *to);
                    let got = next_status(from, action, &facts(requires_approval)).ok();
                    assert_eq!(
                        got, expected,
                        "{from:?} --{action:?}--> (approval {requires_approval})"
                    );
                }
            }
        }
    }

    #[test]
    fn the_board_decides_a_governed_approval() {
        let governed = MilestoneFacts {
            awaiting_board: true,
            ..facts(true)
        };
        assert!(next_status(S::PendingApproval, A::Approve, &governed).is_err());
        assert!(next_status(S::PendingApproval, A::Reject, &governed).is_err());
        assert_eq!(
            next_status(S::PendingApproval, A::Cancel, &governed),
            Ok(S::Cancelled)
        );
    }

    #[test]
    fn milestones_run_in_sequence() {
        let waiting = MilestoneFacts {
            is_next_in_sequence: false,
            ..facts(false)
        };
        assert!(next_status(S::Planned, A::Start, &waiting).is_err());
    }

    #[test]
    fn work_moves_only_while_the_release_is_active() {
        let on_hold = MilestoneFacts {
            release_status: ReleaseStatus::OnHold,
            ..facts(false)
        };
        assert!(next_status(S::Active, A::Complete, &on_hold).is_err());
        assert!(next_status(S::Planned, A::Start, &on_hold).is_err());
        // planning can still drop a milestone while the release waits
        assert_eq!(next_status(S::Planned, A::Skip, &on_hold), Ok(S::Skipped));
        let closed = MilestoneFacts {
            release_status: ReleaseStatus::Closed,
            ..facts(false)
        };
        assert!(next_status(S::Planned, A::Cancel, &closed).is_err());
    }
    #[test]
    fn status_names_are_the_stored_values() {
        use sea_orm::{ActiveEnum, Iterable};
        for status in crate::entity::MilestoneStatus::iter() {
            assert_eq!(status_name(status), status.to_value());
        }
    }
}
