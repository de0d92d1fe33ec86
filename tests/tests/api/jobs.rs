//! The scheduler and its ledger: slots claimed once, missed slots caught up
//! once, crashed runs visible, manual runs, and `change-schedule-sync`. The
//! server's clock is manual here and the tests tick the server's own runner;
//! `replicas.rs` runs real processes on the wall clock.

use crate::fixtures::{self, window};
use chrono::{DateTime, Duration, Utc};
use entities::entity::job_run::{self, JobOutcome, JobTrigger};
use entities::entity::{change_request, Role};
use entities::Clock;
use futures::future::BoxFuture;
use releasedesk_tests::{on_both_databases, TestApp};
use sea_orm::{prelude::*, sea_query::Expr, ActiveValue::Set, QueryOrder};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const SYNC: &str = "change-schedule-sync";

const RUN_FIELDS: &str = "id job slot coversFrom trigger runner outcome startedAt endedAt \
    examined changed error requestedBy { id name }";

const RUN_JOB: &str = "mutation($name: String!) { runJob(name: $name) {
    id job slot coversFrom trigger runner outcome startedAt endedAt examined changed error requestedBy { id name } } }";

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a DateTime"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// A release with a window and `count` changes linked to it; returns the
/// release and the change ids.
async fn release_with_linked_changes(app: &TestApp, count: usize) -> (Value, Vec<String>) {
    let owner = fixtures::person(app, "Owner").await;
    let (start, end) = window(10, 5);
    let release = fixtures::release(
        app,
        &owner,
        json!({ "title": "Mail upgrade", "type": "MINOR", "plannedStart": start, "plannedEnd": end }),
    )
    .await;
    let mut changes = Vec::new();
    for _ in 0..count {
        let created = app
            .ok(
                "mutation($i: CreateChangeInput!) { createChange(input: $i) { id } }",
                json!({ "i": { "title": "Patch", "risk": "LOW", "requesterId": owner } }),
            )
            .await;
        let id = created["createChange"]["id"].as_str().unwrap().to_owned();
        app.ok(
            "mutation($c: ID!, $r: ID!) { linkChange(id: $c, releaseId: $r) { id } }",
            json!({ "c": id, "r": release["id"] }),
        )
        .await;
        changes.push(id);
    }
    (release, changes)
}

