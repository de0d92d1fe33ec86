//! `cost-rollup`: recomputes every stored cost total from the ledger in
//! set-based SQL (one statement per level) and repairs whatever drifted.

use crate::{Counts, Job, JobContext};
use entities::{costs, Stamp};
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
            let repaired = entities::write(&ctx.db, Stamp::system(ctx.clock.now()), async |tx| {
                costs::rollup(tx).await
            })
            .await
            .map_err(|err| err.to_string())?;
            let changed = repaired.milestones + repaired.releases + repaired.masters;
            if changed > 0 {
                tracing::warn!(
                    ?repaired,
                    "cost totals had drifted from the ledger; repaired"
                );
            }
            Ok(Counts {
                examined: 3,
                changed,
            })
        })
    }
}
