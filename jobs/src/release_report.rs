//! `release-report`: stores the release report of the period that ends at the
//! start of its slot's day (UTC), so a late or catch-up run reports the same
//! period the slot would have, and e-mails it to every release manager: HTML with the
//! key figures and a chart (a PNG shown inline by Content-ID), plus the
//! releases as a CSV attachment. The snapshot's period is unique and the
//! e-mails are queued in the same unit of work only when the snapshot is new,
//! so a period is stored and sent once whatever the replica count.

use crate::chart::{major_units, report_chart};
use crate::{Counts, Job, JobContext};
use chrono::{DateTime, Duration, Utc};
use entities::entity::{person, report_snapshot, Role};
use entities::outbox::{self, Attachment, Mail};
use entities::reports::{self, ReleaseReport, ReportFilter};
use entities::{access, mail, Actor, DomainError, DomainResult, Tx};
use futures::future::BoxFuture;
use sea_orm::{prelude::*, sea_query::OnConflict, ActiveValue::Set};

/// The job; see the module documentation.
pub struct ReleaseReportJob;

impl Job for ReleaseReportJob {
    fn name(&self) -> &'static str {
        "release-report"
    }

    fn default_schedule(&self) -> &'static str {
        // Mondays at 06:00 UTC: last week's report
        "0 0 6 * * Mon"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            let slot = ctx.slot.unwrap_or_else(|| ctx.clock.now());
            let to = slot
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map_or(slot, |t| t.and_utc());
            let from = to - Duration::days(i64::from(ctx.report_period_days.clamp(1, 366)));
            ctx.write(async |tx| store_and_send(tx, ctx, from, to).await)
                .await
                .map_err(|err| err.to_string())
        })
    }
}

/// Stores the report of `[from, to)` unless stored already, and queues its
/// e-mails with it.
pub async fn store_and_send(
    tx: &mut Tx,
    ctx: &JobContext,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DomainResult<Counts> {
    let report = reports::release_report(
        tx.db(),
        &Actor::System,
        from,
        to,
        &ReportFilter::default(),
        tx.now(),
    )
    .await?;
    let json = serde_json::to_string(&report)
        .map_err(|err| DomainError::Database(DbErr::Custom(format!("report JSON: {err}"))))?;
    let inserted = report_snapshot::Entity::insert(report_snapshot::ActiveModel {
        period_from: Set(from),
        period_to: Set(to),
        report: Set(json),
        created_at: Set(tx.now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            report_snapshot::Column::PeriodFrom,
            report_snapshot::Column::PeriodTo,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(tx.db())
    .await?;
    if inserted == 0 {
        return Ok(Counts {
            examined: report.total as u64,
            changed: 0,
        });
    }
    // the report goes to every release manager
    let managers = access::people_with_role(tx.db(), Role::ReleaseManager).await?;
    let chart = match report_chart(&report, &ctx.currency) {
        Ok(png) => Some(png),
        Err(err) => {
            tracing::error!(error = %err, "the report chart could not be drawn; sending without it");
            None
        }
    };
    let mails: Vec<Mail> = managers
        .iter()
        .map(|manager| report_mail(&report, manager, &ctx.currency, chart.as_deref()))
        .collect();
    let queued = outbox::enqueue(tx, mails).await?;
    Ok(Counts {
        examined: report.total as u64,
        changed: 1 + queued,
    })
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn share(value: Option<f64>) -> String {
    value.map_or("n/a".into(), |v| format!("{:.0}%", v * 100.0))
}

fn hours(value: Option<f64>) -> String {
    value.map_or("n/a".into(), |h| format!("{:.1} days", h / 24.0))
}

fn report_mail(
    report: &ReleaseReport,
    manager: &person::Model,
    currency: &str,
    chart: Option<&[u8]>,
) -> Mail {
    let period = format!(
        "{} to {}",
        day(report.period_from),
        day(report.period_to - Duration::seconds(1))
    );
    let subject = format!("Release report {period}");
    let budget: i64 = report.cost_by_type.iter().map(|c| c.budget).sum();
    let cost: i64 = report.cost_by_type.iter().map(|c| c.cost).sum();
    let facts = [
        ("Releases in the period", report.total.to_string()),
        ("Closed", report.completed.to_string()),
        (
            "On time / late",
            format!("{} / {}", report.on_time, report.late),
        ),
        (
            "Average slip of late ones",
            hours(report.average_slip_hours),
        ),
        ("Review success rate", share(report.reviews.success_rate)),
        ("Emergency share", share(report.emergency_share)),
        ("Lead time, median", hours(report.lead_time_median_hours)),
        (
            "Lead time, 90th percentile",
            hours(report.lead_time_p90_hours),
        ),
        (
            "Cost / budget",
            format!("{} / {} {currency}", major_units(cost), major_units(budget)),
        ),
        ("Upcoming (30 days)", report.upcoming.len().to_string()),
        (
            "Approvals waiting",
            report.approvals_waiting_longest.len().to_string(),
        ),
    ];
    let overruns: Vec<String> = report
        .largest_overruns
        .iter()
        .map(|r| {
            format!(
                "#{} {}: {} {currency} over budget",
                r.id,
                r.title,
                major_units(r.variance.unwrap_or(0))
            )
        })
        .collect();
    let csv_name = format!(
        "releases-{}-{}.csv",
        day(report.period_from),
        day(report.period_to)
    );
    let text = format!(
        "Hello {},\n\nThe release report for {period}.\n\n{}\nLargest overruns:\n{}\nThe releases are attached as {csv_name}.\n",
        manager.name,
        mail::facts_text(&facts),
        if overruns.is_empty() {
            "  none\n".to_owned()
        } else {
            overruns.iter().map(|o| format!("  - {o}\n")).collect()
        },
    );
    let chart_html = if chart.is_some() {
        "<p><img src=\"cid:report-chart\" alt=\"Releases by status and cost against budget\" width=\"720\" style=\"max-width:100%\"></p>"
    } else {
        ""
    };
    let html = mail::layout(
        &subject,
        &format!(
            "<p>Hello {},</p>{}{chart_html}<h2 style=\"font-size:15px;margin:0 0 8px\">Largest overruns</h2>{}\
<p style=\"color:#6b778c;font-size:13px\">The releases are attached as {}.</p>",
            mail::escape(&manager.name),
            mail::facts_table(&facts),
            if overruns.is_empty() {
                "<p style=\"color:#6b778c\">None.</p>".to_owned()
            } else {
                format!(
                    "<ul>{}</ul>",
                    overruns
                        .iter()
                        .map(|o| format!("<li>{}</li>", mail::escape(o)))
                        .collect::<String>()
                )
            },
            mail::escape(&csv_name),
        ),
    );
    let mut attachments = Vec::new();
    if let Some(png) = chart {
        attachments.push(Attachment::new(
            "chart.png",
            "image/png",
            Some("report-chart"),
            png,
        ));
    }
    attachments.push(Attachment::new(
        &csv_name,
        "text/csv; charset=utf-8",
        None,
        reports::to_csv(report).as_bytes(),
    ));
    Mail {
        key: format!(
            "release-report:{}:{}:{}",
            report.period_from.timestamp(),
            report.period_to.timestamp(),
            manager.id
        ),
        kind: "RELEASE_REPORT",
        release_id: None,
        recipient_id: Some(manager.id),
        recipient: manager.email.clone(),
        subject,
        text,
        html,
        attachments,
    }
}
