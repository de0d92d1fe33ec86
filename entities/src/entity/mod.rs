//! SeaORM models, one module per table. Enums are stored as strings so one
//! entity set serves SQLite and PostgreSQL.

pub mod api_token;
pub mod approval_delegation;
pub mod approval_request;
pub mod approval_vote;
pub mod audit_event;
pub mod calendar_feed;
pub mod change_item;
pub mod change_request;
pub mod configuration_item;
pub mod cost_line;
pub mod history_event;
pub mod job_run;
pub mod job_schedule;
pub mod milestone;
pub mod milestone_template;
pub mod outbox_message;
pub mod package_item;
pub mod person;
pub mod person_role;
pub mod release;
pub mod release_package;
pub mod report_snapshot;
pub mod review_board_policy;
pub mod schedule_window;
pub mod schedule_window_item;
pub mod service_key;
pub mod stakeholder;
pub mod template_item;

pub use approval_request::{ApprovalStatus, DecisionRule};
pub use approval_vote::VoteDecision;
pub use change_request::{ChangeRisk, ChangeState};
pub use configuration_item::ItemType;
pub use cost_line::CostCategory;
pub use history_event::{EventKind, SubjectType};
pub use job_run::{JobOutcome, JobTrigger};
pub use milestone::MilestoneStatus;
pub use outbox_message::OutboxStatus;
pub use person_role::Role;
pub use release::{ReleaseScope, ReleaseStatus, ReleaseType, ReviewOutcome};
pub use schedule_window::{Enforcement, WindowKind};
pub use stakeholder::StakeholderRole;
