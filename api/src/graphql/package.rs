//! Configuration items and release packages: the objects, finding the releases
//! that touch an item, and the mutations that record items and packages.

use super::change::Change;
use super::error::{list_limit, parse_id, GqlResultExt};
use super::guard::{self, viewer};
use super::loaders::{ChangeById, ItemsOfPackage, PersonById, ReleaseById};
use super::people::Person;
use super::release::{DateRange, Release};
use super::write::write;
use super::RequestLoader;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, ID};
use entities::entity::{configuration_item, release_package, ItemType};
use entities::packages::{self, NewItem, NewPackage};
use entities::policy::Capability;

/// Most items one `configurationItems` call returns.
const MAX_ITEMS: i32 = 100;

/// A server, application, workstation or network device that releases touch.
pub struct ConfigurationItem(pub configuration_item::Model);

#[Object]
impl ConfigurationItem {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Unique.
    async fn name(&self) -> &str {
        &self.0.name
    }
    #[graphql(name = "type")]
    async fn item_type(&self) -> ItemType {
        self.0.item_type
    }
    async fn version(&self) -> &str {
        &self.0.item_version
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(owner) = self.0.owner_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<RequestLoader>()?
            .load_one(PersonById(owner))
            .await
            .gql()?
            .map(Person))
    }
}

/// What a release (or phase) rolls out: items, usually for one change.
pub struct Package(pub release_package::Model);

#[Object]
impl Package {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn release(&self, ctx: &Context<'_>) -> Result<Option<Release>> {
        Ok(ctx
            .data::<RequestLoader>()?
            .load_one(ReleaseById(self.0.release_id))
            .await
            .gql()?
            .map(Release))
    }
    /// The change the package implements, if any.
    async fn change(&self, ctx: &Context<'_>) -> Result<Option<Change>> {
        let Some(change_id) = self.0.change_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<RequestLoader>()?
            .load_one(ChangeById(change_id))
            .await
            .gql()?
            .map(Change))
    }
    /// The items rolled out, by name.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<ConfigurationItem>> {
        let rows = ctx
            .data::<RequestLoader>()?
            .load_one(ItemsOfPackage(self.0.id))
            .await
            .gql()?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ConfigurationItem)
            .collect())
    }
}

#[derive(Default)]
pub struct PackageQuery;

#[Object]
impl PackageQuery {
    /// Configuration items whose name contains `search`, by name (at most 100).
    async fn configuration_items(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<ConfigurationItem>> {
        guard::require(ctx, Capability::ManageChanges)?;
        let limit = list_limit(first, MAX_ITEMS)?;
        let app = ctx.data::<AppContext>()?;
        let rows = packages::list_items(&app.db, search.as_deref(), limit)
            .await
            .gql()?;
        Ok(rows.into_iter().map(ConfigurationItem).collect())
    }

    /// Releases you may see whose packages hold item `itemId`, overlapping
    /// `between` when given, by planned start.
    async fn releases_touching(
        &self,
        ctx: &Context<'_>,
        item_id: ID,
        between: Option<DateRange>,
    ) -> Result<Vec<Release>> {
        let visibility = viewer(ctx)?.visibility();
        let item_id = parse_id(&item_id, "itemId")?;
        let app = ctx.data::<AppContext>()?;
        let window = between.map(|b| (b.start, b.end));
        let rows = packages::releases_touching(&app.db, item_id, window, visibility)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Release).collect())
    }
}

/// Input of `createConfigurationItem`.
#[derive(InputObject)]
pub struct CreateConfigurationItemInput {
    pub name: String,
    #[graphql(name = "type")]
    pub item_type: ItemType,
    #[graphql(default)]
    pub version: String,
    pub owner_id: Option<ID>,
}

/// Input of `createPackage`.
#[derive(InputObject)]
pub struct CreatePackageInput {
    pub name: String,
    /// The release or phase that rolls it out.
    pub release_id: ID,
    pub change_id: Option<ID>,
    /// The items; omitted, those of the change.
    pub item_ids: Option<Vec<ID>>,
}

/// The ids in `ids`, or a VALIDATION error naming `field`.
pub(super) fn parse_ids(ids: &[ID], field: &str) -> Result<Vec<i32>> {
    ids.iter().map(|id| parse_id(id, field)).collect()
}

#[derive(Default)]
pub struct PackageMutation;

#[Object]
impl PackageMutation {
    /// Records a configuration item; a taken name fails with `CONFLICT`.
    async fn create_configuration_item(
        &self,
        ctx: &Context<'_>,
        input: CreateConfigurationItemInput,
    ) -> Result<ConfigurationItem> {
        let new = NewItem {
            name: input.name,
            item_type: input.item_type,
            item_version: input.version,
            owner_id: input
                .owner_id
                .as_ref()
                .map(|id| parse_id(id, "ownerId"))
                .transpose()?,
        };
        write(ctx, async |tx| packages::create_item(tx, new).await)
            .await
            .map(ConfigurationItem)
    }

    /// Replaces the configuration items a change touches; returns their ids.
    async fn set_change_items(
        &self,
        ctx: &Context<'_>,
        change_id: ID,
        item_ids: Vec<ID>,
    ) -> Result<Vec<ID>> {
        let change_id = parse_id(&change_id, "changeId")?;
        let item_ids = parse_ids(&item_ids, "itemIds")?;
        let kept = write(ctx, async |tx| {
            packages::set_change_items(tx, change_id, &item_ids).await
        })
        .await?;
        Ok(kept.into_iter().map(|id| ID(id.to_string())).collect())
    }

    /// Creates a release package; without `itemIds` it holds the change's items.
    async fn create_package(
        &self,
        ctx: &Context<'_>,
        input: CreatePackageInput,
    ) -> Result<Package> {
        let new = NewPackage {
            name: input.name,
            release_id: parse_id(&input.release_id, "releaseId")?,
            change_id: input
                .change_id
                .as_ref()
                .map(|id| parse_id(id, "changeId"))
                .transpose()?,
            item_ids: input
                .item_ids
                .as_deref()
                .map(|ids| parse_ids(ids, "itemIds"))
                .transpose()?,
        };
        write(ctx, async |tx| packages::create(tx, new).await)
            .await
            .map(Package)
    }

    /// Replaces the items of a package.
    async fn set_package_items(
        &self,
        ctx: &Context<'_>,
        id: ID,
        item_ids: Vec<ID>,
    ) -> Result<Package> {
        let id = parse_id(&id, "id")?;
        let item_ids = parse_ids(&item_ids, "itemIds")?;
        write(ctx, async |tx| {
            packages::set_package_items(tx, id, &item_ids).await
        })
        .await
        .map(Package)
    }
}
