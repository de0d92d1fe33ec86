//! The e-mails of approval requests: the request to each approver (queued
//! with the request, in its unit of work), reminders and timeouts (queued by
//! the `approval-requests` job). Their links hold only the unsigned claim.

use super::{links, rule_name, votes_for};
use crate::entity::{
    approval_request, approval_vote, change_request, milestone, person, release, VoteDecision,
};
use crate::lifecycle::{milestone as milestone_lifecycle, release as release_lifecycle};
use crate::outbox::{self, Mail};
use crate::{mail, people, DomainResult, Tx};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, ActiveEnum, QueryOrder};
use std::collections::HashMap;

/// Queues the first e-mail of every pending vote of `request` that has had
/// none, in the caller's unit of work, and counts them as e-mailed; answers
/// how many were queued.
pub(crate) async fn queue_first(
    tx: &mut Tx,
    request: &approval_request::Model,
) -> DomainResult<u64> {
    let owed: Vec<approval_vote::Model> = votes_for(tx.db(), &[request.id])
        .await?
        .remove(&request.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v.decision == VoteDecision::Pending && v.last_emailed_at.is_none())
        .collect();
    if owed.is_empty() {
        return Ok(0);
    }
    let context = Context::load(tx, &[request.release_id]).await?;
    let Some(release) = context.releases.get(&request.release_id) else {
        return Ok(0);
    };
    let approvers = people::by_ids(
        tx.db(),
        &owed.iter().map(|v| v.approver_id).collect::<Vec<_>>(),
    )
    .await?;
    let mails: Vec<Mail> = owed
        .iter()
        .filter_map(|vote| {
            approvers
                .get(&vote.approver_id)
                .map(|approver| request_mail(request, vote, release, approver, &context))
        })
        .collect();
    let queued = outbox::enqueue(tx, mails).await?;
    super::mark_emailed(tx, &owed.iter().map(|v| v.id).collect::<Vec<_>>()).await?;
    Ok(queued)
}

/// What the e-mails say about each release, read in a fixed number of queries.
pub struct Context {
    pub releases: HashMap<i32, release::Model>,
    milestones: HashMap<i32, Vec<milestone::Model>>,
    changes: HashMap<i32, Vec<change_request::Model>>,
}

impl Context {
    /// The releases in `release_ids`, their milestones and linked changes.
    pub async fn load(tx: &Tx, release_ids: &[i32]) -> DomainResult<Self> {
        let releases = release::Entity::find()
            .filter(release::Column::Id.is_in(release_ids.iter().copied()))
            .all(tx.db())
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let milestones = crate::kit::group_by(
            milestone::Entity::find()
                .filter(milestone::Column::ReleaseId.is_in(release_ids.iter().copied()))
                .order_by_asc(milestone::Column::Sequence)
                .all(tx.db())
                .await?,
            |m| m.release_id,
        );
        let changes = crate::kit::group_by(
            change_request::Entity::find()
                .filter(change_request::Column::ReleaseId.is_in(release_ids.iter().copied()))
                .order_by_asc(change_request::Column::Number)
                .all(tx.db())
                .await?,
            |c| c.release_id,
        );
        Ok(Self {
            releases,
            milestones,
            changes,
        })
    }
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or("not set".into(), |t| {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    })
}

/// What is asked: the release itself, or one of its milestones.
fn subject(request: &approval_request::Model, context: &Context) -> String {
    let milestone = request.milestone_id.and_then(|id| {
        context
            .milestones
            .get(&request.release_id)
            .and_then(|all| all.iter().find(|m| m.id == id))
    });
    match milestone {
        Some(m) => format!("milestone {} \"{}\"", m.sequence, m.title),
        None => "the release".into(),
    }
}

