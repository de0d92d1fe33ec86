//! E-mails to stakeholders who asked for them (`notify`) when their release
//! changes status, queued in the unit of work of the change.

use crate::entity::{person, release, stakeholder};
use crate::lifecycle::release::status_name;
use crate::outbox::{self, Mail};
use crate::{mail, DomainResult, Tx};
use sea_orm::{prelude::*, QueryOrder};
use std::collections::BTreeMap;

/// Queues one e-mail per notified stakeholder of `after`, whose status was `from`.
pub async fn status_changed(
    tx: &mut Tx,
    from: crate::entity::ReleaseStatus,
    after: &release::Model,
) -> DomainResult<()> {
    let rows = stakeholder::Entity::find()
        .filter(stakeholder::Column::ReleaseId.eq(after.id))
        .filter(stakeholder::Column::Notify.eq(true))
        .order_by_asc(stakeholder::Column::PersonId)
        .all(tx.db())
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let people = crate::people::by_ids(
        tx.db(),
        &rows.iter().map(|s| s.person_id).collect::<Vec<_>>(),
    )
    .await?;
    let recipients: BTreeMap<i32, &person::Model> = rows
        .iter()
        .filter_map(|s| people.get(&s.person_id).map(|p| (p.id, p)))
        .collect();
    let (from, to) = (status_name(from), status_name(after.status));
    let subject = format!("Release {}: {} is now {to}", after.id, after.title);
    let facts = [
        ("Release", format!("#{} {}", after.id, after.title)),
        ("Status", format!("{from} → {to}")),
        (
            "Changed",
            after.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    let text = format!(
        "Release #{} changed status.\n\n{}\nYou receive this because you follow this release.\n",
        after.id,
        mail::facts_text(&facts)
    );
    let html = mail::layout(
        &subject,
        &format!(
            "{}<p style=\"color:#6b778c;font-size:13px\">You receive this because you follow this release.</p>",
            mail::facts_table(&facts)
        ),
    );
    let mails = recipients
        .values()
        .map(|p| Mail {
            key: format!("status-changed:{}:v{}:{}", after.id, after.version, p.id),
            kind: "STATUS_CHANGED",
            release_id: Some(after.id),
            recipient_id: Some(p.id),
            recipient: p.email.clone(),
            subject: subject.clone(),
            text: text.clone(),
            html: html.clone(),
            attachments: Vec::new(),
        })
        .collect();
    outbox::enqueue(tx, mails).await?;
    Ok(())
}
