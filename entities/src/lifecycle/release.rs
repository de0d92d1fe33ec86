//! The release lifecycle:
//! `DRAFT → REQUESTED → APPROVED → ACTIVE ⇄ ON_HOLD → REVIEW → CLOSED`,
//! `REQUESTED → REJECTED`, and `CANCELLED` from any open state.

use super::Refusal;
use crate::entity::ReleaseStatus;

/// What a user (or a rule) asks a release to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ReleaseAction {
    Submit,
    Approve,
    Reject,
    Start,
    Hold,
    Resume,
    Complete,
    Close,
    Cancel,
}

impl ReleaseAction {
    /// Every action, in the order a UI shows them.
    pub const ALL: [ReleaseAction; 9] = [
        Self::Submit,
        Self::Approve,
        Self::Reject,
        Self::Start,
        Self::Hold,
        Self::Resume,
        Self::Complete,
        Self::Close,
        Self::Cancel,
    ];

    /// The name the API uses for this action.
    pub fn name(self) -> &'static str {
        match self {
            Self::Submit => "SUBMIT",
            Self::Approve => "APPROVE",
            Self::Reject => "REJECT",
            Self::Start => "START",
            Self::Hold => "HOLD",
            Self::Resume => "RESUME",
            Self::Complete => "COMPLETE",
            Self::Close => "CLOSE",
            Self::Cancel => "CANCEL",
        }
    }
}

/// What the rules need to know about a release besides its status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseFacts {
    /// Both planned start and planned end are set.
    pub has_planned_window: bool,
    /// Milestones still PLANNED, ACTIVE or PENDING_APPROVAL.
    pub open_milestones: u32,
    /// A review outcome and lessons learned are recorded.
    pub review_recorded: bool,
    /// Phases of this (master) release that are not closed, rejected or cancelled.
    pub open_phases: u32,
    /// The master's status, for a phase.
    pub master_status: Option<ReleaseStatus>,
    /// The Review Board decides the request: its approval is open or timed out.
    pub awaiting_board: bool,
}

/// The status `action` leads to from `from`, or why it may not happen.
pub fn next_status(
    from: ReleaseStatus,
    action: ReleaseAction,
    facts: &ReleaseFacts,
) -> Result<ReleaseStatus, Refusal> {
    use ReleaseAction as A;
    use ReleaseStatus as S;
    let wrong_state = || {
        Refusal::new(format!(
            "a {} release cannot {}",
            status_name(from),
            action.name()
        ))
    };
    match (from, action) {
        (S::Draft, A::Submit) => Ok(S::Requested),
        (S::Requested, A::Approve | A::Reject) if facts.awaiting_board => Err(Refusal::new(
            "the Release Review Board decides this release: its members vote with castVote",
        )),
        (S::Requested, A::Approve) => Ok(S::Approved),
        (S::Requested, A::Reject) => Ok(S::Rejected),
        (S::Approved, A::Start) => {
            if !facts.has_planned_window {
                return Err(Refusal::new(
                    "a release needs a planned start and end before it can start",
                ));
            }
            match facts.master_status {
                Some(master) if master != S::Active => Err(Refusal::new(format!(
                    "a phase can start only while its master is ACTIVE (master is {})",
                    status_name(master)
                ))),
                _ => Ok(S::Active),
            }
        }
        (S::Active, A::Hold) => Ok(S::OnHold),
        (S::OnHold, A::Resume) => Ok(S::Active),
        (S::Active, A::Complete) => {
            if facts.open_milestones > 0 {
                Err(Refusal::new(format!(
                    "{} milestone(s) are still open; the release enters REVIEW when the last one completes",
                    facts.open_milestones
                )))
            } else {
                Ok(S::Review)
            }
        }
        (S::Review, A::Close) => {
            if !facts.review_recorded {
                Err(Refusal::new(
                    "record the review (outcome and lessons learned) before closing",
                ))
            } else if facts.open_phases > 0 {
                Err(Refusal::new(format!(
                    "a master cannot close while {} of its phases are open",
                    facts.open_phases
                )))
            } else {
                Ok(S::Closed)
            }
        }
        (status, A::Cancel) if status.is_open() => Ok(S::Cancelled),
        _ => Err(wrong_state()),
    }
}

/// The actions that would succeed right now, so a UI draws only working buttons.
pub fn available_actions(from: ReleaseStatus, facts: &ReleaseFacts) -> Vec<ReleaseAction> {
    ReleaseAction::ALL
        .into_iter()
        .filter(|action| next_status(from, *action, facts).is_ok())
        .collect()
}

