//! The release report for a period: counts, delivery against plan, review
//! outcomes, lead times, cost against budget, what is coming and what waits
//! for the board. Read in a fixed number of queries; the figures are computed
//! here so the API, the weekly job and the command line print the same report.

use crate::entity::{
    approval_request, history_event, release, ApprovalStatus, EventKind, ReleaseScope,
    ReleaseStatus, ReleaseType, ReviewOutcome,
};
use crate::lifecycle::release::status_name;
use crate::policy::Capability;
use crate::{DomainError, DomainResult};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{prelude::*, sea_query::ExprTrait, ActiveEnum, Condition, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Longest period a report covers: ten years.
const MAX_PERIOD_DAYS: i64 = 3_660;
/// Rows in each "top" list.
const TOP: usize = 5;
/// How far ahead "upcoming" looks.
const UPCOMING_DAYS: i64 = 30;

/// Which releases a report covers besides the period.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub types: Vec<ReleaseType>,
    pub scopes: Vec<ReleaseScope>,
}

/// A count under a name (a status, a type, a scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// Review outcomes of the releases completed in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reviews {
    pub successful: i64,
    pub partially_successful: i64,
    pub failed: i64,
    /// Successful among reviewed, 0 to 1.
    pub success_rate: Option<f64>,
}

/// Budget and cost of one release type (minor units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeCost {
    pub release_type: String,
    pub budget: i64,
    pub cost: i64,
    pub variance: i64,
}

/// One release in a list of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRelease {
    pub id: i32,
    pub title: String,
    pub release_type: String,
    pub scope: String,
    pub status: String,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub budget: Option<i64>,
    /// Final cost when frozen, else running.
    pub cost: i64,
    /// Cost minus budget, when there is a budget.
    pub variance: Option<i64>,
}

/// An approval request still waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingApproval {
    pub approval_id: i32,
    pub release_id: i32,
    pub release_title: String,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub waiting_hours: f64,
}

/// The report; see the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseReport {
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// Releases whose planned or actual window overlaps the period (or, with
    /// neither, created in it).
    pub total: i64,
    pub by_status: Vec<Count>,
    pub by_type: Vec<Count>,
    pub by_scope: Vec<Count>,
    /// Closed in the period.
    pub completed: i64,
    /// Of those, closed by their planned end.
    pub on_time: i64,
    pub late: i64,
    /// How late the late ones closed, on average.
    pub average_slip_hours: Option<f64>,
    pub reviews: Reviews,
    /// EMERGENCY releases among all, 0 to 1.
    pub emergency_share: Option<f64>,
    /// From the first request to closing, for releases closed in the period.
    pub lead_time_median_hours: Option<f64>,
    pub lead_time_p90_hours: Option<f64>,
    pub cost_by_type: Vec<TypeCost>,
    pub largest_overruns: Vec<ReportRelease>,
    /// Planned to start within 30 days of the report.
    pub upcoming: Vec<ReportRelease>,
    pub approvals_waiting_longest: Vec<WaitingApproval>,
    /// Every release the report covers, by id (the CSV attachment).
    pub releases: Vec<ReportRelease>,
}

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

/// The nearest-rank percentile `p` (0 to 100) of sorted `values`.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn row(r: &release::Model) -> ReportRelease {
    let cost = r.cost_final.unwrap_or(r.cost_running);
    ReportRelease {
        id: r.id,
        title: r.title.clone(),
        release_type: r.release_type.to_value(),
        scope: r.scope.to_value(),
        status: status_name(r.status).to_owned(),
        planned_start: r.planned_start,
        planned_end: r.planned_end,
        actual_start: r.actual_start,
        actual_end: r.actual_end,
        budget: r.budget,
        cost,
        variance: r.budget.map(|b| cost.saturating_sub(b)),
    }
}

