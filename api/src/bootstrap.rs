//! `releasedesk admin create`: the first administrator on an empty installation.

use anyhow::Context;
use entities::entity::Role;
use entities::{access, people, tokens, Clock, Stamp};
use sea_orm::DatabaseConnection;

/// Makes the person with `email` (created if missing) the first administrator and
/// returns a new API token for them. Refused once any administrator exists.
pub async fn create_first_admin(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    email: &str,
    name: Option<&str>,
) -> anyhow::Result<String> {
    anyhow::ensure!(
        !access::has_administrator(db).await?,
        "an administrator already exists; ask them for a token (createApiToken)"
    );
    let stamp = Stamp::system(clock.now());
    let person = match access::person_by_email(db, email).await? {
        Some(person) => person,
        None => people::create(db, stamp.clone(), name.unwrap_or(email), email)
            .await
            .context("creating the administrator")?,
    };
    let mut roles = access::roles_of(db, person.id).await?;
    roles.retain(|r| *r != Role::Stakeholder);
    roles.push(Role::Administrator);
    access::set_roles(db, stamp.clone(), person.id, &roles).await?;
    let issued = tokens::issue(db, stamp, person.id, "bootstrap", None).await?;
    Ok(issued.secret)
}
