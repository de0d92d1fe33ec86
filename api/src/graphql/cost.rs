//! Costs: budgets, the cost ledger, frozen figures, and the release report.
//! Money is in minor units (cents) of the deployment's currency, as `Float`
//! because GraphQL's `Int` has 32 bits; values are whole numbers up to 10^13.

use super::error::{parse_id, validation, GqlResultExt};
use super::guard;
use super::loaders::{CostLinesOf, PersonById};
use super::people::Person;
use super::write::write;
use super::RequestLoader;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entities::costs::{self, NewCostLine};
use entities::entity::{cost_line, report_snapshot, CostCategory, ReleaseScope, ReleaseType};
use entities::policy::Capability;
use entities::reports::{self, ReportFilter};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};

/// Most snapshots one `reportSnapshots` list holds.
const MAX_SNAPSHOTS: i32 = 100;

/// A whole number of minor units from a `Float` argument, or `VALIDATION`.
fn minor_units(field: &str, value: f64) -> Result<i64> {
    if value.is_finite() && value.fract() == 0.0 && value.abs() <= costs::MAX_AMOUNT as f64 {
        Ok(value as i64)
    } else {
        Err(validation(
            field,
            &format!(
                "{field} is a whole number of minor units (cents) up to {}",
                costs::MAX_AMOUNT
            ),
        ))
    }
}

/// A release's cost figures.
#[derive(SimpleObject)]
pub struct ReleaseCost {
    /// Its lines, its milestones' and (for a master) its phases', so far.
    pub running: f64,
    /// Frozen when the release closed.
    #[graphql(name = "final")]
    pub final_cost: Option<f64>,
    pub budget: Option<f64>,
    /// Final (or running) cost minus budget; positive is an overrun.
    pub variance: Option<f64>,
    /// ISO 4217 code of every amount.
    pub currency: String,
}

impl ReleaseCost {
    /// The figures of `release` in `currency`.
    pub fn of(release: &entities::entity::release::Model, currency: &str) -> Self {
        let figures = costs::CostFigures::of_release(release);
        Self {
            running: figures.running as f64,
            final_cost: figures.final_cost.map(|v| v as f64),
            budget: figures.budget.map(|v| v as f64),
            variance: figures.variance().map(|v| v as f64),
            currency: currency.to_owned(),
        }
    }
}

/// A milestone's cost figures.
#[derive(SimpleObject)]
pub struct MilestoneCost {
    pub running: f64,
    /// Frozen when the milestone completed.
    #[graphql(name = "final")]
    pub final_cost: Option<f64>,
    pub currency: String,
}

impl MilestoneCost {
    /// The figures of `milestone` in `currency`.
    pub fn of(milestone: &entities::entity::milestone::Model, currency: &str) -> Self {
        Self {
            running: milestone.cost_running as f64,
            final_cost: milestone.cost_final.map(|v| v as f64),
            currency: currency.to_owned(),
        }
    }
}

/// One line of the cost ledger; lines are never edited or deleted.
pub struct CostLine(pub cost_line::Model);

#[Object]
impl CostLine {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn release_id(&self) -> ID {
        ID(self.0.release_id.to_string())
    }
    async fn milestone_id(&self) -> Option<ID> {
        self.0.milestone_id.map(|id| ID(id.to_string()))
    }
    async fn category(&self) -> CostCategory {
        self.0.category
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Minor units; negative on a reversal.
    async fn amount(&self) -> f64 {
        self.0.amount as f64
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn incurred_on(&self) -> NaiveDate {
        self.0.incurred_on
    }
    async fn entered_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.entered_by else {
            return Ok(None);
        };
        let loader = ctx.data::<RequestLoader>()?;
        Ok(loader.load_one(PersonById(id)).await.gql()?.map(Person))
    }
    async fn entered_at(&self) -> DateTime<Utc> {
        self.0.entered_at
    }
    /// The line this one reverses.
    async fn reverses_id(&self) -> Option<ID> {
        self.0.reverses_id.map(|id| ID(id.to_string()))
    }
}

/// The cost lines of a release, oldest first (for `Release.costLines`).
pub async fn lines_of(ctx: &Context<'_>, release_id: i32) -> Result<Vec<CostLine>> {
    let loader = ctx.data::<RequestLoader>()?;
    Ok(loader
        .load_one(CostLinesOf(release_id))
        .await
        .gql()?
        .unwrap_or_default()
        .into_iter()
        .map(CostLine)
        .collect())
}

/// Input of `addCostLine`.
#[derive(InputObject)]
pub struct AddCostLineInput {
    pub release_id: ID,
    /// Book it on one milestone of the release.
    pub milestone_id: Option<ID>,
    pub category: CostCategory,
    pub description: String,
    /// Minor units (cents), above zero; a mistake is corrected with `reverseCostLine`.
    pub amount: f64,
    /// The deployment's currency (`costs.currency`) when omitted; others are refused.
    pub currency: Option<String>,
    pub incurred_on: NaiveDate,
}

/// Which releases `releaseReport` covers.
#[derive(InputObject, Default)]
pub struct ReportFilterInput {
    pub types: Option<Vec<ReleaseType>>,
    pub scopes: Option<Vec<ReleaseScope>>,
}

#[derive(Default)]
pub struct CostQuery;

#[Object]
impl CostQuery {
    /// The release report of `[from, to)`; release managers and administrators.
    async fn release_report(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: Option<ReportFilterInput>,
    ) -> Result<ReleaseReport> {
        let viewer = guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        let filter = filter.unwrap_or_default();
        let filter = ReportFilter {
            types: filter.types.unwrap_or_default(),
            scopes: filter.scopes.unwrap_or_default(),
        };
        let report =
            reports::release_report(&app.db, &viewer.actor(), from, to, &filter, app.clock.now())
                .await
                .gql()?;
        Ok(ReleaseReport::from_report(
            report,
            &app.settings.costs.currency,
        ))
    }

