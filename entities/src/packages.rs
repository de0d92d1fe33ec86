//! Configuration items, the items a change touches, and release packages: what
//! a release (or phase) rolls out, item by item. Two releases that are approved
//! or running and touch the same item in overlapping windows are a conflict
//! ([`conflicts_for`]).

use crate::entity::configuration_item::{self, ItemType};
use crate::entity::{
    change_item, change_request, package_item, release, release_package, ReleaseStatus,
};
use crate::kit::group_by;
use crate::policy::Capability;
use crate::releases::list::Visibility;
use crate::{changes, releases, validate, windows, DomainError, DomainResult, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};
use std::collections::{BTreeSet, HashMap};

/// Statuses in which a release counts for conflicts: decided and not yet done.
pub const COMMITTED: [ReleaseStatus; 3] = [
    ReleaseStatus::Approved,
    ReleaseStatus::Active,
    ReleaseStatus::OnHold,
];

/// Input of [`create_item`].
#[derive(Debug, Clone)]
pub struct NewItem {
    pub name: String,
    pub item_type: ItemType,
    pub item_version: String,
    pub owner_id: Option<i32>,
}

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewPackage {
    pub name: String,
    pub release_id: i32,
    pub change_id: Option<i32>,
    /// `None` takes the change's items.
    pub item_ids: Option<Vec<i32>>,
}

/// Another committed release touching one of a release's items in an
/// overlapping window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub item: configuration_item::Model,
    pub release: release::Model,
}

