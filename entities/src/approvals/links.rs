//! Approve and reject links in e-mails: a signed, expiring token naming one
//! vote, the decision and the person it was sent to. It is single-use because
//! a vote is cast once: a token whose vote is decided records nothing.

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

/// A token for `claim`, signed with `key`.
pub fn sign(key: &[u8], claim: LinkClaim) -> String {
    let decision = match claim.decision {
        VoteDecision::Approved => "a",
        _ => "r",
    };
    let payload = format!(
        "{VERSION}.{}.{decision}.{}.{}",
        claim.vote_id, claim.person_id, claim.expires_at
    );
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
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
