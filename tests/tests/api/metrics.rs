//! `GET /metrics`: the scrape parses as the Prometheus text format and counts
//! what happened: requests by operation and outcome, job runs, the outbox, the
//! approvals, the pool; and it moves to its own address when asked.

use crate::fixtures;
use chrono::{DateTime, Duration, Utc};
use entities::entity::{
    approval_request, outbox_message, ApprovalStatus, DecisionRule, OutboxStatus,
};
use entities::{Clock, Stamp};
use prometheus_parse::{Sample, Scrape, Value};
use releasedesk_tests::{on_both_databases, run_on_with, test_settings, Backend, TestApp};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

/// The scrape at `url`, parsed.
async fn scrape(app: &TestApp, url: &str) -> Scrape {
    let response = app.http().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("the Prometheus text format")
}

/// The one sample of `metric` whose labels include `labels`.
fn sample<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> &'a Sample {
    let found: Vec<&Sample> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {metric}{labels:?} in {:#?}",
        scrape.samples
    );
    found[0]
}

fn number(sample: &Sample) -> f64 {
    match &sample.value {
        Value::Counter(n) | Value::Gauge(n) | Value::Untyped(n) => *n,
        other => panic!("{} is not a number: {other:?}", sample.metric),
    }
}

/// The observations of a histogram (its `+Inf` bucket).
fn observations(sample: &Sample) -> f64 {
    match &sample.value {
        Value::Histogram(buckets) => buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map(|b| b.count)
            .expect("a +Inf bucket"),
        other => panic!("{} is not a histogram: {other:?}", sample.metric),
    }
}

async fn open_approval(app: &TestApp, release_id: i32, round: i32, due_at: DateTime<Utc>) {
    let now = app.clock.now();
    approval_request::ActiveModel {
        release_id: Set(release_id),
        milestone_id: Set(None),
        subject_key: Set(format!("release:{release_id}")),
        round: Set(round),
        rule: Set(DecisionRule::All),
        quorum: Set(None),
        emergency: Set(false),
        status: Set(ApprovalStatus::Open),
        reminder_hours: Set(24),
        opened_at: Set(now - Duration::days(3)),
        due_at: Set(due_at),
        decided_at: Set(None),
        note: Set(None),
        updated_at: Set(now),
        version: Set(1),
        requested_by: Set(None),
        ..Default::default()
    }
    .insert(app.database())
    .await
    .unwrap();
}

