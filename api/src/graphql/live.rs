//! Subscriptions: live updates from the events every committed unit of work
//! announces (`entities::live`, `crate::live`). Each event is checked against
//! the subscriber as they are at delivery: a release they may not see is
//! skipped, and the release is read afresh with their visibility.
//!
//! A subscription ends, with an error saying why, when the subscriber's
//! tokens or roles change (their connection is then closed: they connect
//! again with what they hold now), when this replica may have missed events
//! (read again, then subscribe again), and when the subscriber falls more
//! than `live.buffer_events` behind (their connection is closed).

use crate::auth::Viewer;
use crate::context::AppContext;
use crate::graphql::approval::Approval;
use crate::graphql::error::{code, parse_id, to_graphql};
use crate::graphql::guard;
use crate::graphql::release::Release;
use async_graphql::{Context, ErrorExtensions, Object, Result, Subscription, ID};
use entities::approvals::{self, ApprovalFilter};
use entities::entity::{approval_request, release, ReleaseStatus};
use entities::live::{ApprovalChangeKind, LiveEvent, ReleaseChangeKind};
use entities::releases::list;
use futures::Stream;
use std::collections::HashSet;
use tokio::sync::broadcast::error::RecvError;

/// Most release ids one `releaseChanged` may name.
const MAX_IDS: usize = 100;

/// Close codes sent when a subscription ends the whole connection.
pub mod close {
    /// The subscriber's tokens or roles changed.
    pub const IDENTITY_CHANGED: u16 = 4403;
    /// The subscriber fell too far behind.
    pub const TOO_SLOW: u16 = 4008;
}

/// Asks the connection to close with a code (see [`close`]); connection data
/// of every WebSocket connection.
#[derive(Clone)]
pub struct Closer(pub tokio::sync::watch::Sender<Option<(u16, String)>>);

impl Closer {
    fn close(&self, code: u16, reason: &str) {
        self.0.send_replace(Some((code, reason.to_owned())));
    }
}

/// One committed change to a release or to something under it.
pub struct ReleaseChange {
    kind: ReleaseChangeKind,
    release_id: i32,
    revision: i64,
    release: release::Model,
}

#[Object]
impl ReleaseChange {
    async fn kind(&self) -> ReleaseChangeKind {
        self.kind
    }
    async fn release_id(&self) -> ID {
        ID(self.release_id.to_string())
    }
    /// The release's revision after the change: it rises with every committed
    /// change to the release or anything under it, and one release's events
    /// arrive in its order. (Not `Release.version`, which only edits of the
    /// release's own fields and status move.)
    async fn version(&self) -> i32 {
        i32::try_from(self.revision).unwrap_or(i32::MAX)
    }
    /// The release as it is at delivery, as you may see it.
    async fn release(&self) -> Option<Release> {
        Some(Release(self.release.clone()))
    }
}

/// What happened to an approval request you vote on.
pub struct ApprovalChange {
    kind: ApprovalChangeKind,
    approval: approval_request::Model,
}

#[Object]
impl ApprovalChange {
    async fn kind(&self) -> ApprovalChangeKind {
        self.kind
    }
    /// The request as it is at delivery.
    async fn approval(&self) -> Approval {
        Approval(self.approval.clone())
    }
}

