//! JWT bearer tokens from an identity provider: HS256 with a shared secret, or
//! RS256/ES256 with public keys from a JWKS file. Issuer, audience and expiry are
//! always checked; clock skew is bounded.

use super::AuthFailure;
use crate::config::{JwtSettings, MAX_JWT_LEEWAY_SECONDS};
use chrono::{DateTime, Utc};
use entities::entity::Role;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::ActiveEnum;
use serde_json::{Map, Value};

/// What a valid JWT says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtIdentity {
    pub email: String,
    /// Roles from the roles claim, when granting is enabled.
    pub granted_roles: Vec<Role>,
}

struct Key {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies JWTs against the configured keys and claims.
pub struct JwtVerifier {
    keys: Vec<Key>,
    issuer: String,
    audience: String,
    leeway: u64,
    email_claim: String,
    roles_claim: Option<String>,
}

impl JwtVerifier {
    /// A verifier from settings; `Ok(None)` when no JWT key is configured.
    pub fn from_settings(settings: &JwtSettings) -> anyhow::Result<Option<Self>> {
        let mut keys = Vec::new();
        if let Some(secret) = settings.hs256_secret.as_ref().map(|s| s.expose()) {
            anyhow::ensure!(
                secret.len() >= 32,
                "auth.jwt.hs256_secret must be at least 32 bytes"
            );
            keys.push(Key {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.as_bytes()),
            });
        }
        if let Some(path) = &settings.jwks_path {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading JWKS file {}: {e}", path.display()))?;
            let set: JwkSet = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("parsing JWKS file {}: {e}", path.display()))?;
            for jwk in &set.keys {
                let algorithm = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                        Algorithm::ES256
                    }
                    _ => anyhow::bail!("JWKS keys must be RSA (RS256) or P-256 (ES256)"),
                };
                keys.push(Key {
                    kid: jwk.common.key_id.clone(),
                    algorithm,
                    key: DecodingKey::from_jwk(jwk)?,
                });
            }
        }
        if keys.is_empty() {
            return Ok(None);
        }
        let issuer = settings
            .issuer
            .clone()
            .ok_or_else(|| anyhow::anyhow!("auth.jwt.issuer is required when JWT keys are set"))?;
        let audience = settings.audience.clone().ok_or_else(|| {
            anyhow::anyhow!("auth.jwt.audience is required when JWT keys are set")
        })?;
        Ok(Some(Self {
            keys,
            issuer,
            audience,
            leeway: settings.leeway_seconds.min(MAX_JWT_LEEWAY_SECONDS),
            email_claim: settings.email_claim.clone(),
            roles_claim: settings.grant_roles.then(|| settings.roles_claim.clone()),
        }))
    }

    /// The identity in `token` if its signature, issuer, audience and times hold at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<JwtIdentity, AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthFailure::Invalid)?;
        let key = self
            .keys
            .iter()
            .find(|k| {
                k.algorithm == header.alg
                    && (header.kid.is_none() || k.kid.is_none() || k.kid == header.kid)
            })
            .ok_or(AuthFailure::Invalid)?;
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = self.leeway;
        // Times are checked below against the service clock, not the system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|_| AuthFailure::Invalid)?;
        let claims = data.claims;
        let now = now.timestamp();
        let leeway = i64::try_from(self.leeway).unwrap_or(0);
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(AuthFailure::Invalid)?;
        // saturating: `exp` and `nbf` are the caller's numbers and may sit at i64's ends
        if exp.saturating_add(leeway) <= now {
            return Err(AuthFailure::Expired);
        }
        if claims
            .get("nbf")
            .and_then(Value::as_i64)
            .is_some_and(|nbf| nbf.saturating_sub(leeway) > now)
        {
            return Err(AuthFailure::Invalid);
        }
        let email = claims
            .get(&self.email_claim)
            .and_then(Value::as_str)
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .ok_or(AuthFailure::Invalid)?;
        let granted_roles = match &self.roles_claim {
            Some(claim) => claims
                .get(claim)
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(|n| Role::try_from_value(&n.to_uppercase()).ok())
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(JwtIdentity {
            email,
            granted_roles,
        })
    }
}
