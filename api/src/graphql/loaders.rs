//! Per-request batch loading, so nested lists cost a fixed number of queries
//! however many releases a page holds. One key type per relation.

use crate::graphql::conflict::Conflict;
use async_graphql::dataloader::Loader;
use entities::entity::{
    approval_request, approval_vote, change_request, configuration_item, history_event, milestone,
    person, release, release_package, stakeholder, template_item,
};
use entities::lifecycle::milestone::MilestoneAction;
use entities::lifecycle::release::{self as release_lifecycle, ReleaseAction};
use entities::releases::list::{self, Visibility};
use entities::schedule::freeze;
use entities::{
    approvals, changes, history, milestones, packages, people, releases, stakeholders, templates,
    DomainError,
};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Loads everything the schema nests, batched per key type. Releases the
/// viewer may not see are left out, so nested fields cannot leak them.
pub struct DbLoader {
    db: DatabaseConnection,
    visibility: Option<Visibility>,
}

impl DbLoader {
    /// A loader on `db` for a viewer limited to `visibility`; build one per request.
    pub fn new(db: DatabaseConnection, visibility: Option<Visibility>) -> Self {
        Self { db, visibility }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DomainError>>;

/// A release by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReleaseById(pub i32);
/// A person by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PersonById(pub i32);
/// The milestones of a release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MilestonesOf(pub i32);
/// The stakeholders of a release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StakeholdersOf(pub i32);
/// The phases of a master release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhasesOf(pub i32);
/// The change requests linked to a release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangesOf(pub i32);
/// A change request by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangeById(pub i32);
/// The packages of a release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackagesOf(pub i32);
/// The configuration items of a package.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemsOfPackage(pub i32);
/// The configuration items a change touches.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemsOfChange(pub i32);
/// The configuration items a schedule window covers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemsOfWindow(pub i32);
/// The history of a release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryOf(pub i32);
/// The history of a change request.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryOfChange(pub i32);
/// The items of a milestone template.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemsOf(pub i32);

/// The conflicts of a release as it was read.
#[derive(Clone)]
pub struct ConflictsOf(pub release::Model);

impl PartialEq for ConflictsOf {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id && self.0.version == other.0.version
    }
}
impl Eq for ConflictsOf {}
impl Hash for ConflictsOf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0.id, self.0.version).hash(state);
    }
}

/// The actions available on a release as it was read.
#[derive(Clone)]
pub struct ReleaseActionsOf(pub release::Model);
/// The actions available on a milestone as it was read.
#[derive(Clone)]
pub struct MilestoneActionsOf(pub milestone::Model);

impl PartialEq for ReleaseActionsOf {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id && self.0.version == other.0.version
    }
}
impl Eq for ReleaseActionsOf {}
impl Hash for ReleaseActionsOf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0.id, self.0.version).hash(state);
    }
}
impl PartialEq for MilestoneActionsOf {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id && self.0.version == other.0.version
    }
}
impl Eq for MilestoneActionsOf {}
impl Hash for MilestoneActionsOf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0.id, self.0.version).hash(state);
    }
}

/// Re-keys rows grouped by a raw id under the loader's key type.
fn keyed<K: Hash + Eq + Copy, V>(
    keys: &[K],
    raw: impl Fn(K) -> i32,
    mut grouped: HashMap<i32, Vec<V>>,
) -> HashMap<K, Vec<V>> {
    keys.iter()
        .map(|k| (*k, grouped.remove(&raw(*k)).unwrap_or_default()))
        .collect()
}

impl Loader<ReleaseById> for DbLoader {
    type Value = release::Model;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[ReleaseById]) -> LoadResult<ReleaseById, release::Model> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(list::by_ids(&self.db, &ids, self.visibility)
            .await?
            .into_iter()
            .map(|(id, r)| (ReleaseById(id), r))
            .collect())
    }
}

impl Loader<PersonById> for DbLoader {
    type Value = person::Model;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[PersonById]) -> LoadResult<PersonById, person::Model> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(people::by_ids(&self.db, &ids)
            .await?
            .into_iter()
            .map(|(id, p)| (PersonById(id), p))
            .collect())
    }
}

