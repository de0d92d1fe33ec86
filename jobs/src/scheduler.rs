//! The ticking: tokio-cron-scheduler fires each job at its slots and every
//! tick goes to [`Runner::tick`], which claims the slot before running it. At
//! start each job is ticked once, so a slot missed while every replica was down
//! is caught up once. Shutdown stops the ticks, waits for running jobs up to a
//! grace period, then stops them and marks their runs interrupted.

use crate::ledger;
use crate::runner::Runner;
use std::time::Duration;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The scheduler of one replica.
pub struct Scheduler {
    runner: Runner,
    cron: JobScheduler,
    running: TaskTracker,
    stop: CancellationToken,
}

impl Scheduler {
    /// Starts ticking every job of `runner`.
    pub async fn start(runner: Runner) -> Result<Self, String> {
        let cron = JobScheduler::new()
            .await
            .map_err(|err| format!("creating the scheduler: {err}"))?;
        let running = TaskTracker::new();
        let stop = CancellationToken::new();
        for (name, schedule) in runner.schedules() {
            let tick = (runner.clone(), running.clone(), stop.clone());
            let job = CronJob::new_async(schedule.expression(), move |_, _| {
                spawn_tick(&tick.0, &tick.1, &tick.2, name);
                Box::pin(async {})
            })
            .map_err(|err| format!("scheduling {name}: {err}"))?;
            cron.add(job)
                .await
                .map_err(|err| format!("scheduling {name}: {err}"))?;
            spawn_tick(&runner, &running, &stop, name); // catch up a missed slot
        }
        cron.start()
            .await
            .map_err(|err| format!("starting the scheduler: {err}"))?;
        tracing::info!(runner = runner.id(), jobs = ?runner.schedules().map(|(n, s)| format!("{n} {}", s.expression())).collect::<Vec<_>>(), "scheduler started");
        Ok(Self {
            runner,
            cron,
            running,
            stop,
        })
    }

    /// Stops ticking, lets running jobs finish within `grace`, then stops them;
    /// their work rolls back and their runs are marked interrupted.
    pub async fn shutdown(mut self, grace: Duration) {
        if let Err(err) = self.cron.shutdown().await {
            tracing::warn!(error = %err, "stopping the cron ticks");
        }
        self.running.close();
        if tokio::time::timeout(grace, self.running.wait())
            .await
            .is_ok()
        {
            return;
        }
        tracing::warn!(
            grace_seconds = grace.as_secs(),
            "jobs still running after the grace period; stopping them"
        );
        self.stop.cancel();
        self.running.wait().await;
        let context = self.runner.context();
        let why = format!(
            "stopped at shutdown after a grace period of {} s; its work was rolled back",
            grace.as_secs()
        );
        match ledger::interrupt(&context.db, self.runner.id(), context.clock.now(), &why).await {
            Ok(count) => tracing::warn!(count, "job runs interrupted"),
            Err(err) => tracing::error!(error = %err, "could not mark interrupted runs"),
        }
    }
}

fn spawn_tick(
    runner: &Runner,
    running: &TaskTracker,
    stop: &CancellationToken,
    name: &'static str,
) {
    let (runner, stop) = (runner.clone(), stop.clone());
    running.spawn(async move {
        tokio::select! {
            _ = stop.cancelled() => {}
            outcome = runner.tick(name) => {
                if let Err(err) = outcome {
                    tracing::error!(job = name, error = %err, "tick failed");
                }
            }
        }
    });
}
