//! Releasedesk's data model and the domain rules that belong to the data.
//!
//! The API and the jobs both call the operations here; nothing in this crate
//! knows about HTTP, GraphQL or SMTP.

pub mod access;
pub mod audit;
pub mod clock;
pub mod entity;
pub mod error;
pub mod history;
pub mod lifecycle;
pub mod milestones;
pub mod people;
pub mod release_query;
pub mod releases;
pub mod stakeholders;
pub mod templates;
pub mod tokens;
mod validate;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, DomainResult};

/// Who made a change and when: stamped on every row and history event a change
/// writes, and, for API calls, the audit event written in the same transaction.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// The moment of the change, in UTC.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The person acting, when known.
    pub actor_id: Option<i32>,
    /// The audit record to commit with the change; `None` outside the API.
    pub audit: Option<std::sync::Arc<audit::AuditContext>>,
}

impl Stamp {
    /// A change by nobody in particular (demo data, command line, tests).
    pub fn system(at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            at,
            actor_id: None,
            audit: None,
        }
    }
}
