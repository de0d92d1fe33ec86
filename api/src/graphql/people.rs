//! People and the stakeholders of releases.

use super::error::{internal, parse_id, GqlResultExt};
use super::guard::{self, viewer};
use super::loaders::PersonById;
use super::write::write;
use super::RequestLoader;
use crate::context::AppContext;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::entity::{person, stakeholder, Role, StakeholderRole};
use entities::policy::Capability;
use entities::{access, people, stakeholders};

/// Most people one `people` call returns.
const MAX_PEOPLE: i32 = 100;

/// Someone who owns, works on, approves or follows releases.
pub struct Person(pub person::Model);

// serial: its fields read the row or the warmed loader (see graphql/mod.rs)
#[Object(serial)]
impl Person {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Unique, stored lower-case.
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The person's roles, or null when the caller may not see them: everyone
    /// sees their own, administrators see everyone's.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Option<Vec<Role>>> {
        let viewer = viewer(ctx)?;
        if viewer.person.id == self.0.id {
            return Ok(Some(viewer.roles.clone()));
        }
        if !viewer.actor().may_see_roles_of(self.0.id) {
            return Ok(None);
        }
        let services = ctx.data::<AppContext>()?;
        access::roles_of(&services.db, self.0.id)
            .await
            .gql()
            .map(Some)
    }
}

/// The person with `id` through the request's loader; `None` without an id.
pub async fn load_person(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<Person>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let loader = ctx.data::<RequestLoader>()?;
    Ok(loader.load_one(PersonById(id)).await.gql()?.map(Person))
}

/// A person's role on one release.
pub struct Stakeholder(pub stakeholder::Model);

// serial: its fields read the row or the warmed loader (see graphql/mod.rs)
#[Object(serial)]
impl Stakeholder {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        let loader = ctx.data::<RequestLoader>()?;
        loader
            .load_one(PersonById(self.0.person_id))
            .await
            .gql()?
            .map(Person)
            .ok_or_else(|| internal("person is missing"))
    }
    async fn role(&self) -> StakeholderRole {
        self.0.role
    }
    /// Whether they want e-mail about this release.
    async fn notify(&self) -> bool {
        self.0.notify
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// The caller, with their roles.
    async fn me(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(viewer(ctx)?.person.clone()))
    }

    /// People by name; `search` matches name or e-mail. At most 100.
    async fn people(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(default = 50, validator(minimum = 0, maximum = 100))] first: i32,
    ) -> Result<Vec<Person>> {
        guard::require(ctx, Capability::ReadPeople)?;
        let services = ctx.data::<AppContext>()?;
        let limit = first.clamp(0, MAX_PEOPLE) as u64;
        let rows = people::list(&services.db, search.as_deref(), limit)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Person).collect())
    }

    /// One person; `null` with a `NOT_FOUND` error when there is none.
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Person>> {
        guard::require(ctx, Capability::ReadPeople)?;
        let loader = ctx.data::<RequestLoader>()?;
        let id = parse_id(&id, "id")?;
        match loader.load_one(PersonById(id)).await.gql()? {
            Some(person) => Ok(Some(Person(person))),
            None => Err(super::error::to_graphql(&entities::DomainError::not_found(
                "person", id,
            ))),
        }
    }
}

/// Input of `createPerson`.
#[derive(InputObject)]
pub struct CreatePersonInput {
    pub name: String,
    pub email: String,
}

/// Input of `addStakeholder`.
#[derive(InputObject)]
pub struct AddStakeholderInput {
    pub release_id: ID,
    pub person_id: ID,
    pub role: StakeholderRole,
    #[graphql(default = true)]
    pub notify: bool,
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Creates a person; a taken e-mail fails with `CONFLICT`.
    async fn create_person(&self, ctx: &Context<'_>, input: CreatePersonInput) -> Result<Person> {
        write(ctx, async |tx| {
            people::create(tx, &input.name, &input.email).await
        })
        .await
        .map(Person)
    }

    /// Adds a person to a release in a role (not OWNER, which follows the owner).
    async fn add_stakeholder(
        &self,
        ctx: &Context<'_>,
        input: AddStakeholderInput,
    ) -> Result<Stakeholder> {
        let release_id = parse_id(&input.release_id, "releaseId")?;
        let person_id = parse_id(&input.person_id, "personId")?;
        write(ctx, async |tx| {
            stakeholders::add(tx, release_id, person_id, input.role, input.notify).await
        })
        .await
        .map(Stakeholder)
    }

    /// Removes a stakeholder entry and returns it.
    async fn remove_stakeholder(&self, ctx: &Context<'_>, id: ID) -> Result<Stakeholder> {
        let id = parse_id(&id, "id")?;
        write(ctx, async |tx| stakeholders::remove(tx, id).await)
            .await
            .map(Stakeholder)
    }
}