/// Moves a change's schedule behind the API's back, as an import would.
async fn drift(app: &TestApp, change_id: &str, start: DateTime<Utc>) {
    let id: i32 = change_id.parse().unwrap();
    change_request::Entity::update_many()
        .col_expr(
            change_request::Column::ScheduledStart,
            Expr::value(Some(start)),
        )
        .col_expr(
            change_request::Column::ScheduledEnd,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(change_request::Column::Id.eq(id))
        .exec(app.database())
        .await
        .expect("drift a change");
}

async fn change_schedule_sync_realigns_drifted_changes_with_history(app: &TestApp) {
    let (release, changes) = release_with_linked_changes(app, 3).await;
    let drifted_to = instant(&json!(window(40, 1).0));
    drift(app, &changes[0], drifted_to).await;
    drift(app, &changes[2], drifted_to).await;

    let run = app.ok(RUN_JOB, json!({ "name": SYNC })).await["runJob"].clone();
    assert_eq!(run["outcome"], "SUCCEEDED", "{run}");
    assert_eq!(run["trigger"], "MANUAL");
    assert_eq!(run["slot"], Value::Null);
    assert_eq!(run["examined"], 3.0);
    assert_eq!(run["changed"], 2.0);
    assert_eq!(run["requestedBy"]["name"], "Test Admin");
    assert!(run["endedAt"].is_string());

    for id in &changes {
        let change = app
            .ok(
                "query($id: ID!) { change(id: $id) { scheduledStart scheduledEnd } }",
                json!({ "id": id }),
            )
            .await["change"]
            .clone();
        assert_eq!(
            instant(&change["scheduledStart"]),
            instant(&release["plannedStart"])
        );
        assert_eq!(
            instant(&change["scheduledEnd"]),
            instant(&release["plannedEnd"])
        );
    }
    // one event per corrected field of each corrected change, by the system
    let history = app
        .ok(
            "query($id: ID!) { release(id: $id) { history { kind field from to note actor { id } } } }",
            json!({ "id": release["id"] }),
        )
        .await["release"]["history"]
        .clone();
    let realigned: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["note"].as_str().is_some_and(|n| n.contains("realigned")))
        .collect();
    assert_eq!(realigned.len(), 4, "{history:#}");
    assert!(realigned
        .iter()
        .all(|e| e["kind"] == "CHANGE_RESCHEDULED" && e["actor"].is_null()));
    assert!(realigned
        .iter()
        .any(|e| e["field"] == "scheduledEnd" && e["from"].is_null()));

    // nothing left to correct
    let again = app.ok(RUN_JOB, json!({ "name": SYNC })).await["runJob"].clone();
    assert_eq!(
        (again["examined"].clone(), again["changed"].clone()),
        (json!(3.0), json!(0.0))
    );

    // the ledger lists both, newest first, and pages
    let page = app
        .ok(
            &format!("query($job: String) {{ jobRuns(job: $job, first: 1) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {RUN_FIELDS} }} }} }}"),
            json!({ "job": SYNC }),
        )
        .await["jobRuns"]
        .clone();
    assert_eq!(page["nodes"][0]["id"], again["id"]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let rest = app
        .ok(
            "query($after: String) { jobRuns(job: \"change-schedule-sync\", first: 5, after: $after) { pageInfo { hasNextPage } nodes { id } } }",
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await["jobRuns"]
        .clone();
    assert_eq!(rest["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(rest["nodes"][0]["id"], run["id"]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    // the manual run is audited like any mutation
    let audit = app
        .ok(
            "{ auditEvents(filter: { operation: \"runJob\" }) { outcome arguments } }",
            json!({}),
        )
        .await;
    assert_eq!(audit["auditEvents"].as_array().unwrap().len(), 2, "{audit}");
    assert_eq!(audit["auditEvents"][0]["outcome"], "OK");
}

async fn each_slot_is_claimed_once_and_missed_slots_are_caught_up_once(app: &TestApp) {
    let runner = &app.context().jobs;
    let start = app.clock.now(); // 09:00:00, a slot of the five-minute default
    let first = runner
        .tick(SYNC)
        .await
        .unwrap()
        .expect("the first tick runs");
    assert_eq!(first.outcome, JobOutcome::Succeeded);
    assert_eq!(first.trigger, JobTrigger::Schedule);
    assert_eq!((first.slot, first.covers_from), (Some(start), Some(start)));
    // another tick for the same slot (another replica, a late timer) runs nothing
    assert!(runner.tick(SYNC).await.unwrap().is_none());

    app.clock.advance(Duration::seconds(301));
    let next = runner
        .tick(SYNC)
        .await
        .unwrap()
        .expect("the next slot runs");
    let slot = start + Duration::minutes(5);
    assert_eq!((next.slot, next.covers_from), (Some(slot), Some(slot)));
    assert_eq!(next.trigger, JobTrigger::Schedule);

    // every replica down for half an hour: the six missed slots run once, together
    app.clock.advance(Duration::minutes(30));
    let caught_up = runner.tick(SYNC).await.unwrap().expect("the catch-up runs");
    assert_eq!(caught_up.trigger, JobTrigger::CatchUp);
    assert_eq!(caught_up.slot, Some(start + Duration::minutes(35)));
    assert_eq!(caught_up.covers_from, Some(start + Duration::minutes(10)));
    assert!(runner.tick(SYNC).await.unwrap().is_none());

    let jobs = app
        .ok(
            "{ jobs { name schedule nextRunAt lastOutcome lastRun { id trigger } } }",
            json!({}),
        )
        .await["jobs"]
        .clone();
    let sync = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == SYNC)
        .expect("listed");
    assert_eq!(sync["schedule"], "0 */5 * * * *");
    assert_eq!(sync["lastOutcome"], "SUCCEEDED");
    assert_eq!(sync["lastRun"]["id"], caught_up.id.to_string());
    assert_eq!(instant(&sync["nextRunAt"]), start + Duration::minutes(40));
}

async fn a_run_whose_runner_died_is_abandoned_and_the_next_slot_runs(app: &TestApp) {
    let runner = &app.context().jobs;
    runner
        .tick(SYNC)
        .await
        .unwrap()
        .expect("the first slot runs");
    // a replica claimed the next slot and was killed mid-run: its run stays
    // RUNNING and stops checking in
    let now = app.clock.now();
    let dead = job_run::ActiveModel {
        job: Set(SYNC.into()),
        slot: Set(Some(now + Duration::minutes(5))),
        covers_from: Set(Some(now + Duration::minutes(5))),
        trigger: Set(JobTrigger::Schedule),
        runner: Set("dead-host:4242:abcdef".into()),
        requested_by: Set(None),
        outcome: Set(JobOutcome::Running),
        started_at: Set(now + Duration::minutes(5)),
        heartbeat_at: Set(now + Duration::minutes(5)),
        ended_at: Set(None),
        examined: Set(0),
        changed: Set(0),
        error: Set(None),
        ..Default::default()
    }
    .insert(app.database())
    .await
    .expect("a run left by a dead replica");
    // while its lease (60 s) lasts, the job counts as running everywhere
    app.clock.advance(Duration::seconds(330));
    assert!(
        runner.tick(SYNC).await.unwrap().is_none(),
        "busy while leased"
    );
    app.expect_code(RUN_JOB, json!({ "name": SYNC }), "CONFLICT")
        .await;

    app.clock.advance(Duration::minutes(5));
    let next = runner
        .tick(SYNC)
        .await
        .unwrap()
        .expect("the next slot runs");
    assert_eq!(next.outcome, JobOutcome::Succeeded);
    let runs = app
        .ok(
            &format!("{{ jobRuns(first: 10) {{ nodes {{ {RUN_FIELDS} }} }} }}"),
            json!({}),
        )
        .await["jobRuns"]["nodes"]
        .clone();
    let abandoned = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str() == Some(dead.id.to_string().as_str()))
        .expect("the dead run is listed");
    assert_eq!(abandoned["outcome"], "ABANDONED");
    assert_eq!(abandoned["runner"], "dead-host:4242:abcdef");
    assert!(abandoned["error"]
        .as_str()
        .unwrap()
        .contains("stopped checking in"));
    assert!(abandoned["endedAt"].is_string());
}

/// A job that panics on its first run and succeeds afterwards.
struct PanicsOnce(AtomicBool);

impl jobs::Job for PanicsOnce {
    fn name(&self) -> &'static str {
        "panics-once"
    }
    fn default_schedule(&self) -> &'static str {
        "0 * * * * *"
    }
    fn run<'a>(&'a self, _: &'a jobs::JobContext) -> BoxFuture<'a, Result<jobs::Counts, String>> {
        Box::pin(async move {
            if !self.0.swap(true, Ordering::SeqCst) {
                panic!("disk on fire");
            }
            Ok(jobs::Counts {
                examined: 1,
                changed: 0,
            })
        })
    }
}

