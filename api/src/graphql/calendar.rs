//! Calendar feeds: `createCalendarFeed` answers the feed's address once,
//! `revokeCalendarFeed` ends it, `myCalendarFeeds` lists yours. The feed
//! itself is served over plain HTTP (`api/src/http/calendar.rs`).

use super::error::{parse_id, GqlResultExt};
use super::guard;
use super::write::write;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::calendar::{self, FeedFilter};
use entities::entity::{calendar_feed, ReleaseStatus, ReleaseType};

/// A calendar feed; its address is shown only when it is created.
pub struct CalendarFeed(pub calendar_feed::Model);

#[Object]
impl CalendarFeed {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Release types shown; empty shows every type.
    async fn types(&self) -> Vec<ReleaseType> {
        FeedFilter::of(&self.0).types
    }
    /// Release statuses shown; empty shows every status.
    async fn statuses(&self) -> Vec<ReleaseStatus> {
        FeedFilter::of(&self.0).statuses
    }
    /// Whether freeze and maintenance windows are shown.
    async fn windows(&self) -> bool {
        FeedFilter::of(&self.0).windows
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new feed and its address, with the secret: shown this once.
#[derive(SimpleObject)]
pub struct IssuedCalendarFeed {
    pub feed: CalendarFeed,
    /// Subscribe to this in Outlook, Google Calendar or any iCalendar client.
    pub url: String,
}

/// What a feed shows.
#[derive(InputObject, Default)]
pub struct CalendarFeedFilter {
    #[graphql(default)]
    pub types: Vec<ReleaseType>,
    #[graphql(default)]
    pub statuses: Vec<ReleaseStatus>,
    /// Show freeze and maintenance windows too.
    #[graphql(default = true)]
    pub windows: bool,
}

#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// Your calendar feeds, newest first, revoked ones included.
    async fn my_calendar_feeds(&self, ctx: &Context<'_>) -> Result<Vec<CalendarFeed>> {
        let viewer = guard::viewer(ctx)?;
        let app = ctx.data::<AppContext>()?;
        Ok(calendar::mine(&app.db, &viewer.actor())
            .await
            .gql()?
            .into_iter()
            .map(CalendarFeed)
            .collect())
    }
}

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Creates an iCalendar feed of the releases you may see (planned from
    /// 90 days ago to a year ahead) and, unless `filter.windows` is false, the
    /// freeze and maintenance windows. The answer's `url` holds a secret that
    /// is stored only as its hash: keep it, it is not shown again.
    async fn create_calendar_feed(
        &self,
        ctx: &Context<'_>,
        name: String,
        filter: Option<CalendarFeedFilter>,
    ) -> Result<IssuedCalendarFeed> {
        guard::viewer(ctx)?;
        let filter = filter.unwrap_or(CalendarFeedFilter {
            windows: true,
            ..Default::default()
        });
        let filter = FeedFilter {
            types: filter.types,
            statuses: filter.statuses,
            windows: filter.windows,
        };
        let issued = write(ctx, async |tx| calendar::create(tx, &name, filter).await).await?;
        let app = ctx.data::<AppContext>()?;
        Ok(IssuedCalendarFeed {
            url: format!(
                "{}/calendar/{}.ics",
                app.settings.public_url(),
                issued.secret
            ),
            feed: CalendarFeed(issued.feed),
        })
    }

    /// Revokes one of your feeds (an administrator may revoke anyone's): its
    /// address answers 404 from now on.
    async fn revoke_calendar_feed(&self, ctx: &Context<'_>, id: ID) -> Result<CalendarFeed> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| calendar::revoke(tx, id).await)
            .await
            .map(CalendarFeed)
    }
}
