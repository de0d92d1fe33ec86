//! `approval-requests`: times out requests past their due time (telling the
//! release's owner), then reminds each approver with a pending vote whose last
//! e-mail is older than the request's reminder interval, and e-mails those
//! owed a first one (after `keys rotate`; a new request queues its own in its
//! unit of work). Everything one run queues commits in one unit of work with
//! the vote counters, under idempotency keys, so a repeated or concurrent run
//! queues nothing twice.

use crate::{Counts, Job, JobContext};
use entities::approvals::{self, emails};
use entities::outbox;
use entities::{people, DomainResult, Tx};
use futures::future::BoxFuture;

/// The job; see the module documentation.
pub struct ApprovalRequests;

impl Job for ApprovalRequests {
    fn name(&self) -> &'static str {
        "approval-requests"
    }

    fn default_schedule(&self) -> &'static str {
        "0 * * * * *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            ctx.write(async |tx| queue(tx).await)
                .await
                .map_err(|err| err.to_string())
        })
    }
}

async fn queue(tx: &mut Tx) -> DomainResult<Counts> {
    // every release with an open request first (the lock order): votes are
    // counted and e-mailed under the same locks castVote takes
    let open = approvals::releases_with_open_requests(tx.db()).await?;
    tx.lock_releases(&open).await?;
    let timed_out = approvals::time_out_due(tx).await?;
    let now = tx.now();
    let (open, due) = approvals::votes_due_for_mail(tx.db(), now).await?;
    let mut release_ids: Vec<i32> = due.iter().map(|(r, _)| r.release_id).collect();
    release_ids.extend(timed_out.iter().map(|r| r.release_id));
    release_ids.sort_unstable();
    release_ids.dedup();
    let context = emails::Context::load(tx, &release_ids).await?;
    let mut person_ids: Vec<i32> = due.iter().map(|(_, v)| v.approver_id).collect();
    person_ids.extend(context.releases.values().map(|r| r.owner_id));
    let people = people::by_ids(tx.db(), &person_ids).await?;

    let mut mails = Vec::new();
    for request in &timed_out {
        let (Some(release), Some(owner)) = (
            context.releases.get(&request.release_id),
            context
                .releases
                .get(&request.release_id)
                .and_then(|r| people.get(&r.owner_id)),
        ) else {
            continue;
        };
        mails.push(emails::timed_out_mail(request, release, owner, &context));
    }
    for (request, vote) in &due {
        let (Some(release), Some(approver)) = (
            context.releases.get(&request.release_id),
            people.get(&vote.approver_id),
        ) else {
            continue;
        };
        mails.push(emails::request_mail(
            request, vote, release, approver, &context,
        ));
    }
    let queued = outbox::enqueue(tx, mails).await?;
    let emailed: Vec<i32> = due.iter().map(|(_, v)| v.id).collect();
    approvals::mark_emailed(tx, &emailed).await?;
    Ok(Counts {
        examined: (open + timed_out.len()) as u64,
        changed: queued,
    })
}