/// Live updates.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every committed change to the releases you may see (only those in
    /// `ids`, and only those whose status is now in `statuses`, when given),
    /// whoever made it: a user on any replica, a job, the command line.
    async fn release_changed(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        statuses: Option<Vec<ReleaseStatus>>,
    ) -> Result<impl Stream<Item = Result<ReleaseChange>>> {
        let ids = match ids {
            Some(ids) if ids.len() > MAX_IDS => {
                return Err(crate::graphql::error::validation(
                    "ids",
                    &format!("at most {MAX_IDS} release ids"),
                ))
            }
            Some(ids) => Some(
                ids.iter()
                    .map(|id| parse_id(id, "ids"))
                    .collect::<Result<HashSet<i32>>>()?,
            ),
            None => None,
        };
        let statuses = statuses.unwrap_or_default();
        let (feed, receiver) = Feed::open(ctx)?;
        Ok(deliveries(
            feed,
            receiver,
            move |feed, id, revision, kinds| {
                let ids = ids.clone();
                let statuses = statuses.clone();
                async move {
                    if ids.as_ref().is_some_and(|ids| !ids.contains(&id)) {
                        return Ok(None);
                    }
                    let visibility = feed.viewer.visibility();
                    let Some(release) = list::find_visible_by_id(&feed.app.db, id, visibility)
                        .await
                        .map_err(|e| to_graphql(&e))?
                    else {
                        return Ok(None);
                    };
                    if !statuses.is_empty() && !statuses.contains(&release.status) {
                        return Ok(None);
                    }
                    Ok(Some(ReleaseChange {
                        kind: ReleaseChangeKind::summary(&kinds),
                        release_id: id,
                        revision,
                        release,
                    }))
                }
            },
        ))
    }

    /// Approval requests in which you hold a vote: opened, voted on, decided.
    async fn my_approvals(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<ApprovalChange>>> {
        let (feed, receiver) = Feed::open(ctx)?;
        Ok(deliveries(
            feed,
            receiver,
            move |feed, id, _revision, kinds| async move {
                let Some(kind) = ApprovalChangeKind::of(&kinds) else {
                    return Ok(None);
                };
                let actor = feed.viewer.actor();
                let filter = ApprovalFilter {
                    mine: false,
                    statuses: Vec::new(),
                    release_id: Some(id),
                };
                // the newest request of the release is the one the change was about
                let newest =
                    approvals::list(&feed.app.db, &actor, &filter, feed.app.clock.now(), 1)
                        .await
                        .map_err(|e| to_graphql(&e))?
                        .into_iter()
                        .next();
                let Some(approval) = newest else {
                    return Ok(None);
                };
                let holds = approvals::holds_vote(&feed.app.db, approval.id, feed.viewer.person.id)
                    .await
                    .map_err(|e| to_graphql(&e))?;
                Ok(holds.then_some(ApprovalChange { kind, approval }))
            },
        ))
    }
}

/// One subscription's view of the bus: who reads, and how to end the connection.
#[derive(Clone)]
struct Feed {
    app: AppContext,
    viewer: Viewer,
    closer: Option<Closer>,
}

impl Feed {
    fn open(ctx: &Context<'_>) -> Result<(Self, tokio::sync::broadcast::Receiver<LiveEvent>)> {
        let viewer = guard::viewer(ctx)?.clone();
        let app = ctx.data::<AppContext>()?.clone();
        let closer = ctx.data::<Closer>().ok().cloned();
        let receiver = app.live.subscribe();
        Ok((
            Self {
                app,
                viewer,
                closer,
            },
            receiver,
        ))
    }
}

/// The events `deliver` turns into items (`None` skips one), until the
/// subscription has to end; its last item then says why.
fn deliveries<T, F, Fut>(
    feed: Feed,
    receiver: tokio::sync::broadcast::Receiver<LiveEvent>,
    deliver: F,
) -> impl Stream<Item = Result<T>>
where
    T: Send + 'static,
    F: Fn(Feed, i32, i64, Vec<entities::entity::EventKind>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<T>>> + Send,
{
    futures::stream::unfold(
        (Some(receiver), feed, deliver),
        |(receiver, feed, deliver)| async move {
            let mut receiver = receiver?;
            loop {
                let ending = match receiver.recv().await {
                    Ok(LiveEvent::Release {
                        id,
                        revision,
                        kinds,
                    }) => match deliver(feed.clone(), id, revision, kinds).await {
                        Ok(None) => continue,
                        Ok(Some(item)) => return Some((Ok(item), (Some(receiver), feed, deliver))),
                        Err(error) => return Some((Err(error), (Some(receiver), feed, deliver))),
                    },
                    Ok(LiveEvent::Identity { person_id }) if person_id == feed.viewer.person.id => {
                        let reason = "your tokens or roles changed: connect again";
                        if let Some(closer) = &feed.closer {
                            closer.close(close::IDENTITY_CHANGED, reason);
                        }
                        ended(code::UNAUTHENTICATED, reason, false)
                    }
                    Ok(LiveEvent::Identity { .. } | LiveEvent::Marker { .. }) => continue,
                    Ok(LiveEvent::Gap) => ended(
                        code::UNAVAILABLE,
                        "this server may have missed changes: read again, then subscribe again",
                        true,
                    ),
                    Err(RecvError::Lagged(missed)) => {
                        let reason =
                            format!("{missed} changes behind: read again, then subscribe again");
                        if let Some(closer) = &feed.closer {
                            closer.close(close::TOO_SLOW, &reason);
                        }
                        ended(code::LIMIT_EXCEEDED, &reason, true)
                    }
                    Err(RecvError::Closed) => return None,
                };
                return Some((Err(ending), (None, feed, deliver)));
            }
        },
    )
}

/// The last item of a subscription that has to end.
fn ended(code: &'static str, message: &str, retryable: bool) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| {
        e.set("code", code);
        if retryable {
            e.set("retryable", true);
        }
    })
}
