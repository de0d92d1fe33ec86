//! `change-schedule-sync`: puts every linked change back on its release's
//! planned window, catching whatever the API's own path did not write (imports,
//! other tools, drift), with a history event on each change it corrects.

use crate::{Counts, Job, JobContext};
use entities::changes;
use futures::future::BoxFuture;

/// The job; see the module documentation.
pub struct ChangeScheduleSync;

impl Job for ChangeScheduleSync {
    fn name(&self) -> &'static str {
        "change-schedule-sync"
    }

    fn default_schedule(&self) -> &'static str {
        "0 */5 * * * *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            let counts = ctx
                .write(async |tx| changes::resync_with_releases(tx).await)
                .await
                .map_err(|err| err.to_string())?;
            Ok(Counts {
                examined: counts.linked,
                changed: counts.corrected,
            })
        })
    }
}
