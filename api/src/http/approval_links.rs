//! The pages behind approve and reject links in e-mails, server-rendered and
//! working without JavaScript. `GET` only shows what the link would record
//! (mail scanners open links); the form's `POST` records the vote. A used,
//! expired or altered link gets a page that says so and records nothing.

use crate::context::AppContext;
use entities::approvals::links::{self, LinkClaim, LinkError};
use entities::approvals::{self, VoteInput};
use entities::entity::{approval_request, approval_vote, ApprovalStatus, VoteDecision};
use entities::lifecycle::release::status_name;
use entities::{access, mail, releases, Actor, DomainError, Stamp};
use poem::http::StatusCode;
use poem::web::Html;
use poem::{IntoResponse, Request, Response};
use sea_orm::EntityTrait;

/// Longest comment accepted from the form (the domain checks it again).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What a link stands for, while its vote can still be cast.
struct OpenLink {
    claim: LinkClaim,
    vote: approval_vote::Model,
    request: approval_request::Model,
}

/// The link's vote and request, or the page saying why it records nothing.
async fn open_link(context: &AppContext, token: &str) -> Result<OpenLink, Box<Response>> {
    let claim = verify(context, token)?;
    let (vote, request) = load(context, &claim).await?;
    match no_longer_open(&vote, &request) {
        Some(page) => Err(Box::new(page)),
        None => Ok(OpenLink {
            claim,
            vote,
            request,
        }),
    }
}

/// `GET /approvals/vote/:token`: the confirmation page.
pub async fn confirm_page(context: &AppContext, token: &str) -> Response {
    let OpenLink { claim, request, .. } = match open_link(context, token).await {
        Ok(link) => link,
        Err(page) => return *page,
    };
    let summary = match summary(context, &request).await {
        Ok(summary) => summary,
        Err(page) => return *page,
    };
    let (verb, colour) = verb(claim.decision);
    let body = format!(
        "{summary}<form method=\"post\">\
<label for=\"comment\" style=\"display:block;margin:0 0 4px;font-weight:600\">Comment (optional)</label>\
<textarea id=\"comment\" name=\"comment\" rows=\"4\" maxlength=\"10000\" style=\"width:100%;box-sizing:border-box;margin:0 0 12px;font:inherit\"></textarea>\
<button type=\"submit\" style=\"padding:10px 18px;border:0;border-radius:4px;background:{colour};color:#fff;font-weight:600;font:inherit;cursor:pointer\">Confirm: {verb}</button>\
</form><p style=\"color:#6b778c;font-size:13px\">Nothing is recorded until you confirm. The link works until {due}.</p>",
        due = request.due_at.format("%Y-%m-%d %H:%M UTC"),
    );
    page(
        StatusCode::OK,
        &format!("{verb} approval #{}?", request.id),
        &body,
    )
}

/// `POST /approvals/vote/:token`: records the vote the link stands for.
pub async fn record_vote(context: &AppContext, token: &str, req: &mut Request) -> Response {
    let OpenLink {
        claim,
        vote,
        request,
    } = match open_link(context, token).await {
        Ok(link) => link,
        Err(page) => return *page,
    };
    let comment = match req.take_body().into_bytes_limit(MAX_FORM_BYTES).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(k, _)| k == "comment"))
            .map(|(_, v)| v),
        Err(_) => {
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Comment too long",
                "Shorten the comment and try again.",
            )
        }
    };
    let roles = match access::roles_of(&context.db, claim.person_id).await {
        Ok(roles) => roles,
        Err(err) => return failure(err),
    };
    let stamp = Stamp {
        at: context.clock.now(),
        actor: Actor::Person {
            id: claim.person_id,
            roles,
        },
        // recorded in the audit trail like the castVote it stands for
        audit: Some(std::sync::Arc::new(entities::audit::AuditContext {
            token_id: None,
            request_id: request_id(req),
            operation: "approvalLinkVote".into(),
            arguments: Some(
                serde_json::json!({
                    "approvalId": request.id.to_string(),
                    "voteId": vote.id.to_string(),
                    "decision": verb(claim.decision).0.to_uppercase(),
                })
                .to_string(),
            ),
        })),
    };
    let input = VoteInput {
        request_id: request.id,
        decision: claim.decision,
        comment,
        on_behalf_of: None,
        delegate_to: None,
    };
    let result = entities::write(&context.db, stamp, async |tx| {
        approvals::cast_vote(tx, input).await
    })
    .await;
    match result {
        Ok(after) => {
            let (verb, _) = verb(claim.decision);
            let outcome = match after.status {
                ApprovalStatus::Open => {
                    "The request stays open until the board decides.".to_owned()
                }
                status => format!(
                    "The board's decision is made: the request is {}.",
                    approvals::status_name(status)
                ),
            };
            message(
                StatusCode::OK,
                "Vote recorded",
                &format!(
                    "You voted to {} on approval #{}. {outcome}",
                    verb.to_lowercase(),
                    request.id
                ),
            )
        }
        Err(err) if err.retryable() => message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again in a moment",
            "Releasedesk is busy or its database is unavailable; nothing was recorded. Send the form again in a moment.",
        ),
        Err(DomainError::Conflict(_) | DomainError::InvalidTransition { .. }) => message(
            StatusCode::CONFLICT,
            "Already decided",
            "This vote or request was decided meanwhile; nothing was recorded.",
        ),
        Err(DomainError::NotFound { .. }) => message(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "The request it names is not one you may vote on; nothing was recorded.",
        ),
        Err(DomainError::Forbidden(why)) => {
            message(StatusCode::FORBIDDEN, "Your vote is not taken", &why)
        }
        Err(err) => failure(err),
    }
}

