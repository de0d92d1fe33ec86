//! Loading what a page of releases selects before its fields resolve: the list
//! resolver looks ahead at the selection and warms the request loader with one
//! batch per relation, so a page costs a fixed number of statements whatever the
//! load on the machine (nothing depends on a batching window).

use super::error::GqlResultExt;
use super::loaders::{
    ChangesOf, ConflictsOf, HistoryOf, ItemsOfPackage, MilestoneActionsOf, MilestonesOf,
    PackagesOf, PersonById, PhasesOf, ReleaseActionsOf, ReleaseById, StakeholdersOf,
};
use super::RequestLoader;
use async_graphql::{Context, Lookahead, Result};
use entities::entity::release;
use std::collections::BTreeSet;

/// Warms the loader with every relation `node` selects for `rows`.
pub async fn releases(
    ctx: &Context<'_>,
    node: Lookahead<'_>,
    rows: &[release::Model],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let loader = ctx.data::<RequestLoader>()?;
    loader
        .feed_many(rows.iter().map(|r| (ReleaseById(r.id), r.clone())))
        .await;
    let ids = || rows.iter().map(|r| r.id);
    // independent relations load concurrently, each as one batch
    let actions = async {
        if node.field("availableActions").exists() {
            loader
                .load_many(rows.iter().cloned().map(ReleaseActionsOf))
                .await
                .gql()?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let masters = async {
        if node.field("master").exists() {
            loader
                .load_many(rows.iter().filter_map(|r| r.master_id).map(ReleaseById))
                .await
                .gql()?;
        }
        Ok(())
    };
    let phases = async {
        if node.field("phases").exists() {
            loader.load_many(ids().map(PhasesOf)).await.gql()?;
        }
        Ok(())
    };
    let changes = async {
        if node.field("changes").exists() {
            loader.load_many(ids().map(ChangesOf)).await.gql()?;
        }
        Ok(())
    };
    let packages = async {
        let packages = node.field("packages");
        if packages.exists() {
            let loaded = loader.load_many(ids().map(PackagesOf)).await.gql()?;
            if packages.field("items").exists() {
                let all = loaded.into_values().flatten().map(|p| ItemsOfPackage(p.id));
                loader.load_many(all).await.gql()?;
            }
        }
        Ok(())
    };
    let conflicts = async {
        if node.field("conflicts").exists() {
            loader
                .load_many(rows.iter().cloned().map(ConflictsOf))
                .await
                .gql()?;
        }
        Ok(())
    };
    let milestones = async {
        let milestones = node.field("milestones");
        if milestones.exists() {
            let loaded = loader.load_many(ids().map(MilestonesOf)).await.gql()?;
            if milestones.field("availableActions").exists() {
                let all = loaded.into_values().flatten().map(MilestoneActionsOf);
                loader.load_many(all).await.gql()?;
            }
        }
        Ok(())
    };
    let stakeholder_people = async {
        let stakeholders = node.field("stakeholders");
        let mut people = Vec::new();
        if stakeholders.exists() {
            let loaded = loader.load_many(ids().map(StakeholdersOf)).await.gql()?;
            if stakeholders.field("person").exists() {
                people.extend(loaded.values().flatten().map(|s| s.person_id));
            }
        }
        Ok(people)
    };
    let history_people = async {
        let history = node.field("history");
        let mut people = Vec::new();
        if history.exists() {
            let loaded = loader.load_many(ids().map(HistoryOf)).await.gql()?;
            if history.field("actor").exists() {
                people.extend(loaded.values().flatten().filter_map(|e| e.actor_id));
            }
        }
        Ok(people)
    };
    let ((), (), (), (), (), (), (), from_stakeholders, from_history) = tokio::try_join!(
        actions,
        masters,
        phases,
        changes,
        packages,
        conflicts,
        milestones,
        stakeholder_people,
        history_people
    )?;
    let mut people: BTreeSet<i32> = from_stakeholders.into_iter().chain(from_history).collect();
    if node.field("owner").exists() {
        people.extend(rows.iter().map(|r| r.owner_id));
    }
    if !people.is_empty() {
        loader
            .load_many(people.into_iter().map(PersonById))
            .await
            .gql()?;
    }
    Ok(())
}
