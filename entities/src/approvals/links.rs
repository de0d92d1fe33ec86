//! Approve and reject links in e-mails: a signed, expiring token naming one
//! vote, the decision and the person it was sent to. It is single-use because
//! a vote is cast once: a token whose vote is decided records nothing.
//!
//! A queued e-mail holds only the unsigned claim ([`vote_link`]); the
//! dispatcher makes it a link to the service's public address and signs it as
//! it sends ([`render_marked`]). The key lives in the
//! service's settings or key file, never in the database, so reading the
//! database is not enough to vote as anyone.

use crate::entity::VoteDecision;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: &str = "v1";
/// Longest token accepted (they are about 80 characters).
const MAX_TOKEN: usize = 256;

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClaim {
    pub vote_id: i32,
    pub decision: VoteDecision,
    /// The person the link was sent to, who votes by opening it.
    pub person_id: i32,
    pub expires_at: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not a token we signed, or altered.
    Tampered,
    Expired,
}

fn mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac
}

/// What a token says, unsigned.
fn payload(claim: LinkClaim) -> String {
    let decision = match claim.decision {
        VoteDecision::Approved => "a",
        _ => "r",
    };
    format!(
        "{VERSION}.{}.{decision}.{}.{}",
        claim.vote_id, claim.person_id, claim.expires_at
    )
}

/// A token for `claim`, signed with `key`.
pub fn sign(key: &[u8], claim: LinkClaim) -> String {
    signed(key, &payload(claim))
}

fn signed(key: &[u8], payload: &str) -> String {
    let signature = URL_SAFE_NO_PAD.encode(mac(key, payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Delimits an unsigned claim in a stored e-mail: a control character, which
/// no text a person enters may hold (see [`crate::validate`]), so nothing but
/// [`vote_link`] makes a mark the dispatcher signs.
const MARK: char = '\u{1}';
const MARK_TAG: &str = "vote:";

/// The place of the link for `claim` in a queued e-mail, holding nothing
/// secret and no address: both are the sending replica's.
pub fn vote_link(claim: LinkClaim) -> String {
    format!("{MARK}{MARK_TAG}{}{MARK}", payload(claim))
}

/// Which body a link goes into: an HTML body gets it escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Text,
    Html,
}

/// `text` with every [`vote_link`] mark replaced by the vote page under
/// `public_url` with its token signed by `key`; done as the e-mail is sent,
/// and never stored.
pub fn render_marked(key: &[u8], public_url: &str, text: &str, body: Body) -> String {
    let base = public_url.trim_end_matches('/');
    let mut out = String::with_capacity(text.len() + 128);
    let mut rest = text;
    while let Some(start) = rest.find(MARK) {
        out.push_str(&rest[..start]);
        let after = &rest[start + MARK.len_utf8()..];
        match after
            .strip_prefix(MARK_TAG)
            .and_then(|claim| claim.split_once(MARK))
        {
            Some((claim, tail)) if claim.len() <= MAX_TOKEN && claim.starts_with(VERSION) => {
                let url = format!("{base}/approvals/vote/{}", signed(key, claim));
                match body {
                    Body::Text => out.push_str(&url),
                    Body::Html => out.push_str(&crate::mail::escape(&url)),
                }
                rest = tail;
            }
            _ => {
                // a stray mark is dropped, never signed
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The claim of `token` if `key` signed it and it has not expired at `now` (unix seconds).
pub fn verify(key: &[u8], token: &str, now: i64) -> Result<LinkClaim, LinkError> {
    if token.len() > MAX_TOKEN {
        return Err(LinkError::Tampered);
    }
    let (payload, signature) = token.rsplit_once('.').ok_or(LinkError::Tampered)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| LinkError::Tampered)?;
    mac(key, payload)
        .verify_slice(&signature)
        .map_err(|_| LinkError::Tampered)?;
    let parts: Vec<&str> = payload.split('.').collect();
    let [VERSION, vote, decision, person, expires] = parts[..] else {
        return Err(LinkError::Tampered);
    };
    let claim = LinkClaim {
        vote_id: vote.parse().map_err(|_| LinkError::Tampered)?,
        decision: match decision {
            "a" => VoteDecision::Approved,
            "r" => VoteDecision::Rejected,
            _ => return Err(LinkError::Tampered),
        },
        person_id: person.parse().map_err(|_| LinkError::Tampered)?,
        expires_at: expires.parse().map_err(|_| LinkError::Tampered)?,
    };
    if claim.expires_at <= now {
        return Err(LinkError::Expired);
    }
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test key";

    fn claim() -> LinkClaim {
        LinkClaim {
            vote_id: 7,
            decision: VoteDecision::Approved,
            person_id: 3,
            expires_at: 2_000,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign(KEY, claim());
        assert_eq!(verify(KEY, &token, 1_999), Ok(claim()));
        assert_eq!(verify(KEY, &token, 2_000), Err(LinkError::Expired));
    }

    #[test]
    fn a_queued_mail_holds_the_claim_and_the_sent_one_a_working_link() {
        let stored = format!("Approve: {}\nThanks", vote_link(claim()));
        assert!(!stored.contains(&sign(KEY, claim())));
        assert!(!stored.contains("https://"));
        let sent = render_marked(KEY, "https://rd.example/", &stored, Body::Text);
        let token = sent
            .strip_prefix("Approve: https://rd.example/approvals/vote/")
            .and_then(|rest| rest.split('\n').next())
            .unwrap();
        assert_eq!(verify(KEY, token, 0), Ok(claim()));
        assert!(sent.ends_with("\nThanks"));
        let html = render_marked(KEY, "https://rd.example/a&b", &stored, Body::Html);
        assert!(
            html.contains("https://rd.example/a&amp;b/approvals/vote/"),
            "{html}"
        );
        // what is not a mark made by `vote_link` is never signed
        let stray = render_marked(KEY, "https://x", "a \u{1}vote:x\u{1} b", Body::Text);
        assert_eq!(stray, "a vote:x b");
        assert_eq!(
            render_marked(KEY, "https://x", "no marks", Body::Text),
            "no marks"
        );
    }

    #[test]
    fn any_change_or_another_key_is_refused() {
        let token = sign(KEY, claim());
        let altered = token.replacen(".a.", ".r.", 1);
        assert_eq!(verify(KEY, &altered, 0), Err(LinkError::Tampered));
        assert_eq!(verify(b"other", &token, 0), Err(LinkError::Tampered));
        assert_eq!(verify(KEY, "garbage", 0), Err(LinkError::Tampered));
        assert_eq!(
            verify(KEY, &"x".repeat(10_000), 0),
            Err(LinkError::Tampered)
        );
    }
}
