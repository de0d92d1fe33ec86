//! `releasedesk admin create`: the first administrator on an empty installation.

use anyhow::Context;
use entities::entity::Role;
use entities::{access, people, tokens, Clock, Stamp, Tx};
use sea_orm::DatabaseConnection;

/// Makes the person with `email` (created if missing) the first administrator and
/// returns a new API token for them. Refused once any administrator exists.
pub async fn create_first_admin(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    email: &str,
    name: Option<&str>,
) -> anyhow::Result<String> {
    let mut tx = Tx::begin(db, Stamp::system(clock.now())).await?;
    anyhow::ensure!(
        !access::has_administrator(tx.db()).await?,
        "an administrator already exists; ask them for a token (createApiToken)"
    );
    let person = match access::person_by_email(tx.db(), email).await? {
        Some(person) => person,
        None => people::create(&mut tx, name.unwrap_or(email), email)
            .await
            .context("creating the administrator")?,
    };
    let mut roles = access::roles_of(tx.db(), person.id).await?;
    roles.retain(|r| *r != Role::Stakeholder);
    roles.push(Role::Administrator);
    access::set_roles(&mut tx, person.id, &roles).await?;
    let issued = tokens::issue(&mut tx, person.id, "bootstrap", None).await?;
    tx.commit().await?;
    Ok(issued.secret)
}
