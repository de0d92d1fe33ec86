//! `cost-rollup`: recomputes every stored cost total from the ledger in
//! set-based SQL, a batch of releases per unit of work (locked first, as the
//! writers of cost lines lock them), and repairs whatever drifted.

use crate::{Counts, Job, JobContext};
use entities::costs::{self, Rollup};
use futures::future::BoxFuture;

/// The job; see the module documentation.
pub struct CostRollup;

impl Job for CostRollup {
    fn name(&self) -> &'static str {
        "cost-rollup"
    }

    fn default_schedule(&self) -> &'static str {
        "0 15 * * * *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            let mut repaired = Rollup::default();
            let mut batches = 0;
            let mut after = 0;
            loop {
                let (batch, last) = ctx
                    .write(async |tx| costs::rollup(tx, after).await)
                    .await
                    .map_err(|err| err.to_string())?;
                repaired.milestones += batch.milestones;
                repaired.releases += batch.releases;
                repaired.masters += batch.masters;
                let Some(last) = last else { break };
                batches += 1;
                after = last;
            }
            let changed = repaired.milestones + repaired.releases + repaired.masters;
            if changed > 0 {
                tracing::warn!(
                    ?repaired,
                    "cost totals had drifted from the ledger; repaired"
                );
            }
            Ok(Counts {
                examined: batches,
                changed,
            })
        })
    }
}