/// Checks a report period: `from` before `to`, within ten years, in 1970..9999.
pub fn check_period(from: DateTime<Utc>, to: DateTime<Utc>) -> DomainResult<()> {
    crate::validate::instant("from", from)?;
    crate::validate::instant("to", to)?;
    if to <= from {
        return Err(DomainError::validation("to", "to must be after from"));
    }
    if to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(DomainError::validation(
            "to",
            format!("a report covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok(())
}

/// The report of `[from, to)` as seen at `now`, for an actor who may see every release.
pub async fn release_report<C: ConnectionTrait>(
    db: &C,
    actor: &crate::Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &ReportFilter,
    now: DateTime<Utc>,
) -> DomainResult<ReleaseReport> {
    actor.require(Capability::SeeAllReleases)?;
    check_period(from, to)?;
    let in_period = Condition::any()
        .add(
            release::Column::PlannedStart
                .lt(to)
                .and(release::Column::PlannedEnd.gte(from)),
        )
        .add(
            release::Column::ActualStart.lt(to).and(
                release::Column::ActualEnd
                    .gte(from)
                    .or(release::Column::ActualEnd.is_null()),
            ),
        )
        .add(
            release::Column::PlannedStart
                .is_null()
                .and(release::Column::ActualStart.is_null())
                .and(release::Column::CreatedAt.gte(from))
                .and(release::Column::CreatedAt.lt(to)),
        );
    let mut query = release::Entity::find().filter(in_period);
    if !filter.types.is_empty() {
        query = query.filter(release::Column::ReleaseType.is_in(filter.types.clone()));
    }
    if !filter.scopes.is_empty() {
        query = query.filter(release::Column::Scope.is_in(filter.scopes.clone()));
    }
    let releases = query.order_by_asc(release::Column::Id).all(db).await?;

    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_type: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_scope: BTreeMap<String, i64> = BTreeMap::new();
    for r in &releases {
        *by_status
            .entry(status_name(r.status).to_owned())
            .or_default() += 1;
        *by_type.entry(r.release_type.to_value()).or_default() += 1;
        *by_scope.entry(r.scope.to_value()).or_default() += 1;
    }
    let counts = |map: BTreeMap<String, i64>| {
        map.into_iter()
            .map(|(key, count)| Count { key, count })
            .collect::<Vec<_>>()
    };

    let completed: Vec<&release::Model> = releases
        .iter()
        .filter(|r| r.status == ReleaseStatus::Closed)
        .filter(|r| r.actual_end.is_some_and(|end| end >= from && end < to))
        .collect();
    let mut on_time = 0;
    let mut slips = Vec::new();
    for r in &completed {
        match (r.actual_end, r.planned_end) {
            (Some(end), Some(planned)) if end > planned => slips.push(hours(end - planned)),
            _ => on_time += 1,
        }
    }
    let mut reviews = Reviews::default();
    for r in &completed {
        match r.review_outcome {
            Some(ReviewOutcome::Successful) => reviews.successful += 1,
            Some(ReviewOutcome::PartiallySuccessful) => reviews.partially_successful += 1,
            Some(ReviewOutcome::Failed) => reviews.failed += 1,
            None => {}
        }
    }
    let reviewed = reviews.successful + reviews.partially_successful + reviews.failed;
    reviews.success_rate = (reviewed > 0).then(|| reviews.successful as f64 / reviewed as f64);

    // lead time: from the first move to REQUESTED until closing
    let completed_ids: Vec<i32> = completed.iter().map(|r| r.id).collect();
    let requested: HashMap<i32, DateTime<Utc>> = if completed_ids.is_empty() {
        HashMap::new()
    } else {
        history_event::Entity::find()
            .select_only()
            .column(history_event::Column::SubjectId)
            .column_as(history_event::Column::OccurredAt.min(), "at")
            .filter(history_event::Column::SubjectType.eq(crate::entity::SubjectType::Release))
            .filter(history_event::Column::SubjectId.is_in(completed_ids))
            .filter(history_event::Column::Kind.eq(EventKind::ReleaseStatusChanged))
            .filter(history_event::Column::ToValue.eq("REQUESTED"))
            .filter(history_event::Column::MilestoneId.is_null())
            .group_by(history_event::Column::SubjectId)
            .into_tuple::<(i32, DateTime<Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut lead_times: Vec<f64> = completed
        .iter()
        .filter_map(|r| Some(hours(r.actual_end? - *requested.get(&r.id)?)))
        .collect();
    lead_times.sort_by(f64::total_cmp);

    let emergency = releases
        .iter()
        .filter(|r| r.release_type == ReleaseType::Emergency)
        .count() as f64;
    let rows: Vec<ReportRelease> = releases.iter().map(row).collect();
    let mut cost_by_type: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let entry = cost_by_type.entry(r.release_type.clone()).or_default();
        entry.0 += r.budget.unwrap_or(0);
        entry.1 += r.cost;
    }
    let mut overruns: Vec<ReportRelease> = rows
        .iter()
        .filter(|r| r.variance.is_some_and(|v| v > 0))
        .cloned()
        .collect();
    overruns.sort_by(|a, b| b.variance.cmp(&a.variance).then(a.id.cmp(&b.id)));
    overruns.truncate(TOP);

    let upcoming = release::Entity::find()
        .filter(release::Column::PlannedStart.gte(now))
        .filter(release::Column::PlannedStart.lt(now + Duration::days(UPCOMING_DAYS)))
        .filter(release::Column::Status.is_not_in(ReleaseStatus::FINAL))
        .order_by_asc(release::Column::PlannedStart)
        .order_by_asc(release::Column::Id)
        .limit(20)
        .all(db)
        .await?
        .iter()
        .map(row)
        .collect();
    let waiting_requests = approval_request::Entity::find()
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
        .order_by_asc(approval_request::Column::OpenedAt)
        .order_by_asc(approval_request::Column::Id)
        .limit(TOP as u64)
        .all(db)
        .await?;
    let titles: HashMap<i32, String> = release::Entity::find()
        .select_only()
        .column(release::Column::Id)
        .column(release::Column::Title)
        .filter(release::Column::Id.is_in(waiting_requests.iter().map(|r| r.release_id)))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let approvals_waiting_longest = waiting_requests
        .into_iter()
        .map(|r| WaitingApproval {
            approval_id: r.id,
            release_id: r.release_id,
            release_title: titles.get(&r.release_id).cloned().unwrap_or_default(),
            opened_at: r.opened_at,
            due_at: r.due_at,
            waiting_hours: hours(now - r.opened_at),
        })
        .collect();

    Ok(ReleaseReport {
        period_from: from,
        period_to: to,
        generated_at: now,
        total: releases.len() as i64,
        by_status: counts(by_status),
        by_type: counts(by_type),
        by_scope: counts(by_scope),
        completed: completed.len() as i64,
        on_time,
        late: slips.len() as i64,
        average_slip_hours: (!slips.is_empty())
            .then(|| slips.iter().sum::<f64>() / slips.len() as f64),
        reviews,
        emergency_share: (!releases.is_empty()).then(|| emergency / releases.len() as f64),
        lead_time_median_hours: percentile(&lead_times, 50.0),
        lead_time_p90_hours: percentile(&lead_times, 90.0),
        cost_by_type: cost_by_type
            .into_iter()
            .map(|(release_type, (budget, cost))| TypeCost {
                release_type,
                budget,
                cost,
                variance: cost - budget,
            })
            .collect(),
        largest_overruns: overruns,
        upcoming,
        approvals_waiting_longest,
        releases: rows,
    })
}

/// The releases of `report` as CSV (RFC 4180, a header row, UTF-8).
pub fn to_csv(report: &ReleaseReport) -> String {
    fn field(value: &str) -> String {
        // quote everything that needs it; a leading formula character is
        // prefixed so spreadsheets do not evaluate titles
        let safe = if value.starts_with(['=', '+', '-', '@']) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        if safe.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", safe.replace('"', "\"\""))
        } else {
            safe
        }
    }
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    let mut out = String::from(
        "id,title,type,scope,status,planned_start,planned_end,actual_start,actual_end,budget,cost,variance\r\n",
    );
    for r in &report.releases {
        let cells = [
            r.id.to_string(),
            field(&r.title),
            r.release_type.clone(),
            r.scope.clone(),
            r.status.clone(),
            time(r.planned_start),
            time(r.planned_end),
            time(r.actual_start),
            time(r.actual_end),
            r.budget.map(|b| b.to_string()).unwrap_or_default(),
            r.cost.to_string(),
            r.variance.map(|v| v.to_string()).unwrap_or_default(),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&values, 50.0), Some(5.0));
        assert_eq!(percentile(&values, 90.0), Some(9.0));
        assert_eq!(percentile(&[4.0], 90.0), Some(4.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn enum_names_are_the_api_names() {
        // the report names types and scopes by their stored values
        assert_eq!(ReleaseScope::Standalone.to_value(), "STANDALONE");
        assert_eq!(ReleaseType::Emergency.to_value(), "EMERGENCY");
        assert_eq!(
            ReviewOutcome::PartiallySuccessful.to_value(),
            "PARTIALLY_SUCCESSFUL"
        );
    }
}