async fn queued_mail(app: &TestApp, key: &str, status: OutboxStatus, written: DateTime<Utc>) {
    outbox_message::ActiveModel {
        idempotency_key: Set(key.into()),
        kind: Set("TEST".into()),
        release_id: Set(None),
        recipient_id: Set(None),
        recipient: Set("someone@example.com".into()),
        subject: Set("s".into()),
        text_body: Set("t".into()),
        html_body: Set("h".into()),
        attachments: Set(None),
        status: Set(status),
        attempts: Set(0),
        next_attempt_at: Set(written),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(written),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(app.database())
    .await
    .unwrap();
}

async fn the_scrape_counts_requests_jobs_mail_and_approvals(app: &TestApp) {
    let url = format!("{}/metrics", app.base_url);
    let before = scrape(app, &url).await;
    assert_eq!(number(sample(&before, "releasedesk_database_up", &[])), 1.0);
    assert_eq!(
        number(sample(&before, "releasedesk_approvals_open", &[])),
        0.0
    );
    assert_eq!(
        number(sample(
            &before,
            "releasedesk_outbox_messages",
            &[("status", "QUEUED")]
        )),
        0.0
    );

    app.ok("query Releases { releases { totalCount } }", json!({}))
        .await;
    app.ok("query Releases { releases { totalCount } }", json!({}))
        .await;
    app.error("query Broken { noSuchField }", json!({})).await;
    let owner = fixtures::person(app, "Metrics Owner").await;
    let release =
        fixtures::release(app, &owner, json!({ "title": "Counted", "type": "MINOR" })).await;
    let release_id: i32 = release["id"].as_str().unwrap().parse().unwrap();
    let now = app.clock.now();
    open_approval(app, release_id, 1, now - Duration::hours(1)).await;
    open_approval(app, release_id, 2, now + Duration::days(1)).await;
    queued_mail(
        app,
        "metrics-old",
        OutboxStatus::Queued,
        now - Duration::minutes(10),
    )
    .await;
    queued_mail(
        app,
        "metrics-new",
        OutboxStatus::Queued,
        now - Duration::minutes(1),
    )
    .await;
    queued_mail(
        app,
        "metrics-failed",
        OutboxStatus::Failed,
        now - Duration::days(1),
    )
    .await;
    let run = app
        .context()
        .jobs
        .run_now("housekeeping", Stamp::system(now))
        .await
        .unwrap();

    let after = scrape(app, &url).await;
    let requests = |operation: &str, outcome: &str| {
        number(sample(
            &after,
            "releasedesk_graphql_requests_total",
            &[("operation", operation), ("outcome", outcome)],
        ))
    };
    assert_eq!(requests("Releases", "OK"), 2.0);
    assert_eq!(requests("Broken", "VALIDATION"), 1.0);
    let latency = sample(
        &after,
        "releasedesk_graphql_request_duration_seconds",
        &[("operation", "Releases")],
    );
    assert_eq!(observations(latency), 2.0);
    let outcome = sea_orm::ActiveEnum::to_value(&run.outcome);
    assert_eq!(
        number(sample(
            &after,
            "releasedesk_job_runs_total",
            &[("job", "housekeeping"), ("outcome", outcome.as_str())],
        )),
        1.0
    );
    assert_eq!(
        observations(sample(
            &after,
            "releasedesk_job_run_duration_seconds",
            &[("job", "housekeeping")],
        )),
        1.0
    );
    assert_eq!(
        number(sample(&after, "releasedesk_approvals_open", &[])),
        2.0
    );
    assert_eq!(
        number(sample(&after, "releasedesk_approvals_overdue", &[])),
        1.0
    );
    let outbox = |status: &str| {
        number(sample(
            &after,
            "releasedesk_outbox_messages",
            &[("status", status)],
        ))
    };
    assert_eq!(
        (outbox("QUEUED"), outbox("FAILED"), outbox("SENT")),
        (2.0, 1.0, 0.0)
    );
    assert_eq!(
        number(sample(
            &after,
            "releasedesk_outbox_oldest_unsent_age_seconds",
            &[]
        )),
        600.0,
        "the queued message written ten minutes ago"
    );
    let max = f64::from(app.context().settings.database.max_connections);
    assert_eq!(
        number(sample(&after, "releasedesk_db_pool_max_connections", &[])),
        max
    );
    let open = number(sample(
        &after,
        "releasedesk_db_pool_connections",
        &[("state", "idle")],
    )) + number(sample(
        &after,
        "releasedesk_db_pool_connections",
        &[("state", "in_use")],
    ));
    assert!(
        (1.0..=max).contains(&open),
        "{open} of {max} connections open"
    );
    assert!(observations(sample(&after, "releasedesk_db_begin_wait_seconds", &[])) >= 1.0);
    assert_eq!(
        number(sample(&after, "releasedesk_live_connections", &[])),
        0.0
    );
    assert!(
        after
            .docs
            .contains_key("releasedesk_graphql_requests_total"),
        "every metric says what it counts"
    );
}

async fn operation_names_beyond_the_bound_count_as_other(app: &TestApp) {
    for n in 0..300 {
        let query = format!("query Q{n} {{ me {{ id }} }}");
        app.ok(&query, json!({})).await;
    }
    let after = scrape(app, &format!("{}/metrics", app.base_url)).await;
    let named = after
        .samples
        .iter()
        .filter(|s| s.metric == "releasedesk_graphql_requests_total")
        .filter(|s| {
            s.labels
                .get("operation")
                .is_some_and(|o| o.starts_with('Q'))
        })
        .count();
    assert_eq!(named, 256, "256 names are kept");
    assert_eq!(
        number(sample(
            &after,
            "releasedesk_graphql_requests_total",
            &[("operation", "other"), ("outcome", "OK")],
        )),
        44.0
    );
}

on_both_databases!(
    the_scrape_counts_requests_jobs_mail_and_approvals,
    operation_names_beyond_the_bound_count_as_other,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_to_their_own_address_or_switch_off() {
    let mut own = test_settings();
    own.metrics.bind = Some("127.0.0.1:0".into());
    run_on_with(Backend::Sqlite, own, |app| {
        Box::pin(async move {
            let beside_api = app.get("/metrics").await;
            assert_eq!(beside_api.status(), 404, "not beside the API");
            let url = app.metrics_url().expect("its own address");
            let scraped = scrape(app, &url).await;
            assert_eq!(
                number(sample(&scraped, "releasedesk_database_up", &[])),
                1.0
            );
        })
    })
    .await;
    let mut off = test_settings();
    off.metrics.enabled = false;
    run_on_with(Backend::Sqlite, off, |app| {
        Box::pin(async move {
            assert_eq!(app.get("/metrics").await.status(), 404);
            assert_eq!(app.metrics_url(), None);
        })
    })
    .await;
}
