//! Releasedesk's data model and the domain rules that belong to the data.
//!
//! The API and the jobs both call the operations here; nothing in this crate
//! knows about HTTP, GraphQL or SMTP.

pub mod access;
pub mod approvals;
pub mod audit;
pub mod calendar;
pub mod changes;
pub mod clock;
pub mod costs;
pub mod entity;
pub mod error;
pub mod gauges;
pub mod history;
pub mod kit;
pub mod lifecycle;
pub mod live;
pub mod mail;
pub mod milestones;
pub mod notifications;
pub mod outbox;
pub mod packages;
pub mod people;
pub mod policy;
pub mod releases;
pub mod reports;
pub mod rows;
pub mod schedule;
pub mod shapes;
pub mod stakeholders;
pub mod templates;
pub mod tokens;
pub mod unit_of_work;
pub mod validate;
pub mod windows;
pub mod workflow;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, DomainResult};
pub use policy::Actor;
pub use unit_of_work::{write, write_leased, Event, Lease, Subject, Tx};

/// Who made a change and when: stamped on every row and history event a change
/// writes, and, for API calls, the audit event written in the same transaction.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// The moment of the change, in UTC.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who acts; the policy decides what they may do.
    pub actor: Actor,
    /// The audit record to commit with the change; `None` outside the API.
    pub audit: Option<std::sync::Arc<audit::AuditContext>>,
}

impl Stamp {
    /// A change by the service itself (demo data, command line, jobs, tests).
    pub fn system(at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            at,
            actor: Actor::System,
            audit: None,
        }
    }
}