fn verify(context: &AppContext, token: &str) -> Result<LinkClaim, Box<Response>> {
    let key = &context.jobs.context().mail.link_key;
    links::verify(key, token, context.clock.now().timestamp()).map_err(|err| {
        Box::new(match err {
        LinkError::Tampered => message(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "The link is incomplete or was changed. Open it again from the e-mail, or vote in Releasedesk.",
        ),
        LinkError::Expired => message(
            StatusCode::GONE,
            "This link has expired",
            "The request's due time has passed; nothing was recorded.",
        ),
        })
    })
}

async fn load(
    context: &AppContext,
    claim: &LinkClaim,
) -> Result<(approval_vote::Model, approval_request::Model), Box<Response>> {
    let vote = approval_vote::Entity::find_by_id(claim.vote_id)
        .one(&context.db)
        .await
        .map_err(|err| Box::new(failure(err.into())))?
        .filter(|v| v.approver_id == claim.person_id)
        .ok_or_else(|| {
            Box::new(message(
                StatusCode::NOT_FOUND,
                "This link is not valid",
                "The vote it names does not exist.",
            ))
        })?;
    let request = approval_request::Entity::find_by_id(vote.request_id)
        .one(&context.db)
        .await
        .map_err(|err| Box::new(failure(err.into())))?
        .ok_or_else(|| {
            Box::new(message(
                StatusCode::NOT_FOUND,
                "This link is not valid",
                "The request it names does not exist.",
            ))
        })?;
    Ok((vote, request))
}

fn no_longer_open(
    vote: &approval_vote::Model,
    request: &approval_request::Model,
) -> Option<Response> {
    if vote.decision == VoteDecision::Void {
        return Some(message(
            StatusCode::GONE,
            "Your vote is void",
            "You no longer sit on the Release Review Board, or are no longer an approver of this release, so your vote on this request no longer counts; nothing was recorded.",
        ));
    }
    if vote.decision != VoteDecision::Pending {
        return Some(message(
            StatusCode::CONFLICT,
            "This link was already used",
            "Your vote on this request is already recorded; nothing was changed.",
        ));
    }
    if request.status != ApprovalStatus::Open {
        return Some(message(
            StatusCode::CONFLICT,
            "This request is closed",
            &format!(
                "Approval #{} is {}; votes are no longer taken.",
                request.id,
                approvals::status_name(request.status)
            ),
        ));
    }
    None
}

async fn summary(
    context: &AppContext,
    request: &approval_request::Model,
) -> Result<String, Box<Response>> {
    let release = releases::find(&context.db, request.release_id)
        .await
        .map_err(|err| Box::new(failure(err)))?;
    let mut rows = vec![
        ("Release", format!("#{} {}", release.id, release.title)),
        ("Status", status_name(release.status).to_owned()),
        (
            "Planned window",
            format!(
                "{} to {}",
                entities::validate::show_time(release.planned_start).unwrap_or("not set".into()),
                entities::validate::show_time(release.planned_end).unwrap_or("not set".into())
            ),
        ),
    ];
    if let Some(milestone_id) = request.milestone_id {
        rows.push(("Milestone", format!("#{milestone_id}")));
    }
    Ok(mail::facts_table(&rows))
}

/// The request's id, as the request log made it (and the response header and
/// the log line carry it).
fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<crate::http::request_log::RequestId>()
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), |id| id.0.clone())
}

fn verb(decision: VoteDecision) -> (&'static str, &'static str) {
    match decision {
        VoteDecision::Approved => ("Approve", mail::APPROVE_COLOUR),
        _ => ("Reject", mail::REJECT_COLOUR),
    }
}

fn failure(err: DomainError) -> Response {
    tracing::error!(error = %err, "approval link failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Nothing was recorded. Try again in a moment, or vote in Releasedesk.",
    )
}

/// A page with `heading` and one paragraph of `text`.
pub(super) fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    page(status, heading, &format!("<p>{}</p>", mail::escape(text)))
}

/// A page in the e-mails' look, never cached, never framed, and never sending
/// its address (which holds the token) to another site.
fn page(status: StatusCode, heading: &str, body: &str) -> Response {
    Html(mail::layout(heading, body))
        .with_status(status)
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
        .with_header("x-frame-options", "DENY")
        .with_header("x-content-type-options", "nosniff")
        .with_header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        )
        .into_response()
}
