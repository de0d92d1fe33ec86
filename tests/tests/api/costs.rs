//! Costs and reports: the append-only ledger (reversals, one currency),
//! figures frozen at completion and closure, master/phase roll-up, the
//! `cost-rollup` job repairing drift, the report against a hand-computed data
//! set, the weekly report stored and e-mailed once (with its chart and CSV),
//! and `releasedesk report` on the command line.

use crate::fixtures::{self, window};
use chrono::{Duration, TimeZone, Utc};
use entities::entity::{release, report_snapshot, Role};
use entities::Clock;
use jobs::Job;
use mail_parser::MimeHeaders;
use releasedesk_tests::smtp::SmtpSink;
use releasedesk_tests::{error_code, on_both_databases, test_settings, TestApp};
use sea_orm::{prelude::*, sea_query::Expr, QueryOrder};
use serde_json::{json, Value};

const ADD: &str = "mutation($input: AddCostLineInput!) { addCostLine(input: $input) {
    id amount currency category description incurredOn reversesId milestoneId enteredBy { id } } }";
const COST: &str =
    "query($id: ID!) { release(id: $id) { cost { running final budget variance currency }
    milestones { id status cost { running final } }
    costLines { id amount reversesId } } }";

async fn cost_of(app: &TestApp, id: &str) -> Value {
    app.ok(COST, json!({ "id": id })).await["release"].clone()
}

async fn add(app: &TestApp, release: &str, milestone: Option<&str>, amount: f64) -> Value {
    app.ok(
        ADD,
        json!({ "input": { "releaseId": release, "milestoneId": milestone, "category": "LABOUR",
            "description": "Consultant days", "amount": amount, "incurredOn": "2026-11-20" } }),
    )
    .await["addCostLine"]
        .clone()
}

async fn add_refused(app: &TestApp, input: Value) -> Value {
    app.graphql(ADD, json!({ "input": input })).await
}

/// A MINOR release with two hand-made milestones and a window; returns its id and milestone ids.
async fn release_with_milestones(app: &TestApp, title: &str) -> (String, Vec<String>) {
    let owner = fixtures::person(app, &format!("Owner {title}")).await;
    let (start, end) = window(0, 30);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": title, "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let id = release["id"].as_str().unwrap().to_owned();
    let mut milestones = Vec::new();
    for step in ["Build", "Deploy"] {
        let m = app
            .ok(
                "mutation($input: AddMilestoneInput!) { addMilestone(input: $input) { id } }",
                json!({ "input": { "releaseId": id, "title": step } }),
            )
            .await;
        milestones.push(m["addMilestone"]["id"].as_str().unwrap().to_owned());
    }
    (id, milestones)
}