    /// Stored weekly reports, newest period first; release managers and administrators.
    async fn report_snapshots(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<ReportSnapshot>> {
        guard::require(ctx, Capability::SeeAllReleases)?;
        let app = ctx.data::<AppContext>()?;
        let limit = super::error::list_limit(first, MAX_SNAPSHOTS)?;
        let rows = report_snapshot::Entity::find()
            .order_by_desc(report_snapshot::Column::PeriodFrom)
            .limit(limit)
            .all(&app.db)
            .await
            .map_err(|err| super::error::to_graphql(&err.into()))?;
        rows.into_iter()
            .map(|row| {
                let report: reports::ReleaseReport = serde_json::from_str(&row.report)
                    .map_err(|_| super::error::internal("a stored report does not parse"))?;
                Ok(ReportSnapshot {
                    id: ID(row.id.to_string()),
                    period_from: row.period_from,
                    period_to: row.period_to,
                    created_at: row.created_at,
                    report: ReleaseReport::from_report(report, &app.settings.costs.currency),
                })
            })
            .collect()
    }
}

#[derive(Default)]
pub struct CostMutation;

#[Object]
impl CostMutation {
    /// Adds a cost line to a release or one of its milestones. Refused with
    /// `INVALID_TRANSITION` once the figure is frozen (milestone completed,
    /// release closed) until an administrator reopens it.
    async fn add_cost_line(&self, ctx: &Context<'_>, input: AddCostLineInput) -> Result<CostLine> {
        let app = ctx.data::<AppContext>()?;
        let currency = app.settings.costs.currency.clone();
        let new = NewCostLine {
            release_id: parse_id(&input.release_id, "releaseId")?,
            milestone_id: input
                .milestone_id
                .as_ref()
                .map(|id| parse_id(id, "milestoneId"))
                .transpose()?,
            category: input.category,
            description: input.description,
            amount: minor_units("amount", input.amount)?,
            currency: input.currency.unwrap_or_else(|| currency.clone()),
            incurred_on: input.incurred_on,
        };
        write(ctx, async |tx| costs::add_line(tx, new, &currency).await)
            .await
            .map(CostLine)
    }

    /// Reverses a line with a negative one (at most once per line).
    async fn reverse_cost_line(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> Result<CostLine> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| costs::reverse_line(tx, id, &reason).await)
            .await
            .map(CostLine)
    }

    /// Sets the budget of a release in minor units; `null` clears it.
    async fn set_release_budget(
        &self,
        ctx: &Context<'_>,
        id: ID,
        budget: Option<f64>,
    ) -> Result<ReleaseCost> {
        let app = ctx.data::<AppContext>()?;
        let id = parse_id(&id, "id")?;
        let budget = budget.map(|b| minor_units("budget", b)).transpose()?;
        let release = write(ctx, async |tx| costs::set_budget(tx, id, budget).await).await?;
        Ok(ReleaseCost::of(&release, &app.settings.costs.currency))
    }