/// The API name of a status, for messages and history.
pub fn status_name(status: ReleaseStatus) -> &'static str {
    match status {
        ReleaseStatus::Draft => "DRAFT",
        ReleaseStatus::Requested => "REQUESTED",
        ReleaseStatus::Approved => "APPROVED",
        ReleaseStatus::Rejected => "REJECTED",
        ReleaseStatus::Active => "ACTIVE",
        ReleaseStatus::OnHold => "ON_HOLD",
        ReleaseStatus::Review => "REVIEW",
        ReleaseStatus::Closed => "CLOSED",
        ReleaseStatus::Cancelled => "CANCELLED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReleaseAction as A;
    use ReleaseStatus as S;

    fn ready() -> ReleaseFacts {
        ReleaseFacts {
            has_planned_window: true,
            open_milestones: 0,
            review_recorded: true,
            open_phases: 0,
            master_status: None,
            awaiting_board: false,
        }
    }

    #[test]
    fn every_status_and_action_follows_the_table() {
        // (from, action, expected outcome with facts that satisfy every guard)
        let allowed: &[(S, A, S)] = &[
            (S::Draft, A::Submit, S::Requested),
            (S::Draft, A::Cancel, S::Cancelled),
            (S::Requested, A::Approve, S::Approved),
            (S::Requested, A::Reject, S::Rejected),
            (S::Requested, A::Cancel, S::Cancelled),
            (S::Approved, A::Start, S::Active),
            (S::Approved, A::Cancel, S::Cancelled),
            (S::Active, A::Hold, S::OnHold),
            (S::Active, A::Complete, S::Review),
            (S::Active, A::Cancel, S::Cancelled),
            (S::OnHold, A::Resume, S::Active),
            (S::OnHold, A::Cancel, S::Cancelled),
            (S::Review, A::Close, S::Closed),
            (S::Review, A::Cancel, S::Cancelled),
        ];
        for from in [
            S::Draft,
            S::Requested,
            S::Approved,
            S::Rejected,
            S::Active,
            S::OnHold,
            S::Review,
            S::Closed,
            S::Cancelled,
        ] {
            for action in ReleaseAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                let got = next_status(from, action, &ready()).ok();
                assert_eq!(got, expected, "{from:?} --{action:?}-->");
            }
        }
    }

    #[test]
    fn starting_needs_a_planned_window() {
        let facts = ReleaseFacts {
            has_planned_window: false,
            ..ready()
        };
        let refusal = next_status(S::Approved, A::Start, &facts).unwrap_err();
        assert!(refusal.0.contains("planned start and end"));
    }

    #[test]
    fn a_phase_starts_only_under_an_active_master() {
        for (master, ok) in [(S::Approved, false), (S::Active, true), (S::OnHold, false)] {
            let facts = ReleaseFacts {
                master_status: Some(master),
                ..ready()
            };
            assert_eq!(next_status(S::Approved, A::Start, &facts).is_ok(), ok);
        }
    }

    #[test]
    fn completing_by_hand_needs_no_open_milestones() {
        let facts = ReleaseFacts {
            open_milestones: 2,
            ..ready()
        };
        assert!(next_status(S::Active, A::Complete, &facts).is_err());
    }

    #[test]
    fn closing_needs_a_review_and_no_open_phases() {
        let no_review = ReleaseFacts {
            review_recorded: false,
            ..ready()
        };
        assert!(next_status(S::Review, A::Close, &no_review).is_err());
        let open_phase = ReleaseFacts {
            open_phases: 1,
            ..ready()
        };
        let refusal = next_status(S::Review, A::Close, &open_phase).unwrap_err();
        assert!(refusal.0.contains("phases"));
    }

    #[test]
    fn the_board_decides_a_request_it_governs() {
        let governed = ReleaseFacts {
            awaiting_board: true,
            ..ready()
        };
        assert!(next_status(S::Requested, A::Approve, &governed).is_err());
        assert!(next_status(S::Requested, A::Reject, &governed).is_err());
        assert_eq!(available_actions(S::Requested, &governed), vec![A::Cancel]);
    }

    #[test]
    fn available_actions_lists_exactly_the_working_ones() {
        assert_eq!(
            available_actions(S::Active, &ready()),
            vec![A::Hold, A::Complete, A::Cancel]
        );
        let busy = ReleaseFacts {
            open_milestones: 1,
            ..ready()
        };
        assert_eq!(
            available_actions(S::Active, &busy),
            vec![A::Hold, A::Cancel]
        );
        assert!(available_actions(S::Closed, &ready()).is_empty());
    }
    #[test]
    fn status_names_are_the_stored_values() {
        use sea_orm::{ActiveEnum, Iterable};
        for status in crate::entity::ReleaseStatus::iter() {
            assert_eq!(status_name(status), status.to_value());
        }
    }
}
