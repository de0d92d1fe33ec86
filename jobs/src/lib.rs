//! Releasedesk's scheduled jobs: change-schedule sync, cost roll-up, approval
//! e-mails and scheduled reports. None exists yet; they arrive with their issues.
//! This crate depends on `entities` only, never on `api`.
