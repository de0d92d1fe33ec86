//! `approval-requests`: times out requests past their due time (telling the
//! release's owner), then e-mails each approver who has a pending vote and has
//! not been e-mailed yet, and reminds those whose last e-mail is older than
//! the request's reminder interval. Everything one run queues commits in one
//! unit of work with the vote counters, under idempotency keys, so a repeated
//! or concurrent run queues nothing twice.

use crate::{Counts, Job, JobContext, MailContext};
use chrono::{DateTime, Utc};
use entities::approvals::{self, links};
use entities::entity::{
    approval_request, approval_vote, change_request, milestone, person, release, VoteDecision,
};
use entities::lifecycle::{milestone as milestone_lifecycle, release as release_lifecycle};
use entities::outbox::{self, Mail};
use entities::{mail, people, DomainResult, Tx};
use futures::future::BoxFuture;
use sea_orm::{prelude::*, ActiveEnum, QueryOrder};
use std::collections::HashMap;

/// The job; see the module documentation.
pub struct ApprovalRequests;

impl Job for ApprovalRequests {
    fn name(&self) -> &'static str {
        "approval-requests"
    }

    fn default_schedule(&self) -> &'static str {
        "0 * * * * *"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<Counts, String>> {
        Box::pin(async move {
            ctx.write(async |tx| queue(tx, &ctx.mail).await)
                .await
                .map_err(|err| err.to_string())
        })
    }
}

async fn queue(tx: &mut Tx, mail: &MailContext) -> DomainResult<Counts> {
    // every release with an open request first (the lock order): votes are
    // counted and e-mailed under the same locks castVote takes
    let open = approvals::releases_with_open_requests(tx.db()).await?;
    tx.lock_releases(&open).await?;
    let timed_out = approvals::time_out_due(tx).await?;
    let now = tx.now();
    let (open, due) = approvals::votes_due_for_mail(tx.db(), now).await?;
    let mut release_ids: Vec<i32> = due.iter().map(|(r, _)| r.release_id).collect();
    release_ids.extend(timed_out.iter().map(|r| r.release_id));
    release_ids.sort_unstable();
    release_ids.dedup();
    let context = Context::load(tx, &release_ids).await?;
    let mut person_ids: Vec<i32> = due.iter().map(|(_, v)| v.approver_id).collect();
    person_ids.extend(context.releases.values().map(|r| r.owner_id));
    let people = people::by_ids(tx.db(), &person_ids).await?;

    let mut mails = Vec::new();
    for request in &timed_out {
        let (Some(release), Some(owner)) = (
            context.releases.get(&request.release_id),
            context
                .releases
                .get(&request.release_id)
                .and_then(|r| people.get(&r.owner_id)),
        ) else {
            continue;
        };
        mails.push(timed_out_mail(request, release, owner, &context));
    }
    for (request, vote) in &due {
        let (Some(release), Some(approver)) = (
            context.releases.get(&request.release_id),
            people.get(&vote.approver_id),
        ) else {
            continue;
        };
        mails.push(request_mail(
            mail, request, vote, release, approver, &context,
        ));
    }
    let queued = outbox::enqueue(tx, mails).await?;
    let emailed: Vec<i32> = due.iter().map(|(_, v)| v.id).collect();
    approvals::mark_emailed(tx, &emailed).await?;
    Ok(Counts {
        examined: (open + timed_out.len()) as u64,
        changed: queued,
    })
}

/// What the e-mails say about each release, read in a fixed number of queries.
struct Context {
    releases: HashMap<i32, release::Model>,
    milestones: HashMap<i32, Vec<milestone::Model>>,
    changes: HashMap<i32, Vec<change_request::Model>>,
}

impl Context {
    async fn load(tx: &Tx, release_ids: &[i32]) -> DomainResult<Self> {
        let releases = release::Entity::find()
            .filter(release::Column::Id.is_in(release_ids.iter().copied()))
            .all(tx.db())
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let milestones = entities::kit::group_by(
            milestone::Entity::find()
                .filter(milestone::Column::ReleaseId.is_in(release_ids.iter().copied()))
                .order_by_asc(milestone::Column::Sequence)
                .all(tx.db())
                .await?,
            |m| m.release_id,
        );
        let changes = entities::kit::group_by(
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

fn request_mail(
    mail: &MailContext,
    request: &approval_request::Model,
    vote: &approval_vote::Model,
    release: &release::Model,
    approver: &person::Model,
    context: &Context,
) -> Mail {
    let reminder = vote.emails_sent > 0;
    // the claim only: the dispatcher signs it as it sends (see links::sign_marked)
    let link = |decision| {
        let token = links::unsigned(links::LinkClaim {
            vote_id: vote.id,
            decision,
            person_id: approver.id,
            expires_at: request.due_at.timestamp(),
        });
        format!(
            "{}/approvals/vote/{token}",
            mail.public_url.trim_end_matches('/')
        )
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
        None => approvals::rule_name(request.rule).to_owned(),
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
                    .map(|i| format!("<li>{}</li>", mail_escape(i)))
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
            name = mail_escape(&approver.name),
            what = mail_escape(&what),
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

fn timed_out_mail(
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
                mail_escape(&owner.name),
                mail::facts_table(&facts),
                mail_escape(advice)
            ),
        ),
        attachments: Vec::new(),
    }
}

fn mail_escape(text: &str) -> String {
    mail::escape(text)
}