async fn the_ledger_is_append_only_with_reversals_in_one_currency(app: &TestApp) {
    let (id, milestones) = release_with_milestones(app, "Ledger").await;
    let budget = app
        .ok(
            "mutation($id: ID!) { setReleaseBudget(id: $id, budget: 20000) { budget running variance currency } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        budget["setReleaseBudget"],
        json!({ "budget": 20000.0, "running": 0.0, "variance": -20000.0, "currency": "EUR" })
    );
    let first = add(app, &id, None, 10_000.0).await;
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["incurredOn"], "2026-11-20");
    add(app, &id, Some(&milestones[0]), 15_000.0).await;
    let after = cost_of(app, &id).await;
    assert_eq!(after["cost"]["running"], 25_000.0);
    assert_eq!(after["cost"]["variance"], 5_000.0);
    assert_eq!(after["milestones"][0]["cost"]["running"], 15_000.0);
    assert_eq!(after["milestones"][1]["cost"]["running"], 0.0);

    // bad input is refused, field by field, and changes nothing
    let base = json!({ "releaseId": id, "category": "HARDWARE", "description": "Disks",
        "amount": 100.0, "incurredOn": "2026-11-20" });
    for (change, field) in [
        (json!({ "currency": "USD" }), "currency"),
        (json!({ "amount": 0.0 }), "amount"),
        (json!({ "amount": -5.0 }), "amount"),
        (json!({ "amount": 1.5 }), "amount"),
        (json!({ "amount": 1e300 }), "amount"),
        (json!({ "description": "  " }), "description"),
        (json!({ "description": "a\u{7}b" }), "description"),
        (json!({ "incurredOn": "0999-01-01" }), "incurredOn"),
    ] {
        let mut input = base.clone();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let refused = add_refused(app, input).await;
        assert_eq!(error_code(&refused), Some("VALIDATION"), "{refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{refused}"
        );
    }
    let other = release_with_milestones(app, "Other").await;
    let mut foreign = base.clone();
    foreign["milestoneId"] = json!(other.1[0]);
    assert_eq!(
        error_code(&add_refused(app, foreign).await),
        Some("VALIDATION")
    );
    assert_eq!(cost_of(app, &id).await["cost"]["running"], 25_000.0);

    // a mistake is reversed, once; a reversal is never reversed
    let reverse = "mutation($id: ID!) { reverseCostLine(id: $id, reason: \"wrong release\") { id amount reversesId description } }";
    let reversal = app.ok(reverse, json!({ "id": first["id"] })).await["reverseCostLine"].clone();
    assert_eq!(reversal["amount"], -10_000.0);
    assert_eq!(reversal["reversesId"], first["id"]);
    let again = app.graphql(reverse, json!({ "id": first["id"] })).await;
    assert_eq!(error_code(&again), Some("CONFLICT"), "{again}");
    let of_reversal = app.graphql(reverse, json!({ "id": reversal["id"] })).await;
    assert_eq!(
        error_code(&of_reversal),
        Some("VALIDATION"),
        "{of_reversal}"
    );
    let after = cost_of(app, &id).await;
    assert_eq!(after["cost"]["running"], 15_000.0);
    assert_eq!(
        after["costLines"].as_array().unwrap().len(),
        3,
        "nothing is deleted"
    );

    // people without release rights cannot book costs
    let (_, stakeholder) = app.user("Reader", &[Role::Stakeholder]).await;
    let refused = app
        .as_bearer(Some(&stakeholder))
        .graphql(ADD, json!({ "input": base }))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
}