async fn a_panicking_run_is_recorded_as_failed_and_the_next_slot_runs(app: &TestApp) {
    let context = app.context().jobs.context().clone();
    let runner = jobs::Runner::new(
        context,
        vec![Arc::new(PanicsOnce(AtomicBool::new(false)))],
        jobs::RunnerOptions::default(),
    )
    .unwrap();
    let crashed = runner.tick("panics-once").await.unwrap().expect("claimed");
    assert_eq!(crashed.outcome, JobOutcome::Failed);
    assert_eq!(crashed.error.as_deref(), Some("panicked: disk on fire"));
    assert!(crashed.ended_at.is_some());
    app.clock.advance(Duration::minutes(1));
    let next = runner
        .tick("panics-once")
        .await
        .unwrap()
        .expect("the next slot runs");
    assert_eq!(next.outcome, JobOutcome::Succeeded);
    assert_eq!(next.examined, 1);
    let listed = app
        .ok(
            "{ jobRuns(first: 5) { nodes { id outcome error } } }",
            json!({}),
        )
        .await["jobRuns"]["nodes"]
        .clone();
    assert_eq!(listed[1]["id"], crashed.id.to_string());
    assert_eq!(listed[1]["outcome"], "FAILED");
}

/// A job that never finishes by itself.
struct Hangs;

impl jobs::Job for Hangs {
    fn name(&self) -> &'static str {
        "hangs"
    }
    fn default_schedule(&self) -> &'static str {
        "0 0 * * * *"
    }
    fn run<'a>(&'a self, _: &'a jobs::JobContext) -> BoxFuture<'a, Result<jobs::Counts, String>> {
        Box::pin(std::future::pending())
    }
}