impl Loader<MilestonesOf> for DbLoader {
    type Value = Vec<milestone::Model>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[MilestonesOf]) -> LoadResult<MilestonesOf, Vec<milestone::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            milestones::for_releases(&self.db, &ids).await?,
        ))
    }
}

impl Loader<StakeholdersOf> for DbLoader {
    type Value = Vec<stakeholder::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[StakeholdersOf],
    ) -> LoadResult<StakeholdersOf, Vec<stakeholder::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            stakeholders::for_releases(&self.db, &ids).await?,
        ))
    }
}

impl Loader<PhasesOf> for DbLoader {
    type Value = Vec<release::Model>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[PhasesOf]) -> LoadResult<PhasesOf, Vec<release::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            list::phases_of(&self.db, &ids, self.visibility).await?,
        ))
    }
}

impl Loader<ChangesOf> for DbLoader {
    type Value = Vec<change_request::Model>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[ChangesOf]) -> LoadResult<ChangesOf, Vec<change_request::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            changes::for_releases(&self.db, &ids).await?,
        ))
    }
}

impl Loader<ChangeById> for DbLoader {
    type Value = change_request::Model;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[ChangeById]) -> LoadResult<ChangeById, change_request::Model> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(changes::by_ids(&self.db, &ids)
            .await?
            .into_iter()
            .map(|(id, c)| (ChangeById(id), c))
            .collect())
    }
}

impl Loader<PackagesOf> for DbLoader {
    type Value = Vec<release_package::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[PackagesOf],
    ) -> LoadResult<PackagesOf, Vec<release_package::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            packages::for_releases(&self.db, &ids).await?,
        ))
    }
}

impl Loader<ItemsOfPackage> for DbLoader {
    type Value = Vec<configuration_item::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[ItemsOfPackage],
    ) -> LoadResult<ItemsOfPackage, Vec<configuration_item::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            packages::items_of_packages(&self.db, &ids).await?,
        ))
    }
}

impl Loader<ItemsOfWindow> for DbLoader {
    type Value = Vec<configuration_item::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[ItemsOfWindow],
    ) -> LoadResult<ItemsOfWindow, Vec<configuration_item::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            entities::schedule::items_of_windows(&self.db, &ids).await?,
        ))
    }
}

impl Loader<ItemsOfChange> for DbLoader {
    type Value = Vec<configuration_item::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[ItemsOfChange],
    ) -> LoadResult<ItemsOfChange, Vec<configuration_item::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let item_ids = packages::items_of_changes(&self.db, &ids).await?;
        let all: Vec<i32> = item_ids.values().flatten().copied().collect();
        let items = packages::items_by_ids(&self.db, &all).await?;
        Ok(keys
            .iter()
            .map(|k| {
                let list = item_ids
                    .get(&k.0)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| items.get(id).cloned())
                    .collect();
                (*k, list)
            })
            .collect())
    }
}

impl Loader<ConflictsOf> for DbLoader {
    type Value = Vec<Conflict>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[ConflictsOf]) -> LoadResult<ConflictsOf, Vec<Conflict>> {
        let models: Vec<release::Model> = keys.iter().map(|k| k.0.clone()).collect();
        let mut conflicts = packages::conflicts_for(&self.db, &models).await?;
        let mut windows = freeze::conflicts_for(&self.db, &models).await?;
        let visible: Vec<i32> = conflicts.values().flatten().map(|c| c.release.id).collect();
        let visible = list::by_ids(&self.db, &visible, self.visibility).await?;
        Ok(keys
            .iter()
            .map(|k| {
                let mut found: Vec<Conflict> = conflicts
                    .remove(&k.0.id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|c| visible.contains_key(&c.release.id))
                    .map(Conflict::Item)
                    .collect();
                found.extend(
                    windows
                        .remove(&k.0.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(Conflict::Window),
                );
                (k.clone(), found)
            })
            .collect())
    }
}