async fn figures_freeze_at_completion_and_closure(app: &TestApp) {
    let (id, milestones) = release_with_milestones(app, "Freeze").await;
    fixtures::transition(app, &id, "SUBMIT").await;
    fixtures::transition(app, &id, "APPROVE").await;
    fixtures::transition(app, &id, "START").await;
    add(app, &id, Some(&milestones[0]), 1_000.0).await;
    fixtures::milestone_transition(app, &milestones[0], "COMPLETE").await;
    let after = cost_of(app, &id).await;
    assert_eq!(after["milestones"][0]["cost"]["final"], 1_000.0);
    let late = add_refused(
        app,
        json!({ "releaseId": id, "milestoneId": milestones[0], "category": "OTHER",
            "description": "Late invoice", "amount": 50.0, "incurredOn": "2026-11-20" }),
    )
    .await;
    assert_eq!(error_code(&late), Some("INVALID_TRANSITION"), "{late}");
    // only administrators reopen a final figure, and it is recorded
    let (_, manager) = app.user("Manager", &[Role::ReleaseManager]).await;
    let reopen = "mutation($r: ID!, $m: ID) { reopenCost(releaseId: $r, milestoneId: $m, reason: \"late invoice\") { running } }";
    let forbidden = app
        .as_bearer(Some(&manager))
        .graphql(reopen, json!({ "r": id, "m": milestones[0] }))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    app.ok(reopen, json!({ "r": id, "m": milestones[0] })).await;
    add(app, &id, Some(&milestones[0]), 50.0).await;
    fixtures::milestone_transition(app, &milestones[1], "COMPLETE").await;
    app.ok(
        "mutation($id: ID!) { recordReleaseReview(id: $id, outcome: SUCCESSFUL, lessonsLearned: \"ok\") { id } }",
        json!({ "id": id }),
    )
    .await;
    fixtures::transition(app, &id, "CLOSE").await;
    let closed = cost_of(app, &id).await;
    assert_eq!(closed["cost"]["final"], 1_050.0);
    assert_eq!(closed["cost"]["running"], 1_050.0);
    let after_close = add_refused(
        app,
        json!({ "releaseId": id, "category": "OTHER", "description": "Too late",
            "amount": 5.0, "incurredOn": "2026-11-20" }),
    )
    .await;
    assert_eq!(error_code(&after_close), Some("INVALID_TRANSITION"));
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind } } }",
            json!({ "id": id }),
        )
        .await;
    let kinds = fixtures::strings(
        &history["release"]["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].clone())
            .collect::<Value>(),
    );
    for kind in ["COST_ADDED", "COST_FROZEN", "COST_REOPENED"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

async fn a_master_rolls_up_its_phases_and_the_job_repairs_drift(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(0, 60);
    let master = fixtures::release(
        app,
        &owner,
        json!({ "title": "Rollout", "type": "MINOR", "scope": "MASTER", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let master = master["id"].as_str().unwrap().to_owned();
    let mut phases = Vec::new();
    for site in ["Berlin", "Lisbon"] {
        let phase = fixtures::release(
            app,
            &owner,
            json!({ "title": site, "type": "MINOR", "scope": "PHASE", "masterId": master }),
        )
        .await;
        phases.push(phase["id"].as_str().unwrap().to_owned());
    }
    add(app, &master, None, 100.0).await;
    add(app, &phases[0], None, 20.0).await;
    add(app, &phases[1], None, 3.0).await;
    assert_eq!(cost_of(app, &master).await["cost"]["running"], 123.0);
    assert_eq!(cost_of(app, &phases[0]).await["cost"]["running"], 20.0);

    let rollup = || async {
        jobs::cost_rollup::CostRollup
            .run(app.context().jobs.context())
            .await
            .expect("cost-rollup runs")
            .changed
    };
    assert_eq!(rollup().await, 0, "nothing drifted");
    // drift: an import wrote wrong totals
    release::Entity::update_many()
        .col_expr(release::Column::CostRunning, Expr::value(999i64))
        .exec(app.database())
        .await
        .unwrap();
    assert!(rollup().await >= 3);
    assert_eq!(cost_of(app, &master).await["cost"]["running"], 123.0);
    assert_eq!(cost_of(app, &phases[1]).await["cost"]["running"], 3.0);
    assert_eq!(rollup().await, 0);
}

/// Moves release `id` from DRAFT to CLOSED with `outcome`, `hours` after submitting.
async fn run_to_close(app: &TestApp, id: &str, hours: i64, outcome: &str) {
    fixtures::transition(app, id, "SUBMIT").await;
    app.clock.advance(Duration::hours(hours));
    for action in ["APPROVE", "START", "COMPLETE"] {
        fixtures::transition(app, id, action).await;
    }
    app.ok(
        "mutation($id: ID!, $o: ReviewOutcome!) { recordReleaseReview(id: $id, outcome: $o, lessonsLearned: \"noted\") { id } }",
        json!({ "id": id, "o": outcome }),
    )
    .await;
    fixtures::transition(app, id, "CLOSE").await;
}

async fn the_report_matches_a_hand_computed_data_set(app: &TestApp) {
    // the clock starts at 2026-11-27 09:00 UTC
    let owner = fixtures::person(app, "Owner").await;
    let create = |title: &str, kind: &str, start: &str, end: &str| json!({ "title": title, "type": kind, "plannedStart": start, "plannedEnd": end });
    let make = |input: Value| {
        let owner = owner.clone();
        async move {
            fixtures::release(app, &owner, input).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let r1 = make(create(
        "On time",
        "MINOR",
        "2026-11-20T00:00:00Z",
        "2026-11-28T00:00:00Z",
    ))
    .await;
    let r2 = make(create(
        "Late",
        "MINOR",
        "2026-11-10T00:00:00Z",
        "2026-11-20T00:00:00Z",
    ))
    .await;
    let r3 = make(create(
        "Hotfix",
        "EMERGENCY",
        "2026-11-25T00:00:00Z",
        "2026-11-26T00:00:00Z",
    ))
    .await;
    let r4 = make(create(
        "Next year",
        "MAJOR",
        "2026-12-10T00:00:00Z",
        "2026-12-20T00:00:00Z",
    ))
    .await;
    let r5 = make(create(
        "Overrun",
        "MINOR",
        "2026-11-15T00:00:00Z",
        "2026-12-15T00:00:00Z",
    ))
    .await;
    let budget =
        "mutation($id: ID!, $b: Float) { setReleaseBudget(id: $id, budget: $b) { budget } }";
    app.ok(budget, json!({ "id": r1, "b": 100000 })).await;
    app.ok(budget, json!({ "id": r5, "b": 50000 })).await;
    add(app, &r1, None, 30_000.0).await;
    add(app, &r5, None, 80_000.0).await;
    run_to_close(app, &r1, 2, "SUCCESSFUL").await; // closes 11:00, lead 2 h, on time
    run_to_close(app, &r2, 6, "PARTIALLY_SUCCESSFUL").await; // closes 17:00, lead 6 h, 185 h late
    run_to_close(app, &r3, 4, "FAILED").await; // closes 21:00, lead 4 h, 45 h late
    let _ = r4;

    let report = app
        .ok(
            "query($f: DateTime!, $t: DateTime!, $filter: ReportFilterInput) {
              releaseReport(from: $f, to: $t, filter: $filter) {
                total currency byStatus { key count } byType { key count } byScope { key count }
                completed onTime late averageSlipHours
                reviews { successful partiallySuccessful failed successRate }
                emergencyShare leadTimeMedianHours leadTimeP90Hours
                costByType { releaseType budget cost variance }
                largestOverruns { id variance } upcoming { id } releases { id cost } } }",
            json!({ "f": "2026-11-01T00:00:00Z", "t": "2026-12-01T00:00:00Z" }),
        )
        .await["releaseReport"]
        .clone();
    assert_eq!(report["total"], 4, "{report}");
    assert_eq!(report["currency"], "EUR");
    assert_eq!(
        report["byStatus"],
        json!([{ "key": "CLOSED", "count": 3 }, { "key": "DRAFT", "count": 1 }])
    );
    assert_eq!(
        report["byType"],
        json!([{ "key": "EMERGENCY", "count": 1 }, { "key": "MINOR", "count": 3 }])
    );
    assert_eq!(
        report["byScope"],
        json!([{ "key": "STANDALONE", "count": 4 }])
    );
    assert_eq!(
        (&report["completed"], &report["onTime"], &report["late"]),
        (&json!(3), &json!(1), &json!(2))
    );
    assert_eq!(report["averageSlipHours"], 115.0);
    assert_eq!(
        report["reviews"],
        json!({ "successful": 1, "partiallySuccessful": 1, "failed": 1, "successRate": 1.0 / 3.0 })
    );
    assert_eq!(report["emergencyShare"], 0.25);
    assert_eq!(report["leadTimeMedianHours"], 4.0);
    assert_eq!(report["leadTimeP90Hours"], 6.0);
    assert_eq!(
        report["costByType"],
        json!([
            { "releaseType": "EMERGENCY", "budget": 0.0, "cost": 0.0, "variance": 0.0 },
            { "releaseType": "MINOR", "budget": 150000.0, "cost": 110000.0, "variance": -40000.0 }
        ])
    );
    assert_eq!(
        report["largestOverruns"],
        json!([{ "id": r5, "variance": 30000.0 }])
    );
    assert_eq!(report["upcoming"], json!([{ "id": r4 }]));
    let ids: Vec<&str> = report["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [r1.as_str(), r2.as_str(), r3.as_str(), r5.as_str()]);

    let emergencies = app
        .ok(
            "query { releaseReport(from: \"2026-11-01T00:00:00Z\", to: \"2026-12-01T00:00:00Z\",
                filter: { types: [EMERGENCY] }) { total } }",
            json!({}),
        )
        .await;
    assert_eq!(emergencies["releaseReport"]["total"], 1);
    for (from, to) in [
        ("2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        ("1900-01-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        ("2000-01-01T00:00:00Z", "2026-11-01T00:00:00Z"),
    ] {
        let refused = app
            .graphql(
                "query($f: DateTime!, $t: DateTime!) { releaseReport(from: $f, to: $t) { total } }",
                json!({ "f": from, "t": to }),
            )
            .await;
        assert_eq!(error_code(&refused), Some("VALIDATION"), "{refused}");
    }
    let (_, reader) = app.user("Reader", &[Role::Stakeholder]).await;
    let refused = app
        .as_bearer(Some(&reader))
        .graphql(
            "query { releaseReport(from: \"2026-11-01T00:00:00Z\", to: \"2026-12-01T00:00:00Z\") { total } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
}

/// A first start on a Wednesday, a manual run, and a run a day late each
/// report the Monday-to-Monday period of the slot they are for: the periods
/// follow the cadence and never overlap.
async fn a_late_run_reports_the_period_of_its_slot(app: &TestApp) {
    app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let runner = &app.context().jobs;
    let periods = || async {
        report_snapshot::Entity::find()
            .order_by_asc(report_snapshot::Column::PeriodFrom)
            .all(app.database())
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.period_from, s.period_to))
            .collect::<Vec<_>>()
    };
    let day = |d: u32, m: u32| Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap();
    // Friday 27 November 09:00 → Wednesday 2 December 10:00
    app.clock.advance(Duration::days(5) + Duration::hours(1));
    let first = runner.tick("release-report").await.unwrap().expect("a run");
    assert_eq!(
        first.slot,
        Some(Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 0).unwrap())
    );
    assert_eq!(periods().await, [(day(23, 11), day(30, 11))]);
    // a manual run on Thursday is for the same slot: nothing new
    app.clock.advance(Duration::days(1));
    let manual = runner
        .run_now("release-report", entities::Stamp::system(app.clock.now()))
        .await
        .unwrap();
    assert_eq!(manual.changed, 0, "{manual:?}");
    // Tuesday 8 December, a day after the slot
    app.clock.advance(Duration::days(5));
    runner.tick("release-report").await.unwrap().expect("a run");
    assert_eq!(
        periods().await,
        [(day(23, 11), day(30, 11)), (day(30, 11), day(7, 12))]
    );
}

on_both_databases!(
    a_late_run_reports_the_period_of_its_slot,
    the_ledger_is_append_only_with_reversals_in_one_currency,
    figures_freeze_at_completion_and_closure,
    a_master_rolls_up_its_phases_and_the_job_repairs_drift,
    the_report_matches_a_hand_computed_data_set,
);

async fn the_weekly_report_is_stored_and_emailed_once(app: &TestApp, sink: &SmtpSink) {
    app.user("Rita Manager", &[Role::ReleaseManager]).await;
    app.user("Mo Manager", &[Role::ReleaseManager]).await;
    let owner = fixtures::person(app, "Owner").await;
    fixtures::release(
        app,
        &owner,
        json!({ "title": "Reported", "type": "MINOR", "plannedStart": "2026-11-21T00:00:00Z", "plannedEnd": "2026-11-22T00:00:00Z" }),
    )
    .await;
    let ctx = app.context().jobs.context();
    let first = jobs::release_report::ReleaseReportJob
        .run(ctx)
        .await
        .unwrap();
    assert_eq!(first.changed, 3, "the snapshot and two e-mails");
    // another tick, another replica, later the same day: nothing more
    app.clock.advance(Duration::hours(5));
    let again = jobs::release_report::ReleaseReportJob
        .run(ctx)
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    let snapshots = report_snapshot::Entity::find()
        .all(app.database())
        .await
        .unwrap();
    assert_eq!(snapshots.len(), 1);
    assert_eq!(
        (snapshots[0].period_from, snapshots[0].period_to),
        (
            Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap()
        )
    );
    let listed = app
        .ok(
            "{ reportSnapshots { periodFrom periodTo report { total releases { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["reportSnapshots"][0]["report"]["total"], 1);
    assert_eq!(
        listed["reportSnapshots"][0]["periodFrom"],
        "2026-11-20T00:00:00+00:00"
    );

    jobs::outbox_dispatch::dispatch(ctx, "d1").await.unwrap();
    let reports: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| {
            m.parsed()
                .subject()
                .unwrap_or_default()
                .starts_with("Release report")
        })
        .collect();
    assert_eq!(reports.len(), 2);
    let recipients: Vec<String> = reports.iter().map(|m| m.recipients[0].clone()).collect();
    assert!(
        recipients.contains(&"rita.manager@example.com".to_owned()),
        "{recipients:?}"
    );
    let message = reports[0].parsed();
    let html = message.body_html(0).unwrap().to_string();
    assert!(html.contains("cid:report-chart"), "{html}");
    let mut png = None;
    let mut csv = None;
    for part in message.attachments() {
        let content_type = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")));
        match content_type.as_deref() {
            Some("image/png") => png = Some(part.contents().to_vec()),
            Some("text/csv") => csv = Some(String::from_utf8_lossy(part.contents()).to_string()),
            _ => {}
        }
    }
    let png = png.expect("an inline PNG chart");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1_000);
    let csv = csv.expect("a CSV attachment");
    assert!(csv.starts_with("id,title,type,scope,status"), "{csv}");
    assert!(csv.contains(",Reported,MINOR,STANDALONE,DRAFT,"), "{csv}");
}

mod smtp {
    use super::*;
    use releasedesk_tests::{run_on_with, Backend};

    async fn with_sink(backend: Backend) {
        let sink = std::sync::Arc::new(SmtpSink::start().await);
        let mut settings = test_settings();
        settings.mail.smtp_host = Some("127.0.0.1".into());
        settings.mail.smtp_port = Some(sink.addr.port());
        settings.mail.smtp_security = releasedesk::config::SmtpSecurity::None;
        run_on_with(backend, settings, move |app| {
            Box::pin(async move {
                super::the_weekly_report_is_stored_and_emailed_once(app, &sink).await
            })
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_weekly_report_is_stored_and_emailed_once_sqlite() {
        with_sink(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(postgres_tests),
        ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
    )]
    async fn the_weekly_report_is_stored_and_emailed_once_postgres() {
        with_sink(Backend::Postgres).await;
    }
}

#[test]
fn the_command_line_prints_the_report() {
    let dir = std::env::temp_dir().join(format!("releasedesk-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/report.db?mode=rwc", dir.display());
    let run = |args: &[&str]| {
        let output = std::process::Command::new(releasedesk_tests::binary())
            .args(args)
            .current_dir(&dir)
            .env("RELEASEDESK_DATABASE__URL", &db)
            .output()
            .expect("run releasedesk");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["seed-demo"]);
    let csv = run(&["report", "--from", "2026-12-01", "--to", "2027-06-01"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,title,type,scope,status,planned_start,planned_end,actual_start,actual_end,budget,cost,variance");
    assert!(
        lines.iter().any(|l| l.contains("Mail server upgrade")),
        "{csv}"
    );
    let json: Value = serde_json::from_str(&run(&[
        "report",
        "--from",
        "2026-12-01",
        "--to",
        "2027-06-01",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["total"].as_i64().unwrap() as usize, lines.len() - 1);
    let _ = std::fs::remove_dir_all(&dir);
}
