//! Several replicas on one PostgreSQL: three processes of the real binary tick
//! a per-second job against one database. Every slot in the span must be
//! accounted for by exactly one run: its own, or a catch-up run that covers it
//! when no replica ticked in time (the machine may be loaded), never two.

use chrono::Duration;
use entities::entity::job_run::{self, JobOutcome};
use releasedesk::db;
use releasedesk_tests::{binary, fresh_database, Backend};
use sea_orm::{prelude::*, QueryOrder};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const SYNC: &str = "change-schedule-sync";
/// Finished scheduled runs to wait for before stopping the replicas.
const RUNS_WANTED: usize = 8;

/// The replicas, killed if the test ends early.
struct Replicas(Vec<(Child, std::path::PathBuf)>);

impl Drop for Replicas {
    fn drop(&mut self) {
        for (child, _) in &mut self.0 {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Replicas {
    fn logs(&self) -> String {
        self.0
            .iter()
            .map(|(_, log)| std::fs::read_to_string(log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }
}

async fn finished_runs(db: &DatabaseConnection) -> Vec<job_run::Model> {
    job_run::Entity::find()
        .filter(job_run::Column::Job.eq(SYNC))
        .filter(job_run::Column::Slot.is_not_null())
        .filter(job_run::Column::Outcome.ne(JobOutcome::Running))
        .order_by_asc(job_run::Column::Slot)
        .all(db)
        .await
        .expect("read the ledger")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_run_every_slot_of_a_per_second_job_exactly_once() {
    let Some((url, cleanup)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let db = db::connect(&url, 2).await.expect("connect");
    db::migrate(&db)
        .await
        .expect("migrate once, before the replicas start");
    let folder =
        std::env::temp_dir().join(format!("releasedesk-replicas-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let binary = binary();
    let mut replicas = Replicas(Vec::new());
    for n in 0..3 {
        let log = folder.join(format!("replica-{n}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(&binary)
            .arg("serve")
            .current_dir(&folder)
            .env("RELEASEDESK_DATABASE__URL", &url)
            .env("RELEASEDESK_DATABASE__MAX_CONNECTIONS", "3")
            .env("RELEASEDESK_SERVER__BIND", "127.0.0.1:0")
            .env(
                "RELEASEDESK_JOBS__SCHEDULES__CHANGE_SCHEDULE_SYNC",
                "* * * * * *",
            )
            .env("RELEASEDESK_LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start a replica");
        replicas.0.push((child, log));
    }

    // wait for enough runs; the bound is generous, only a hang would reach it
    let waiting = Instant::now();
    while finished_runs(&db).await.len() < RUNS_WANTED {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(120),
            "replicas ran too few slots; their logs:\n{}",
            replicas.logs()
        );
        for (child, _) in &mut replicas.0 {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("a replica exited with {status}; logs:\n{}", replicas.logs());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // SIGTERM: each replica stops ticking, lets its running job finish, exits 0
    for (child, _) in &replicas.0 {
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    for (child, _) in &mut replicas.0 {
        let stopping = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                stopping.elapsed() < std::time::Duration::from_secs(60),
                "a replica ignored SIGTERM"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert!(
            status.success(),
            "a replica exited with {status}; logs:\n{}",
            replicas.logs()
        );
    }
    let logs = replicas.logs();
    drop(replicas);

    let all = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(SYNC))
        .order_by_asc(job_run::Column::Slot)
        .all(&db)
        .await
        .unwrap();
    assert!(all.len() >= RUNS_WANTED);
    assert!(
        all.iter().all(|run| run.outcome == JobOutcome::Succeeded),
        "every run succeeded and none was left running: {all:#?}\n{logs}"
    );
    for pair in all.windows(2) {
        let (previous, run) = (&pair[0], &pair[1]);
        let (previous_slot, slot, from) = (
            previous.slot.unwrap(),
            run.slot.unwrap(),
            run.covers_from.unwrap(),
        );
        assert!(
            slot > previous_slot,
            "slots are unique and ordered: {pair:#?}"
        );
        assert_eq!(
            from,
            previous_slot + Duration::seconds(1),
            "run {} covers from the slot after the previous run: no gap, no overlap",
            run.id
        );
        assert!(from <= slot);
    }
    let runners: std::collections::BTreeSet<&str> = all.iter().map(|r| r.runner.as_str()).collect();
    let catch_ups = all.iter().filter(|r| r.covers_from != r.slot).count();
    eprintln!(
        "{} runs over {} s by {} replicas ({} catch-ups)",
        all.len(),
        (all.last().unwrap().slot.unwrap() - all[0].slot.unwrap()).num_seconds() + 1,
        runners.len(),
        catch_ups
    );
    db.close().await.ok();
    cleanup.run().await;
    std::fs::remove_dir_all(&folder).ok();
}