impl Loader<HistoryOf> for DbLoader {
    type Value = Vec<history_event::Model>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[HistoryOf]) -> LoadResult<HistoryOf, Vec<history_event::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            history::for_releases(&self.db, &ids, self.visibility).await?,
        ))
    }
}

impl Loader<HistoryOfChange> for DbLoader {
    type Value = Vec<history_event::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[HistoryOfChange],
    ) -> LoadResult<HistoryOfChange, Vec<history_event::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            history::for_changes(&self.db, &ids, self.visibility).await?,
        ))
    }
}

impl Loader<ItemsOf> for DbLoader {
    type Value = Vec<template_item::Model>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[ItemsOf]) -> LoadResult<ItemsOf, Vec<template_item::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            templates::items_for(&self.db, &ids).await?,
        ))
    }
}

impl Loader<ReleaseActionsOf> for DbLoader {
    type Value = Vec<ReleaseAction>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[ReleaseActionsOf],
    ) -> LoadResult<ReleaseActionsOf, Vec<ReleaseAction>> {
        let models: Vec<release::Model> = keys.iter().map(|k| k.0.clone()).collect();
        let facts = releases::facts(&self.db, &models).await?;
        Ok(keys
            .iter()
            .map(|k| {
                let facts = facts.get(&k.0.id).copied().unwrap_or_default();
                (
                    k.clone(),
                    release_lifecycle::available_actions(k.0.status, &facts),
                )
            })
            .collect())
    }
}

impl Loader<MilestoneActionsOf> for DbLoader {
    type Value = Vec<MilestoneAction>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[MilestoneActionsOf],
    ) -> LoadResult<MilestoneActionsOf, Vec<MilestoneAction>> {
        let models: Vec<milestone::Model> = keys.iter().map(|k| k.0.clone()).collect();
        let mut actions = milestones::available_actions(&self.db, &models).await?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), actions.remove(&k.0.id).unwrap_or_default()))
            .collect())
    }
}

/// The approval requests of a release (its milestones' included).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApprovalsOf(pub i32);
/// The latest approval request of a milestone.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApprovalOfMilestone(pub i32);
/// The votes of an approval request.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VotesOf(pub i32);

impl Loader<ApprovalsOf> for DbLoader {
    type Value = Vec<approval_request::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[ApprovalsOf],
    ) -> LoadResult<ApprovalsOf, Vec<approval_request::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            approvals::for_releases(&self.db, &ids).await?,
        ))
    }
}

impl Loader<ApprovalOfMilestone> for DbLoader {
    type Value = approval_request::Model;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[ApprovalOfMilestone],
    ) -> LoadResult<ApprovalOfMilestone, approval_request::Model> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(approvals::latest_for_milestones(&self.db, &ids)
            .await?
            .into_iter()
            .map(|(id, r)| (ApprovalOfMilestone(id), r))
            .collect())
    }
}

impl Loader<VotesOf> for DbLoader {
    type Value = Vec<approval_vote::Model>;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[VotesOf]) -> LoadResult<VotesOf, Vec<approval_vote::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            approvals::votes_for(&self.db, &ids).await?,
        ))
    }
}

/// A milestone by id (for approvals; visibility is the approval's).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MilestoneById(pub i32);

impl Loader<MilestoneById> for DbLoader {
    type Value = milestone::Model;
    type Error = Arc<DomainError>;

    async fn load(&self, keys: &[MilestoneById]) -> LoadResult<MilestoneById, milestone::Model> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(milestones::by_ids(&self.db, &ids)
            .await?
            .into_iter()
            .map(|m| (MilestoneById(m.id), m))
            .collect())
    }
}

/// The cost lines of a release.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CostLinesOf(pub i32);

impl Loader<CostLinesOf> for DbLoader {
    type Value = Vec<entities::entity::cost_line::Model>;
    type Error = Arc<DomainError>;

    async fn load(
        &self,
        keys: &[CostLinesOf],
    ) -> LoadResult<CostLinesOf, Vec<entities::entity::cost_line::Model>> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(keyed(
            keys,
            |k| k.0,
            entities::costs::lines_for(&self.db, &ids).await?,
        ))
    }
}
