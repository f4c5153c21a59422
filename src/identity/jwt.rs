//! JWT mode: compiling verification keys (PEM, HMAC secrets, JWKS) and verifying bearer
//! tokens against them.
//!
//! Owns the JWT shape test, key selection and signature verification. The key decides the
//! algorithm, never the token: a token is only tried against keys whose configured algorithm
//! equals its `alg`, so `alg: none` and algorithm confusion (an HS256 token "signed" with an
//! RSA public key) are refused before any cryptography. Claim checks against `now` live in
//! [`claims`]; jsonwebtoken's own time checks are switched off because they read the clock.

mod cache;
mod claims;

use std::collections::HashSet;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::config::{JwtAlgorithm, JwtConfig, JwtKey};
use super::error::{AuthError, IdentityError};
use super::{
    fingerprint, is_clean_name, upstream_for, AuthMethod, Identified, Principal, UpstreamAuth,
};

/// Shortest accepted HMAC secret (RFC 7518 §3.2: at least the hash size).
const MIN_HMAC_SECRET: usize = 32;

/// Longest accepted decoded JOSE header.
const MAX_HEADER_LEN: usize = 4096;

/// The parts of a JOSE header that matter before verification.
#[derive(Debug, Deserialize)]
pub(crate) struct JoseHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Returns the header when `token` has the JWT shape: three base64url segments (the signature
/// may be empty, as in `alg: none` tokens, so those are refused rather than passed on) whose
/// first decodes to a JSON object with a string `alg`.
pub(crate) fn parse_header(token: &str) -> Option<JoseHeader> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let b64url = |seg: &str| {
        seg.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if h.is_empty()
        || p.is_empty()
        || !(b64url(h) && b64url(p) && b64url(s))
        || h.len() > MAX_HEADER_LEN * 4 / 3 + 4
    {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(h).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// One verification key, compiled.
struct CompiledKey {
    alg: JwtAlgorithm,
    kid: Option<String>,
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for CompiledKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// JWT mode, compiled.
#[derive(Debug)]
pub(crate) struct JwtVerifier {
    keys: Vec<CompiledKey>,
    claims: claims::ClaimRules,
    upstream: UpstreamAuth,
    cache: cache::VerifiedCache,
}

impl JwtVerifier {
    pub(crate) fn new(mut cfg: JwtConfig) -> Result<Self, IdentityError> {
        if cfg.keys.is_empty() {
            return Err(IdentityError::NoJwtKeys);
        }
        let mut keys = Vec::new();
        for (index, k) in std::mem::take(&mut cfg.keys).into_iter().enumerate() {
            compile_key(k, &mut keys)
                .map_err(|reason| IdentityError::BadJwtKey { index, reason })?;
        }
        let upstream = upstream_for(cfg.key_ref.take(), "jwt")?;
        let cache = cache::VerifiedCache::new(cache::DEFAULT_CAPACITY);
        let claims = claims::ClaimRules::new(cfg)?;
        Ok(JwtVerifier {
            keys,
            claims,
            upstream,
            cache,
        })
    }

    /// Switches the verified-token cache off (every token is verified in full).
    pub(crate) fn disable_cache(&mut self) {
        self.cache = cache::VerifiedCache::new(0);
    }

    /// Verifies `token` (whose header is `header`) and binds its principal; a token verified
    /// before only has its validity window re-checked.
    pub(crate) fn verify(
        &self,
        token: &str,
        header: &JoseHeader,
        now_unix: u64,
    ) -> Result<Identified, AuthError> {
        let key = cache::token_key(token);
        if let Some((identified, window)) = self.cache.get(&key) {
            self.claims.check_time(window, now_unix)?;
            return Ok(identified);
        }
        let (identified, window) = self.verify_uncached(token, header, now_unix)?;
        self.cache.insert(key, &identified, window);
        Ok(identified)
    }

    fn verify_uncached(
        &self,
        token: &str,
        header: &JoseHeader,
        now_unix: u64,
    ) -> Result<(Identified, claims::Window), AuthError> {
        if header.alg.eq_ignore_ascii_case("none") {
            return Err(invalid("unsigned tokens (alg \"none\") are not accepted"));
        }
        if header.crit.is_some() {
            return Err(invalid(
                "the token uses critical header extensions (crit) this gateway does not support",
            ));
        }
        let alg = JwtAlgorithm::from_str(&header.alg)
            .map_err(|()| invalid("the token's signing algorithm is not supported"))?;
        let by_kid: Vec<&CompiledKey> = match &header.kid {
            Some(kid) => {
                let named: Vec<&CompiledKey> = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                    .collect();
                if named.is_empty() {
                    self.keys.iter().filter(|k| k.kid.is_none()).collect()
                } else {
                    named
                }
            }
            None => self.keys.iter().collect(),
        };
        if by_kid.is_empty() {
            return Err(invalid(
                "no configured key has the token's key id (kid); check the issuer's signing keys",
            ));
        }
        let candidates = by_kid.into_iter().filter(|k| k.alg == alg);
        let mut tried = false;
        let mut verified = None;
        let mut malformed = false;
        for key in candidates {
            tried = true;
            match jsonwebtoken::decode::<serde_json::Value>(token, &key.key, &key.validation) {
                Ok(data) => {
                    verified = Some(data.claims);
                    break;
                }
                Err(e) => {
                    if matches!(
                        e.kind(),
                        ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_)
                    ) {
                        malformed = true;
                    }
                }
            }
        }
        if !tried {
            return Err(invalid(
                "the token's algorithm does not match the configured key's algorithm",
            ));
        }
        let Some(claims) = verified else {
            return Err(if malformed {
                invalid("the token is not well-formed base64url JSON")
            } else {
                invalid("the signature does not verify with the configured key(s)")
            });
        };
        let bound = self.claims.check(&claims, now_unix)?;
        let identified = Identified {
            principal: Principal {
                id: bound.principal,
                kind: AuthMethod::Jwt,
                groups: bound.groups,
                fingerprint: fingerprint(token),
                ai_system: bound.ai_system,
            },
            upstream: self.upstream.clone(),
        };
        Ok((identified, bound.window))
    }
}

fn invalid(reason: &'static str) -> AuthError {
    AuthError::InvalidToken { reason }
}

fn to_jwt_alg(alg: JwtAlgorithm) -> Algorithm {
    match alg {
        JwtAlgorithm::RS256 => Algorithm::RS256,
        JwtAlgorithm::RS384 => Algorithm::RS384,
        JwtAlgorithm::RS512 => Algorithm::RS512,
        JwtAlgorithm::PS256 => Algorithm::PS256,
        JwtAlgorithm::ES256 => Algorithm::ES256,
        JwtAlgorithm::ES384 => Algorithm::ES384,
        JwtAlgorithm::EdDSA => Algorithm::EdDSA,
        JwtAlgorithm::HS256 => Algorithm::HS256,
        JwtAlgorithm::HS384 => Algorithm::HS384,
        JwtAlgorithm::HS512 => Algorithm::HS512,
    }
}

/// Signature-only validation: every claim check happens in [`claims`] against `now`.
fn validation_for(alg: JwtAlgorithm) -> Validation {
    let mut v = Validation::new(to_jwt_alg(alg));
    v.required_spec_claims = HashSet::new();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v
}

fn push_key(out: &mut Vec<CompiledKey>, alg: JwtAlgorithm, kid: Option<String>, key: DecodingKey) {
    out.push(CompiledKey {
        alg,
        kid,
        key,
        validation: validation_for(alg),
    });
}

fn check_kid(kid: &Option<String>) -> Result<(), &'static str> {
    match kid {
        Some(k) if !is_clean_name(k) => {
            Err("kid must be non-empty, at most 1024 bytes, without control characters")
        }
        _ => Ok(()),
    }
}

fn compile_key(k: JwtKey, out: &mut Vec<CompiledKey>) -> Result<(), &'static str> {
    match k {
        JwtKey::Pem { pem, alg, kid } => {
            check_kid(&kid)?;
            if contains(&pem, b"PRIVATE KEY") {
                return Err("this PEM holds a private key; configure the issuer's public key");
            }
            let key = match alg {
                JwtAlgorithm::RS256
                | JwtAlgorithm::RS384
                | JwtAlgorithm::RS512
                | JwtAlgorithm::PS256 => DecodingKey::from_rsa_pem(&pem),
                JwtAlgorithm::ES256 | JwtAlgorithm::ES384 => DecodingKey::from_ec_pem(&pem),
                JwtAlgorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512 => {
                    return Err("HS* algorithms take an HMAC secret, not a PEM key")
                }
            }
            .map_err(|_| "the PEM is not a public key of the kind its algorithm needs (RSA for RS*/PS*, EC for ES*, Ed25519 for EdDSA)")?;
            push_key(out, alg, kid, key);
        }
        JwtKey::Hmac { secret, alg, kid } => {
            check_kid(&kid)?;
            if !alg.is_hmac() {
                return Err("an HMAC secret needs HS256, HS384 or HS512");
            }
            if secret.len() < MIN_HMAC_SECRET {
                return Err(
                    "the HMAC secret is shorter than 32 bytes; use at least 32 random bytes",
                );
            }
            push_key(out, alg, kid, DecodingKey::from_secret(&secret));
        }
        JwtKey::Jwks { json } => {
            let before = out.len();
            compile_jwks(&json, out)?;
            if out.len() == before {
                return Err("the JWKS document holds no usable signing key (RSA, EC P-256/P-384, Ed25519 or oct with a known alg)");
            }
        }
    }
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Adds every usable key of a JWKS document. Keys of unknown type or algorithm, encryption
/// keys and keys whose `alg` contradicts their type are skipped: they can verify nothing.
fn compile_jwks(json: &[u8], out: &mut Vec<CompiledKey>) -> Result<(), &'static str> {
    #[derive(Deserialize)]
    struct Doc {
        keys: Vec<serde_json::Value>,
    }
    let doc: Doc = serde_json::from_slice(json)
        .map_err(|_| "not a JWKS document (expected JSON {\"keys\": [...]})")?;
    for v in doc.keys {
        if let Some((alg, kid, key)) = jwk_key(&v) {
            if check_kid(&kid).is_ok() {
                push_key(out, alg, kid, key);
            }
        }
    }
    Ok(())
}

fn jwk_key(v: &serde_json::Value) -> Option<(JwtAlgorithm, Option<String>, DecodingKey)> {
    let str_field = |name: &str| v.get(name).and_then(serde_json::Value::as_str);
    if str_field("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let kid = str_field("kid").map(str::to_owned);
    let declared = match str_field("alg") {
        Some(a) => Some(JwtAlgorithm::from_str(a).ok()?),
        None => None,
    };
    let kty = str_field("kty")?;
    let crv = str_field("crv");
    let (alg, fits) = match (kty, crv) {
        ("RSA", _) => {
            let alg = declared.unwrap_or(JwtAlgorithm::RS256);
            let fits = matches!(
                alg,
                JwtAlgorithm::RS256
                    | JwtAlgorithm::RS384
                    | JwtAlgorithm::RS512
                    | JwtAlgorithm::PS256
            );
            (alg, fits)
        }
        ("EC", Some("P-256")) => {
            let alg = declared.unwrap_or(JwtAlgorithm::ES256);
            (alg, alg == JwtAlgorithm::ES256)
        }
        ("EC", Some("P-384")) => {
            let alg = declared.unwrap_or(JwtAlgorithm::ES384);
            (alg, alg == JwtAlgorithm::ES384)
        }
        ("OKP", Some("Ed25519")) => {
            let alg = declared.unwrap_or(JwtAlgorithm::EdDSA);
            (alg, alg == JwtAlgorithm::EdDSA)
        }
        ("oct", _) => {
            let alg = declared?;
            let secret = URL_SAFE_NO_PAD.decode(str_field("k")?).ok()?;
            if !alg.is_hmac() || secret.len() < MIN_HMAC_SECRET {
                return None;
            }
            return Some((alg, kid, DecodingKey::from_secret(&secret)));
        }
        _ => return None,
    };
    if !fits {
        return None;
    }
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(v.clone()).ok()?;
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some((alg, kid, key))
}
