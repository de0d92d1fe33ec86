//! Costs: a release's budget and its append-only ledger of cost lines. Every
//! line updates the stored totals (its milestone, its release and, for a phase,
//! the master) in the same unit of work; a milestone's total is frozen when it
//! completes and a release's when it closes, after which lines are refused
//! until an administrator reopens the figure. `cost-rollup` repairs any drift
//! with one set-based statement per level over batches of releases ([`rollup`]).

use crate::entity::{cost_line, milestone, release, CostCategory, EventKind};
use crate::policy::Capability;
use crate::{milestones, releases, validate, DomainError, DomainResult, Event, Subject, Tx};
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    prelude::*,
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ConnectionTrait, QueryOrder, QuerySelect, Statement,
};
use std::collections::HashMap;

/// Largest amount of one line or a budget, in minor units (a hundred billion).
pub const MAX_AMOUNT: i64 = 10_000_000_000_000;

/// Input of [`add_line`].
#[derive(Debug, Clone)]
pub struct NewCostLine {
    pub release_id: i32,
    pub milestone_id: Option<i32>,
    pub category: CostCategory,
    pub description: String,
    /// Minor units, above zero (corrections are reversals).
    pub amount: i64,
    pub currency: String,
    pub incurred_on: NaiveDate,
}

/// Release (and milestone) cost figures as the API shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostFigures {
    pub running: i64,
    pub final_cost: Option<i64>,
    pub budget: Option<i64>,
}

impl CostFigures {
    /// Of a release.
    pub fn of_release(release: &release::Model) -> Self {
        Self {
            running: release.cost_running,
            final_cost: release.cost_final,
            budget: release.budget,
        }
    }

    /// Final (or running) cost minus budget; positive is an overrun.
    pub fn variance(&self) -> Option<i64> {
        self.budget
            .map(|b| self.final_cost.unwrap_or(self.running).saturating_sub(b))
    }
}

fn check_currency(currency: &str, deployment: &str) -> DomainResult<String> {
    let code = currency.trim().to_ascii_uppercase();
    if code != deployment {
        return Err(DomainError::validation(
            "currency",
            format!("costs are kept in {deployment}; {code:?} is not accepted"),
        ));
    }
    Ok(code)
}

fn check_amount(field: &str, amount: i64, allow_zero: bool) -> DomainResult<()> {
    let low = if allow_zero { 0 } else { 1 };
    if (low..=MAX_AMOUNT).contains(&amount) {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            format!("{field} must be between {low} and {MAX_AMOUNT} minor units"),
        ))
    }
}

fn frozen(what: &str) -> DomainError {
    DomainError::invalid_transition(
        "FINAL",
        "ADD_COST",
        [],
        crate::lifecycle::Refusal(format!(
            "the {what}'s final cost is frozen; an administrator may reopen it (reopenCost)"
        )),
    )
}

/// Adds a line to release `release_id` (or one of its milestones) in the
/// deployment's currency, and moves the stored totals with it.
pub async fn add_line(
    tx: &mut Tx,
    new: NewCostLine,
    deployment_currency: &str,
) -> DomainResult<cost_line::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let description = validate::title("description", &new.description)?;
    check_amount("amount", new.amount, false)?;
    let currency = check_currency(&new.currency, deployment_currency)?;
    if !validate::YEARS.contains(&new.incurred_on.year()) {
        return Err(DomainError::validation(
            "incurredOn",
            "incurredOn must fall between the years 1970 and 9999",
        ));
    }
    let release = releases::find_visible_locked(tx, new.release_id).await?;
    let milestone = match new.milestone_id {
        Some(id) => {
            let m = milestones::find(tx.db(), id).await?;
            if m.release_id != release.id {
                return Err(DomainError::validation(
                    "milestoneId",
                    format!("milestone {id} belongs to another release"),
                ));
            }
            Some(m)
        }
        None => None,
    };
    insert_line(
        tx,
        &release,
        milestone.as_ref(),
        new.category,
        description,
        new.amount,
        currency,
        new.incurred_on,
        None,
    )
    .await
}

