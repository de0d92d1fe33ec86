//! How votes decide an approval request: a pure function of the rule and the tally.

use crate::entity::DecisionRule;

/// The votes of one request; delegated votes are not counted (their delegate's are).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub approved: u32,
    pub rejected: u32,
    pub pending: u32,
}

impl Tally {
    /// Everyone whose vote counts.
    pub fn voters(&self) -> u32 {
        self.approved + self.rejected + self.pending
    }
}

/// What a request's votes decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approved,
    Rejected,
}

/// Approvals `rule` needs from `voters` (for `QUORUM`, at most the voters).
pub fn approvals_needed(rule: DecisionRule, quorum: Option<i32>, voters: u32) -> u32 {
    match rule {
        DecisionRule::All => voters,
        DecisionRule::Majority => voters / 2 + 1,
        DecisionRule::Quorum => u32::try_from(quorum.unwrap_or(1).max(1))
            .unwrap_or(1)
            .min(voters),
        DecisionRule::Any => 1.min(voters),
    }
}

/// The verdict once the tally settles it, `None` while it could still go either way.
///
/// `ALL` rejects on the first rejection (as ServiceNow does); `MAJORITY` and
/// `QUORUM` reject as soon as the approvals needed can no longer come; `ANY`
/// takes the first decision either way (the emergency fast path).
pub fn decide(rule: DecisionRule, quorum: Option<i32>, tally: Tally) -> Option<Verdict> {
    if tally.voters() == 0 {
        return None;
    }
    if rule == DecisionRule::Any {
        return match (tally.approved, tally.rejected) {
            (0, 0) => None,
            (0, _) => Some(Verdict::Rejected),
            _ => Some(Verdict::Approved),
        };
    }
    let needed = approvals_needed(rule, quorum, tally.voters());
    if tally.approved >= needed {
        Some(Verdict::Approved)
    } else if tally.approved + tally.pending < needed {
        Some(Verdict::Rejected)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecisionRule as R;

    fn tally(approved: u32, rejected: u32, pending: u32) -> Tally {
        Tally {
            approved,
            rejected,
            pending,
        }
    }

    #[test]
    fn all_needs_everyone_and_one_rejection_rejects() {
        assert_eq!(decide(R::All, None, tally(2, 0, 1)), None);
        assert_eq!(
            decide(R::All, None, tally(3, 0, 0)),
            Some(Verdict::Approved)
        );
        assert_eq!(
            decide(R::All, None, tally(0, 1, 2)),
            Some(Verdict::Rejected)
        );
    }

    #[test]
    fn majority_decides_once_the_outcome_is_certain() {
        assert_eq!(decide(R::Majority, None, tally(1, 0, 2)), None);
        assert_eq!(
            decide(R::Majority, None, tally(2, 0, 1)),
            Some(Verdict::Approved)
        );
        assert_eq!(decide(R::Majority, None, tally(1, 1, 1)), None);
        assert_eq!(
            decide(R::Majority, None, tally(0, 2, 1)),
            Some(Verdict::Rejected)
        );
        // an even board needs more than half
        assert_eq!(
            decide(R::Majority, None, tally(2, 2, 0)),
            Some(Verdict::Rejected)
        );
    }

    #[test]
    fn quorum_counts_approvals_and_is_capped_at_the_board() {
        assert_eq!(
            decide(R::Quorum, Some(2), tally(2, 1, 0)),
            Some(Verdict::Approved)
        );
        assert_eq!(decide(R::Quorum, Some(2), tally(1, 1, 1)), None);
        assert_eq!(
            decide(R::Quorum, Some(2), tally(0, 2, 1)),
            Some(Verdict::Rejected)
        );
        assert_eq!(
            decide(R::Quorum, Some(9), tally(3, 0, 0)),
            Some(Verdict::Approved)
        );
    }

    #[test]
    fn any_takes_the_first_decision() {
        assert_eq!(decide(R::Any, None, tally(0, 0, 3)), None);
        assert_eq!(
            decide(R::Any, None, tally(1, 0, 2)),
            Some(Verdict::Approved)
        );
        assert_eq!(
            decide(R::Any, None, tally(0, 1, 2)),
            Some(Verdict::Rejected)
        );
    }

    #[test]
    fn nobody_to_vote_decides_nothing() {
        for rule in [R::All, R::Majority, R::Quorum, R::Any] {
            assert_eq!(decide(rule, Some(1), Tally::default()), None);
        }
    }
}