/// The e-mail asking `approver` to decide (a reminder once they were
/// e-mailed): the facts, milestones, linked changes and the approve and
/// reject links, which the dispatcher completes and signs as it sends.
pub fn request_mail(
    request: &approval_request::Model,
    vote: &approval_vote::Model,
    release: &release::Model,
    approver: &person::Model,
    context: &Context,
) -> Mail {
    let reminder = vote.emails_sent > 0;
    // the claim only: the dispatcher makes the link as it sends (see links::render_marked)
    let link = |decision| {
        links::vote_link(links::LinkClaim {
            vote_id: vote.id,
            decision,
            person_id: approver.id,
            expires_at: request.due_at.timestamp(),
        })
    };
    let (approve, reject) = (link(VoteDecision::Approved), link(VoteDecision::Rejected));
    let what = subject(request, context);
    let kind = if request.emergency {
        "Emergency approval"
    } else {
        "Approval"
    };
    let subject_line = format!(
        "{}{kind} requested: release #{} {}",
        if reminder { "Reminder: " } else { "" },
        release.id,
        release.title
    );
    let rule = match request.quorum {
        Some(q) => format!("QUORUM of {q}"),
        None => rule_name(request.rule).to_owned(),
    };
    let facts = [
        ("Release", format!("#{} {}", release.id, release.title)),
        ("Asked to decide", what.clone()),
        (
            "Type / scope",
            format!(
                "{} / {}",
                release.release_type.to_value(),
                release.scope.to_value()
            ),
        ),
        (
            "Status",
            release_lifecycle::status_name(release.status).to_owned(),
        ),
        (
            "Planned window",
            format!(
                "{} to {}",
                when(release.planned_start),
                when(release.planned_end)
            ),
        ),
        ("Decision rule", rule),
        ("Decide by", when(Some(request.due_at))),
    ];
    let milestones: Vec<String> = context
        .milestones
        .get(&release.id)
        .into_iter()
        .flatten()
        .map(|m| {
            format!(
                "{}. {} ({}; {} to {})",
                m.sequence,
                m.title,
                milestone_lifecycle::status_name(m.status),
                when(m.planned_start),
                when(m.planned_end)
            )
        })
        .collect();
    let changes: Vec<String> = context
        .changes
        .get(&release.id)
        .into_iter()
        .flatten()
        .map(|c| format!("{} {} (risk {:?})", c.number, c.title, c.risk))
        .collect();
    let list_text = |items: &[String]| {
        if items.is_empty() {
            "  none\n".to_owned()
        } else {
            items.iter().map(|i| format!("  - {i}\n")).collect()
        }
    };
    let list_html = |items: &[String]| {
        if items.is_empty() {
            "<p style=\"margin:0 0 16px;color:#6b778c\">None.</p>".to_owned()
        } else {
            format!(
                "<ul style=\"margin:0 0 16px;padding-left:20px\">{}</ul>",
                items
                    .iter()
                    .map(|i| format!("<li>{}</li>", mail::escape(i)))
                    .collect::<String>()
            )
        }
    };
    let text = format!(
        "Hello {name},\n\nThe Release Review Board is asked to decide on {what} of release #{id}.\n\n{facts}\nMilestones:\n{ms}\nLinked changes:\n{cs}\nApprove: {approve}\nReject:  {reject}\n\nEach link opens a confirmation page; nothing is recorded until you confirm there.\nYou can also vote in Releasedesk (approval #{request}).\n",
        name = approver.name,
        id = release.id,
        facts = mail::facts_text(&facts),
        ms = list_text(&milestones),
        cs = list_text(&changes),
        request = request.id,
    );
    let html = mail::layout(
        &subject_line,
        &format!(
            "<p>Hello {name},</p><p>The Release Review Board is asked to decide on {what} of release #{id}.</p>{table}\
<h2 style=\"font-size:15px;margin:0 0 8px\">Milestones</h2>{ms}\
<h2 style=\"font-size:15px;margin:0 0 8px\">Linked changes</h2>{cs}\
<p>{approve}{reject}</p>\
<p style=\"color:#6b778c;font-size:13px\">Each button opens a confirmation page; nothing is recorded until you confirm there. You can also vote in Releasedesk (approval #{request}).</p>",
            name = mail::escape(&approver.name),
            what = mail::escape(&what),
            id = release.id,
            table = mail::facts_table(&facts),
            ms = list_html(&milestones),
            cs = list_html(&changes),
            approve = mail::button("Approve", &approve, mail::APPROVE_COLOUR),
            reject = mail::button("Reject", &reject, mail::REJECT_COLOUR),
            request = request.id,
        ),
    );
    Mail {
        key: format!(
            "approval-request:{}:{}:{}",
            request.id, vote.approver_id, vote.emails_sent
        ),
        kind: if reminder {
            "APPROVAL_REMINDER"
        } else {
            "APPROVAL_REQUEST"
        },
        release_id: Some(release.id),
        recipient_id: Some(approver.id),
        recipient: approver.email.clone(),
        subject: subject_line,
        text,
        html,
        attachments: Vec::new(),
    }
}

/// The e-mail telling the release's owner that the board did not decide in time.
pub fn timed_out_mail(
    request: &approval_request::Model,
    release: &release::Model,
    owner: &person::Model,
    context: &Context,
) -> Mail {
    let what = subject(request, context);
    let subject_line = format!(
        "Approval timed out: release #{} {}",
        release.id, release.title
    );
    let facts = [
        ("Release", format!("#{} {}", release.id, release.title)),
        ("Asked to decide", what),
        ("Was due", when(Some(request.due_at))),
        (
            "Approval",
            format!("#{} (round {})", request.id, request.round),
        ),
    ];
    let advice = "Reopen the approval for a new round (reopenApproval), or cancel the release.";
    Mail {
        key: format!("approval-timed-out:{}", request.id),
        kind: "APPROVAL_TIMED_OUT",
        release_id: Some(release.id),
        recipient_id: Some(owner.id),
        recipient: owner.email.clone(),
        subject: subject_line.clone(),
        text: format!(
            "Hello {},\n\nThe Release Review Board did not decide in time.\n\n{}\n{advice}\n",
            owner.name,
            mail::facts_text(&facts)
        ),
        html: mail::layout(
            &subject_line,
            &format!(
                "<p>Hello {},</p><p>The Release Review Board did not decide in time.</p>{}<p>{}</p>",
                mail::escape(&owner.name),
                mail::facts_table(&facts),
                mail::escape(advice)
            ),
        ),
        attachments: Vec::new(),
    }
}