/// Records a configuration item; names are unique.
pub async fn create_item(tx: &mut Tx, new: NewItem) -> DomainResult<configuration_item::Model> {
    tx.stamp().actor.require(Capability::ManageChanges)?;
    let name = validate::title("name", &new.name)?;
    let item_version = validate::optional_text("version", &new.item_version, 100)?;
    if let Some(owner) = new.owner_id {
        releases::require_person(tx.db(), owner, "ownerId").await?;
    }
    let taken = configuration_item::Entity::find()
        .filter(configuration_item::Column::Name.eq(name.clone()))
        .count(tx.db())
        .await?;
    if taken > 0 {
        return Err(DomainError::Conflict(format!(
            "a configuration item named \"{name}\" already exists"
        )));
    }
    Ok(configuration_item::ActiveModel {
        name: Set(name),
        item_type: Set(new.item_type),
        item_version: Set(item_version),
        owner_id: Set(new.owner_id),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(tx.db())
    .await?)
}

/// Items whose name contains `search`, by name, at most `limit`.
pub async fn list_items<C: ConnectionTrait>(
    db: &C,
    search: Option<&str>,
    limit: u64,
) -> DomainResult<Vec<configuration_item::Model>> {
    let mut query = configuration_item::Entity::find();
    if let Some(term) = search
        .map(|s| validate::search("search", s))
        .transpose()?
        .flatten()
    {
        query = query.filter(configuration_item::Column::Name.contains(term));
    }
    Ok(query
        .order_by_asc(configuration_item::Column::Name)
        .limit(limit)
        .all(db)
        .await?)
}

/// Items by id, in one query.
pub async fn items_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> DomainResult<HashMap<i32, configuration_item::Model>> {
    Ok(configuration_item::Entity::find()
        .filter(configuration_item::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// Replaces the items change `change_id` touches.
pub async fn set_change_items(
    tx: &mut Tx,
    change_id: i32,
    item_ids: &[i32],
) -> DomainResult<Vec<i32>> {
    tx.stamp().actor.require(Capability::ManageChanges)?;
    changes::find_locked(tx, change_id, None).await?;
    let items = existing_items(tx, item_ids).await?;
    change_item::Entity::delete_many()
        .filter(change_item::Column::ChangeId.eq(change_id))
        .exec(tx.db())
        .await?;
    if !items.is_empty() {
        change_item::Entity::insert_many(items.iter().map(|item| change_item::ActiveModel {
            change_id: Set(change_id),
            item_id: Set(*item),
            ..Default::default()
        }))
        .exec(tx.db())
        .await?;
    }
    Ok(items)
}

/// The item ids of each change in `change_ids`, in one query.
pub async fn items_of_changes<C: ConnectionTrait>(
    db: &C,
    change_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<i32>>> {
    let rows = change_item::Entity::find()
        .filter(change_item::Column::ChangeId.is_in(change_ids.iter().copied()))
        .order_by_asc(change_item::Column::ItemId)
        .all(db)
        .await?;
    Ok(group_by(rows, |r| r.change_id)
        .into_iter()
        .map(|(change, rows)| (change, rows.into_iter().map(|r| r.item_id).collect()))
        .collect())
}

/// Creates a package for a release or phase. A change linked elsewhere must be
/// linked to this release or to its master (a phase rolls out part of it).
pub async fn create(tx: &mut Tx, new: NewPackage) -> DomainResult<release_package::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let name = validate::title("name", &new.name)?;
    let release = releases::find_visible_locked(tx, new.release_id).await?;
    if !release.status.is_open() {
        return Err(DomainError::validation(
            "releaseId",
            format!(
                "a {} release takes no new packages",
                release.status.to_value()
            ),
        ));
    }
    let mut item_ids = new.item_ids.unwrap_or_default();
    if let Some(change_id) = new.change_id {
        let actor = tx.stamp().actor.clone();
        let change: change_request::Model = changes::find_visible(tx.db(), &actor, change_id)
            .await
            .map_err(|_| DomainError::validation("changeId", format!("no change {change_id}")))?;
        if let Some(linked) = change.release_id {
            if linked != release.id && Some(linked) != release.master_id {
                return Err(DomainError::validation(
                    "changeId",
                    format!(
                        "{} is linked to release {linked}, not to this release or its master",
                        change.number
                    ),
                ));
            }
        }
        if item_ids.is_empty() {
            item_ids = items_of_changes(tx.db(), &[change_id])
                .await?
                .remove(&change_id)
                .unwrap_or_default();
        }
    }
    let items = existing_items(tx, &item_ids).await?;
    let package = release_package::ActiveModel {
        name: Set(name),
        release_id: Set(release.id),
        change_id: Set(new.change_id),
        created_at: Set(tx.now()),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    insert_package_items(tx, package.id, &items).await?;
    Ok(package)
}

/// Replaces the items of package `package_id`.
pub async fn set_package_items(
    tx: &mut Tx,
    package_id: i32,
    item_ids: &[i32],
) -> DomainResult<release_package::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let package = release_package::Entity::find_by_id(package_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| DomainError::not_found("package", package_id))?;
    releases::find_visible_locked(tx, package.release_id)
        .await
        .map_err(|_| DomainError::not_found("package", package_id))?;
    let items = existing_items(tx, item_ids).await?;
    package_item::Entity::delete_many()
        .filter(package_item::Column::PackageId.eq(package_id))
        .exec(tx.db())
        .await?;
    insert_package_items(tx, package_id, &items).await?;
    Ok(package)
}

/// The packages of each release in `release_ids`, in one query.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<release_package::Model>>> {
    let rows = release_package::Entity::find()
        .filter(release_package::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(release_package::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |r| r.release_id))
}

/// The items of each package in `package_ids`, by name, in one query.
pub async fn items_of_packages<C: ConnectionTrait>(
    db: &C,
    package_ids: &[i32],
) -> DomainResult<HashMap<i32, Vec<configuration_item::Model>>> {
    let links = package_item::Entity::find()
        .filter(package_item::Column::PackageId.is_in(package_ids.iter().copied()))
        .all(db)
        .await?;
    let ids: Vec<i32> = links.iter().map(|l| l.item_id).collect();
    let items = items_by_ids(db, &ids).await?;
    let mut grouped: HashMap<i32, Vec<configuration_item::Model>> = HashMap::new();
    for link in links {
        if let Some(item) = items.get(&link.item_id) {
            grouped
                .entry(link.package_id)
                .or_default()
                .push(item.clone());
        }
    }
    for list in grouped.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(grouped)
}

/// Releases the viewer may see whose packages hold item `item_id`, and whose
/// planned window overlaps `window` when one is given; by planned start.
pub async fn releases_touching<C: ConnectionTrait>(
    db: &C,
    item_id: i32,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    visibility: Option<Visibility>,
) -> DomainResult<Vec<release::Model>> {
    if let Some((from, to)) = window {
        windows::ordered((Some(from), Some(to)), "between.end")?;
    }
    let release_ids: BTreeSet<i32> = release_package::Entity::find()
        .filter(
            release_package::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(package_item::Column::PackageId)
                    .from(package_item::Entity)
                    .and_where(package_item::Column::ItemId.eq(item_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.release_id)
        .collect();
    let ids: Vec<i32> = release_ids.into_iter().collect();
    let mut found: Vec<release::Model> = releases::list::by_ids(db, &ids, visibility)
        .await?
        .into_values()
        .filter(|r| match window {
            Some((from, to)) => overlaps(r, from, to),
            None => true,
        })
        .collect();
    found.sort_by_key(|r| (r.planned_start, r.id));
    Ok(found)
}

/// For each of `releases`, the other committed releases touching one of its
/// items in an overlapping window, in a fixed number of queries.
pub async fn conflicts_for<C: ConnectionTrait>(
    db: &C,
    releases: &[release::Model],
) -> DomainResult<HashMap<i32, Vec<Conflict>>> {
    let ids: Vec<i32> = releases.iter().map(|r| r.id).collect();
    let own = items_by_release(db, &ids).await?;
    let all_items = distinct(own.values().flatten().copied());
    if all_items.is_empty() {
        return Ok(HashMap::new());
    }
    let touching = releases_by_item(db, &all_items).await?;
    let other_ids = distinct(touching.values().flatten().copied());
    let others: HashMap<i32, release::Model> = release::Entity::find()
        .filter(release::Column::Id.is_in(other_ids))
        .filter(release::Column::Status.is_in(COMMITTED))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let items = items_by_ids(db, &all_items).await?;
    let mut result = HashMap::new();
    for release in releases {
        let (Some(start), Some(end)) = (release.planned_start, release.planned_end) else {
            continue;
        };
        let mut conflicts = Vec::new();
        for item_id in own.get(&release.id).into_iter().flatten() {
            for other_id in touching.get(item_id).into_iter().flatten() {
                let Some(other) = others.get(other_id).filter(|o| o.id != release.id) else {
                    continue;
                };
                if overlaps(other, start, end) {
                    if let Some(item) = items.get(item_id) {
                        conflicts.push(Conflict {
                            item: item.clone(),
                            release: other.clone(),
                        });
                    }
                }
            }
        }
        result.insert(release.id, conflicts);
    }
    Ok(result)
}

/// Ids without repeats, ascending.
fn distinct(ids: impl Iterator<Item = i32>) -> Vec<i32> {
    ids.collect::<BTreeSet<_>>().into_iter().collect()
}

fn overlaps(release: &release::Model, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    matches!((release.planned_start, release.planned_end), (Some(s), Some(e)) if s <= to && e >= from)
}

/// The distinct item ids in the packages of each release.
pub(crate) async fn items_by_release<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
) -> DomainResult<HashMap<i32, BTreeSet<i32>>> {
    let packages = release_package::Entity::find()
        .filter(release_package::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .all(db)
        .await?;
    let release_of: HashMap<i32, i32> = packages.iter().map(|p| (p.id, p.release_id)).collect();
    let links = package_item::Entity::find()
        .filter(package_item::Column::PackageId.is_in(release_of.keys().copied()))
        .all(db)
        .await?;
    let mut result: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    for link in links {
        if let Some(release) = release_of.get(&link.package_id) {
            result.entry(*release).or_default().insert(link.item_id);
        }
    }
    Ok(result)
}

/// The releases whose packages hold each item in `item_ids`.
pub(crate) async fn releases_by_item<C: ConnectionTrait>(
    db: &C,
    item_ids: &[i32],
) -> DomainResult<HashMap<i32, BTreeSet<i32>>> {
    let links = package_item::Entity::find()
        .filter(package_item::Column::ItemId.is_in(item_ids.iter().copied()))
        .all(db)
        .await?;
    let package_ids: Vec<i32> = links.iter().map(|l| l.package_id).collect();
    let release_of: HashMap<i32, i32> = release_package::Entity::find()
        .filter(release_package::Column::Id.is_in(package_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.release_id))
        .collect();
    let mut result: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    for link in links {
        if let Some(release) = release_of.get(&link.package_id) {
            result.entry(link.item_id).or_default().insert(*release);
        }
    }
    Ok(result)
}

/// `item_ids` without duplicates, refused with `VALIDATION` if one does not exist.
/// The distinct ids of `item_ids`, or a VALIDATION error naming one that
/// does not exist.
pub(crate) async fn existing_items(tx: &Tx, item_ids: &[i32]) -> DomainResult<Vec<i32>> {
    let wanted: BTreeSet<i32> = item_ids.iter().copied().collect();
    let found = items_by_ids(tx.db(), &wanted.iter().copied().collect::<Vec<_>>()).await?;
    if let Some(missing) = wanted.iter().find(|id| !found.contains_key(id)) {
        return Err(DomainError::validation(
            "itemIds",
            format!("no configuration item {missing}"),
        ));
    }
    Ok(wanted.into_iter().collect())
}

async fn insert_package_items(tx: &Tx, package_id: i32, items: &[i32]) -> DomainResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    package_item::Entity::insert_many(items.iter().map(|item| package_item::ActiveModel {
        package_id: Set(package_id),
        item_id: Set(*item),
        ..Default::default()
    }))
    .exec(tx.db())
    .await?;
    Ok(())
}