    /// Reopens the final cost of a release (or one of its milestones) for more
    /// lines; administrators only, recorded in the history.
    async fn reopen_cost(
        &self,
        ctx: &Context<'_>,
        release_id: ID,
        milestone_id: Option<ID>,
        reason: String,
    ) -> Result<ReleaseCost> {
        let app = ctx.data::<AppContext>()?;
        let release_id = parse_id(&release_id, "releaseId")?;
        let milestone_id = milestone_id
            .as_ref()
            .map(|id| parse_id(id, "milestoneId"))
            .transpose()?;
        let release = write(ctx, async |tx| {
            costs::reopen(tx, release_id, milestone_id, &reason).await
        })
        .await?;
        Ok(ReleaseCost::of(&release, &app.settings.costs.currency))
    }
}

/// A count under a name.
#[derive(SimpleObject)]
pub struct ReportCount {
    pub key: String,
    pub count: i32,
}

/// Review outcomes of the releases closed in the period.
#[derive(SimpleObject)]
pub struct ReportReviews {
    pub successful: i32,
    pub partially_successful: i32,
    pub failed: i32,
    /// Successful among reviewed, 0 to 1.
    pub success_rate: Option<f64>,
}

/// Budget against cost of one release type.
#[derive(SimpleObject)]
pub struct ReportTypeCost {
    pub release_type: String,
    pub budget: f64,
    pub cost: f64,
    pub variance: f64,
}

/// A release as a report lists it.
#[derive(SimpleObject)]
pub struct ReportRelease {
    pub id: ID,
    pub title: String,
    pub release_type: String,
    pub scope: String,
    pub status: String,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub budget: Option<f64>,
    pub cost: f64,
    pub variance: Option<f64>,
}

/// An approval request still waiting.
#[derive(SimpleObject)]
pub struct ReportWaitingApproval {
    pub approval_id: ID,
    pub release_id: ID,
    pub release_title: String,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub waiting_hours: f64,
}

/// The release report of a period.
#[derive(SimpleObject)]
pub struct ReleaseReport {
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    pub currency: String,
    /// Releases whose planned or actual window overlaps the period (or, with
    /// neither, created in it).
    pub total: i32,
    pub by_status: Vec<ReportCount>,
    pub by_type: Vec<ReportCount>,
    pub by_scope: Vec<ReportCount>,
    /// Closed in the period.
    pub completed: i32,
    /// Of those, closed by their planned end.
    pub on_time: i32,
    pub late: i32,
    /// How late the late ones closed, on average, in hours.
    pub average_slip_hours: Option<f64>,
    pub reviews: ReportReviews,
    /// EMERGENCY releases among all, 0 to 1.
    pub emergency_share: Option<f64>,
    /// From the first request to closing, for releases closed in the period.
    pub lead_time_median_hours: Option<f64>,
    pub lead_time_p90_hours: Option<f64>,
    pub cost_by_type: Vec<ReportTypeCost>,
    pub largest_overruns: Vec<ReportRelease>,
    /// Planned to start within 30 days of the report.
    pub upcoming: Vec<ReportRelease>,
    pub approvals_waiting_longest: Vec<ReportWaitingApproval>,
    /// Every release the report covers.
    pub releases: Vec<ReportRelease>,
    /// The releases as CSV (RFC 4180, a header row): the file the weekly
    /// e-mail attaches.
    pub csv: String,
}

/// A stored report.
#[derive(SimpleObject)]
pub struct ReportSnapshot {
    pub id: ID,
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub report: ReleaseReport,
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl ReportRelease {
    fn from_row(r: reports::ReportRelease) -> Self {
        Self {
            id: ID(r.id.to_string()),
            title: r.title,
            release_type: r.release_type,
            scope: r.scope,
            status: r.status,
            planned_start: r.planned_start,
            planned_end: r.planned_end,
            actual_start: r.actual_start,
            actual_end: r.actual_end,
            budget: r.budget.map(|v| v as f64),
            cost: r.cost as f64,
            variance: r.variance.map(|v| v as f64),
        }
    }
}

impl ReleaseReport {
    /// The API's view of `report`.
    pub fn from_report(report: reports::ReleaseReport, currency: &str) -> Self {
        let csv = reports::to_csv(&report);
        let counts = |list: Vec<reports::Count>| {
            list.into_iter()
                .map(|c| ReportCount {
                    key: c.key,
                    count: count(c.count),
                })
                .collect()
        };
        let rows = |list: Vec<reports::ReportRelease>| {
            list.into_iter().map(ReportRelease::from_row).collect()
        };
        Self {
            period_from: report.period_from,
            period_to: report.period_to,
            generated_at: report.generated_at,
            currency: currency.to_owned(),
            total: count(report.total),
            by_status: counts(report.by_status),
            by_type: counts(report.by_type),
            by_scope: counts(report.by_scope),
            completed: count(report.completed),
            on_time: count(report.on_time),
            late: count(report.late),
            average_slip_hours: report.average_slip_hours,
            reviews: ReportReviews {
                successful: count(report.reviews.successful),
                partially_successful: count(report.reviews.partially_successful),
                failed: count(report.reviews.failed),
                success_rate: report.reviews.success_rate,
            },
            emergency_share: report.emergency_share,
            lead_time_median_hours: report.lead_time_median_hours,
            lead_time_p90_hours: report.lead_time_p90_hours,
            cost_by_type: report
                .cost_by_type
                .into_iter()
                .map(|c| ReportTypeCost {
                    release_type: c.release_type,
                    budget: c.budget as f64,
                    cost: c.cost as f64,
                    variance: c.variance as f64,
                })
                .collect(),
            largest_overruns: rows(report.largest_overruns),
            upcoming: rows(report.upcoming),
            approvals_waiting_longest: report
                .approvals_waiting_longest
                .into_iter()
                .map(|a| ReportWaitingApproval {
                    approval_id: ID(a.approval_id.to_string()),
                    release_id: ID(a.release_id.to_string()),
                    release_title: a.release_title,
                    opened_at: a.opened_at,
                    due_at: a.due_at,
                    waiting_hours: a.waiting_hours,
                })
                .collect(),
            releases: rows(report.releases),
            csv,
        }
    }
}