/// Reverses line `id` with a negative line of the same amount; a line is
/// reversed at most once and a reversal is never reversed.
pub async fn reverse_line(tx: &mut Tx, id: i32, reason: &str) -> DomainResult<cost_line::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let reason = validate::title("reason", reason)?;
    let line = cost_line::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("cost line", id))?;
    let release = releases::find_visible_locked(tx, line.release_id)
        .await
        .map_err(|_| DomainError::not_found("cost line", id))?;
    if line.reverses_id.is_some() {
        return Err(DomainError::validation(
            "id",
            "a reversal cannot be reversed",
        ));
    }
    let reversed = cost_line::Entity::find()
        .filter(cost_line::Column::ReversesId.eq(id))
        .count(tx.db())
        .await?;
    if reversed > 0 {
        return Err(DomainError::Conflict(format!(
            "cost line {id} is already reversed"
        )));
    }
    let milestone = match line.milestone_id {
        Some(m) => Some(milestones::find(tx.db(), m).await?),
        None => None,
    };
    let on = tx.now().date_naive();
    insert_line(
        tx,
        &release,
        milestone.as_ref(),
        line.category,
        format!("Reversal of line {id}: {reason}"),
        -line.amount,
        line.currency.clone(),
        on,
        Some(id),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_line(
    tx: &mut Tx,
    release: &release::Model,
    milestone: Option<&milestone::Model>,
    category: CostCategory,
    description: String,
    amount: i64,
    currency: String,
    incurred_on: NaiveDate,
    reverses_id: Option<i32>,
) -> DomainResult<cost_line::Model> {
    if release.cost_final.is_some() {
        return Err(frozen("release"));
    }
    if milestone.is_some_and(|m| m.cost_final.is_some()) {
        return Err(frozen("milestone"));
    }
    let line = cost_line::ActiveModel {
        release_id: Set(release.id),
        milestone_id: Set(milestone.map(|m| m.id)),
        category: Set(category),
        description: Set(description.clone()),
        amount: Set(amount),
        currency: Set(currency.clone()),
        incurred_on: Set(incurred_on),
        entered_by: Set(tx.stamp().actor.person_id()),
        entered_at: Set(tx.now()),
        reverses_id: Set(reverses_id),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    if let Some(m) = milestone {
        milestone::Entity::update_many()
            .col_expr(
                milestone::Column::CostRunning,
                Expr::col(milestone::Column::CostRunning).add(amount),
            )
            .filter(milestone::Column::Id.eq(m.id))
            .exec(tx.db())
            .await?;
    }
    let mut release_ids = vec![release.id];
    release_ids.extend(release.master_id);
    release::Entity::update_many()
        .col_expr(
            release::Column::CostRunning,
            Expr::col(release::Column::CostRunning).add(amount),
        )
        .filter(release::Column::Id.is_in(release_ids))
        .exec(tx.db())
        .await?;
    let kind = if reverses_id.is_some() {
        EventKind::CostReversed
    } else {
        EventKind::CostAdded
    };
    let mut event = Event::change(kind, "cost", None, Some(format!("{amount} {currency}")))
        .with_note(Some(description));
    if let Some(m) = milestone {
        event = event.on_milestone(m.id);
    }
    tx.record(Subject::Release(release.id), [event]);
    Ok(line)
}

/// Sets (or, with `None`, clears) the budget of release `id`.
pub async fn set_budget(tx: &mut Tx, id: i32, budget: Option<i64>) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    if let Some(b) = budget {
        check_amount("budget", b, true)?;
    }
    let before = releases::find_visible_locked(tx, id).await?;
    release::Entity::update_many()
        .col_expr(release::Column::Budget, Expr::value(budget))
        .filter(release::Column::Id.eq(id))
        .exec(tx.db())
        .await?;
    tx.record(
        Subject::Release(id),
        [Event::change(
            EventKind::BudgetChanged,
            "budget",
            before.budget.map(|b| b.to_string()),
            budget.map(|b| b.to_string()),
        )],
    );
    releases::find(tx.db(), id).await
}

/// Freezes the running cost of a milestone (when it completes) or of a release
/// (when it closes) as its final cost.
pub(crate) async fn freeze(
    tx: &mut Tx,
    release_id: i32,
    milestone_id: Option<i32>,
) -> DomainResult<()> {
    let final_value = match milestone_id {
        Some(id) => {
            milestone::Entity::update_many()
                .col_expr(
                    milestone::Column::CostFinal,
                    Expr::col(milestone::Column::CostRunning),
                )
                .filter(milestone::Column::Id.eq(id))
                .exec(tx.db())
                .await?;
            milestones::find(tx.db(), id).await?.cost_running
        }
        None => {
            release::Entity::update_many()
                .col_expr(
                    release::Column::CostFinal,
                    Expr::col(release::Column::CostRunning),
                )
                .filter(release::Column::Id.eq(release_id))
                .exec(tx.db())
                .await?;
            releases::find(tx.db(), release_id).await?.cost_running
        }
    };
    let mut event = Event::change(
        EventKind::CostFrozen,
        "finalCost",
        None,
        Some(final_value.to_string()),
    );
    if let Some(id) = milestone_id {
        event = event.on_milestone(id);
    }
    tx.record(Subject::Release(release_id), [event]);
    Ok(())
}

/// Reopens the final cost of a release (or one of its milestones) so lines can
/// be added again; administrators only, recorded in the history.
pub async fn reopen(
    tx: &mut Tx,
    release_id: i32,
    milestone_id: Option<i32>,
    reason: &str,
) -> DomainResult<release::Model> {
    tx.stamp().actor.require(Capability::Administer)?;
    let reason = validate::required_text("reason", reason, validate::MAX_TEXT)?;
    let release = releases::find_visible_locked(tx, release_id).await?;
    let before = match milestone_id {
        Some(id) => {
            let m = milestones::find(tx.db(), id).await?;
            if m.release_id != release_id {
                return Err(DomainError::validation(
                    "milestoneId",
                    format!("milestone {id} belongs to another release"),
                ));
            }
            milestone::Entity::update_many()
                .col_expr(
                    milestone::Column::CostFinal,
                    Expr::value(Option::<i64>::None),
                )
                .filter(milestone::Column::Id.eq(id))
                .exec(tx.db())
                .await?;
            m.cost_final
        }
        None => {
            release::Entity::update_many()
                .col_expr(release::Column::CostFinal, Expr::value(Option::<i64>::None))
                .filter(release::Column::Id.eq(release_id))
                .exec(tx.db())
                .await?;
            release.cost_final
        }
    };
    if before.is_none() {
        return Err(DomainError::Conflict("that cost is not frozen".into()));
    }
    let mut event = Event::change(
        EventKind::CostReopened,
        "finalCost",
        before.map(|v| v.to_string()),
        None,
    )
    .with_note(Some(reason));
    if let Some(id) = milestone_id {
        event = event.on_milestone(id);
    }
    tx.record(Subject::Release(release_id), [event]);
    releases::find(tx.db(), release_id).await
}

/// The lines of each release in `release_ids`, oldest first.
pub async fn lines_for<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<cost_line::Model>>> {
    let rows = cost_line::Entity::find()
        .filter(cost_line::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(cost_line::Column::Id)
        .all(db)
        .await?;
    Ok(crate::kit::group_by(rows, |l| l.release_id))
}

/// What [`rollup`] corrected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    pub milestones: u64,
    pub releases: u64,
    pub masters: u64,
}

/// Releases one [`rollup`] batch covers.
pub const ROLLUP_BATCH: u64 = 200;

/// Recomputes the stored running totals of the next [`ROLLUP_BATCH`] releases
/// after id `after` (their milestones included) from the ledger, touching only
/// rows that drifted, and answers what it corrected and the last release it
/// covered (`None` when none were left). The releases are locked first, as
/// every writer of cost lines does, so no line commits between the sums and
/// the updates; each level is one set-based statement.
pub async fn rollup(tx: &mut Tx, after: i32) -> DomainResult<(Rollup, Option<i32>)> {
    let ids: Vec<i32> = release::Entity::find()
        .select_only()
        .column(release::Column::Id)
        .filter(release::Column::Id.gt(after))
        .order_by_asc(release::Column::Id)
        .limit(ROLLUP_BATCH)
        .into_tuple()
        .all(tx.db())
        .await?;
    let Some(last) = ids.last().copied() else {
        return Ok((Rollup::default(), None));
    };
    tx.lock_releases(&ids).await?;
    let batch = ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let backend = tx.db().get_database_backend();
    let run = async |sql: String| -> DomainResult<u64> {
        Ok(tx
            .db()
            .execute_raw(Statement::from_string(backend, sql))
            .await?
            .rows_affected())
    };
    // each level: one aggregate of the ledger joined back (UPDATE … FROM:
    // PostgreSQL, and SQLite since 3.33)
    let milestones = run(format!(
        "UPDATE milestones SET cost_running = s.total FROM (SELECT m.id, \
         COALESCE(SUM(l.amount), 0) AS total FROM milestones m \
         LEFT JOIN cost_lines l ON l.milestone_id = m.id WHERE m.release_id IN ({batch}) \
         GROUP BY m.id) s WHERE milestones.id = s.id AND milestones.cost_running <> s.total"
    ))
    .await?;
    let releases = run(format!(
        "UPDATE releases SET cost_running = s.total FROM (SELECT r.id, \
         COALESCE(SUM(l.amount), 0) AS total FROM releases r \
         LEFT JOIN cost_lines l ON l.release_id = r.id \
         WHERE r.id IN ({batch}) AND r.scope <> 'MASTER' GROUP BY r.id) s \
         WHERE releases.id = s.id AND releases.cost_running <> s.total"
    ))
    .await?;
    // a master carries its own lines and its phases' (their writers lock it)
    let masters = run(format!(
        "UPDATE releases SET cost_running = s.total FROM (SELECT r.id, \
         COALESCE((SELECT SUM(l.amount) FROM cost_lines l WHERE l.release_id = r.id \
         OR l.release_id IN (SELECT p.id FROM releases p WHERE p.master_id = r.id)), 0) \
         AS total FROM releases r WHERE r.id IN ({batch}) AND r.scope = 'MASTER') s \
         WHERE releases.id = s.id AND releases.cost_running <> s.total"
    ))
    .await?;
    Ok((
        Rollup {
            milestones,
            releases,
            masters,
        },
        Some(last),
    ))
}
