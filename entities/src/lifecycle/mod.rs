//! The state machines: pure functions `(state, action, facts) -> Result<new state, refusal>`.
//! Resolvers and jobs call these; no other code decides whether a transition is allowed.

pub mod approval;
pub mod milestone;
pub mod release;

/// Why a transition was refused, in words a release manager understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl Refusal {
    fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}