async fn shutdown_stops_a_job_past_its_grace_and_marks_the_run_interrupted(app: &TestApp) {
    let context = app.context().jobs.context().clone();
    let runner = jobs::Runner::new(
        context,
        vec![Arc::new(Hangs)],
        jobs::RunnerOptions::default(),
    )
    .unwrap();
    // the scheduler ticks every job once at start (the catch-up tick)
    let scheduler = jobs::Scheduler::start(runner).await.unwrap();
    let running = loop {
        let runs = job_run::Entity::find()
            .filter(job_run::Column::Job.eq("hangs"))
            .all(app.database())
            .await
            .unwrap();
        if let Some(run) = runs.into_iter().next() {
            break run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(running.outcome, JobOutcome::Running);
    scheduler.shutdown(std::time::Duration::ZERO).await;
    let stopped = job_run::Entity::find_by_id(running.id)
        .one(app.database())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stopped.outcome, JobOutcome::Interrupted);
    assert!(stopped.error.unwrap().contains("grace period of 0 s"));
    assert!(stopped.ended_at.is_some());
}

async fn only_administrators_see_and_run_jobs_and_bad_arguments_are_refused(app: &TestApp) {
    let (_, manager) = app.user("Rita Manager", &[Role::ReleaseManager]).await;
    let as_manager = app.as_bearer(Some(&manager));
    as_manager
        .expect_code(RUN_JOB, json!({ "name": SYNC }), "FORBIDDEN")
        .await;
    as_manager
        .expect_code("{ jobs { name } }", json!({}), "FORBIDDEN")
        .await;
    as_manager
        .expect_code("{ jobRuns { nodes { id } } }", json!({}), "FORBIDDEN")
        .await;
    app.expect_code(RUN_JOB, json!({ "name": "make-coffee" }), "NOT_FOUND")
        .await;
    app.expect_code(
        "{ jobRuns(job: \"make-coffee\") { nodes { id } } }",
        json!({}),
        "VALIDATION",
    )
    .await;
    app.expect_code(
        "{ jobRuns(first: 0) { nodes { id } } }",
        json!({}),
        "VALIDATION",
    )
    .await;
    app.expect_code(
        "{ jobRuns(first: 101) { nodes { id } } }",
        json!({}),
        "VALIDATION",
    )
    .await;
    app.expect_code(
        "{ jobRuns(after: \"bogus\") { nodes { id } } }",
        json!({}),
        "VALIDATION",
    )
    .await;
    // nothing ran
    let runs = app.ok("{ jobRuns { nodes { id } } }", json!({})).await;
    assert_eq!(runs["jobRuns"]["nodes"], json!([]));
}

async fn housekeeping_prunes_quiet_runs_and_sent_mail_past_the_retention(app: &TestApp) {
    use entities::entity::{outbox_message, OutboxStatus};
    let now = app.clock.now();
    let run = |ended: chrono::DateTime<Utc>, outcome: JobOutcome, changed: i64, slot: i64| {
        job_run::ActiveModel {
            job: Set(SYNC.into()),
            slot: Set(Some(now - Duration::days(400) + Duration::minutes(slot))),
            covers_from: Set(None),
            trigger: Set(JobTrigger::Schedule),
            runner: Set("old-host:1:abcdef".into()),
            requested_by: Set(None),
            outcome: Set(outcome),
            started_at: Set(ended),
            heartbeat_at: Set(ended),
            ended_at: Set(Some(ended)),
            examined: Set(changed),
            changed: Set(changed),
            error: Set(None),
            ..Default::default()
        }
    };
    let old = now - Duration::days(31);
    let recent = now - Duration::days(29);
    for (n, (ended, outcome, changed)) in [
        (old, JobOutcome::Succeeded, 0),    // pruned
        (old, JobOutcome::Succeeded, 3),    // kept: it changed rows
        (old, JobOutcome::Failed, 0),       // kept: it failed
        (recent, JobOutcome::Succeeded, 0), // kept: too recent
    ]
    .into_iter()
    .enumerate()
    {
        run(ended, outcome, changed, n as i64)
            .insert(app.database())
            .await
            .unwrap();
    }
    let mail = |key: &str, status: OutboxStatus, sent: Option<chrono::DateTime<Utc>>| {
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
            attempts: Set(1),
            next_attempt_at: Set(old),
            claimed_by: Set(None),
            claimed_until: Set(None),
            last_error: Set(None),
            created_at: Set(old),
            sent_at: Set(sent),
            ..Default::default()
        }
    };
    mail("old-sent", OutboxStatus::Sent, Some(old))
        .insert(app.database())
        .await
        .unwrap();
    mail("recent-sent", OutboxStatus::Sent, Some(recent))
        .insert(app.database())
        .await
        .unwrap();
    mail("old-failed", OutboxStatus::Failed, None)
        .insert(app.database())
        .await
        .unwrap();
    let done = app.ok(RUN_JOB, json!({ "name": "housekeeping" })).await["runJob"].clone();
    assert_eq!(done["outcome"], "SUCCEEDED", "{done}");
    assert_eq!(done["changed"], 2.0, "one quiet run and one sent e-mail");
    let runs = job_run::Entity::find()
        .filter(job_run::Column::Runner.eq("old-host:1:abcdef"))
        .count(app.database())
        .await
        .unwrap();
    assert_eq!(runs, 3);
    let keys: Vec<String> = outbox_message::Entity::find()
        .order_by_asc(outbox_message::Column::Id)
        .all(app.database())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.idempotency_key)
        .collect();
    assert_eq!(keys, ["recent-sent", "old-failed"]);
}

on_both_databases!(
    housekeeping_prunes_quiet_runs_and_sent_mail_past_the_retention,
    change_schedule_sync_realigns_drifted_changes_with_history,
    each_slot_is_claimed_once_and_missed_slots_are_caught_up_once,
    a_run_whose_runner_died_is_abandoned_and_the_next_slot_runs,
    a_panicking_run_is_recorded_as_failed_and_the_next_slot_runs,
    shutdown_stops_a_job_past_its_grace_and_marks_the_run_interrupted,
    only_administrators_see_and_run_jobs_and_bad_arguments_are_refused,
);
