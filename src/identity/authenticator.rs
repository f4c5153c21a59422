//! The [`Authenticator`]: compiled identity configuration and the fixed resolution order.
//!
//! Owns which mode handles a request (documented in [`crate::identity`]) and extracting the
//! token from `Authorization: Bearer` / `x-api-key`. Each mode's checks live in its own file.

use super::config::IdentityConfig;
use super::error::{AuthError, IdentityError};
use super::jwt::{parse_header, JwtVerifier};
use super::mtls::Mtls;
use super::trusted::TrustedHeader;
use super::virtual_key::{VirtualKeys, VIRTUAL_KEY_PREFIX};
use super::{fingerprint, AuthMethod, Credentials, Identified, Principal, UpstreamAuth};

/// Longest accepted token (bearer value or `x-api-key`).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Binds requests to principals. Built once from validated configuration; `Send + Sync`, so
/// one instance serves every connection.
#[derive(Debug)]
pub struct Authenticator {
    virtual_keys: VirtualKeys,
    jwt: Option<JwtVerifier>,
    mtls: Option<Mtls>,
    trusted: Option<TrustedHeader>,
    pass_through: bool,
}

impl Authenticator {
    /// Validates and compiles the configuration: key hashes well-formed and unique, JWT keys
    /// parse and fit their algorithms, HMAC secrets long enough, CIDRs and header names valid.
    pub fn new(cfg: IdentityConfig) -> Result<Self, IdentityError> {
        Ok(Authenticator {
            virtual_keys: VirtualKeys::new(cfg.virtual_keys)?,
            jwt: cfg.jwt.map(JwtVerifier::new).transpose()?,
            mtls: cfg.mtls.map(Mtls::new).transpose()?,
            trusted: cfg.trusted_header.map(TrustedHeader::new).transpose()?,
            pass_through: cfg.pass_through,
        })
    }

    /// Switches off the cache of verified JWTs (by default the last 4096 verified tokens are
    /// remembered, their `exp`/`nbf` re-checked on every use), so every token pays a full
    /// signature verification. For benchmarks and for operators who want no state at all.
    pub fn without_jwt_cache(mut self) -> Self {
        if let Some(jwt) = self.jwt.as_mut() {
            jwt.disable_cache();
        }
        self
    }

    /// Binds `creds` to a principal, checking time-dependent facts (JWT `exp`/`nbf`,
    /// certificate validity) against `now_unix` (seconds since the Unix epoch).
    pub fn authenticate(
        &self,
        creds: &Credentials<'_>,
        now_unix: u64,
    ) -> Result<Identified, AuthError> {
        if let (Some(mtls), Some(der)) = (&self.mtls, creds.client_cert_der) {
            return mtls.identify(der, now_unix);
        }
        if let Some(trusted) = &self.trusted {
            if creds.trusted_identity.is_some() || creds.trusted_groups.is_some() {
                if let Some(id) =
                    trusted.identify(creds.peer_ip, creds.trusted_identity, creds.trusted_groups)?
                {
                    return Ok(id);
                }
            }
        }
        let token = bearer_token(creds)?.ok_or(AuthError::Missing)?;
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::InvalidToken {
                reason: "the credential is longer than 16 KiB",
            });
        }
        if token.starts_with(VIRTUAL_KEY_PREFIX) {
            let entry = self.virtual_keys.find(token).ok_or(AuthError::UnknownKey)?;
            return Ok(Identified {
                principal: Principal {
                    id: entry.principal.clone(),
                    kind: AuthMethod::VirtualKey,
                    groups: entry.groups.clone(),
                    fingerprint: fingerprint(token),
                    ai_system: entry.ai_system.clone(),
                },
                upstream: entry.upstream.clone(),
            });
        }
        if let Some(jwt) = &self.jwt {
            if let Some(header) = parse_header(token) {
                return jwt.verify(token, &header, now_unix);
            }
        }
        if self.pass_through {
            let fp = fingerprint(token);
            return Ok(Identified {
                principal: Principal {
                    id: fp.clone(),
                    kind: AuthMethod::PassThrough,
                    groups: Vec::new(),
                    fingerprint: fp,
                    ai_system: None,
                },
                upstream: UpstreamAuth::PassThrough,
            });
        }
        Err(AuthError::NotAccepted)
    }
}

/// The token from `Authorization: Bearer <t>` or `x-api-key: <t>`; `None` when neither
/// carries one. Both present with different values is ambiguous.
fn bearer_token<'a>(creds: &Credentials<'a>) -> Result<Option<&'a str>, AuthError> {
    let from_auth = match creds.authorization.map(str::trim) {
        None | Some("") => None,
        Some(value) => {
            let (scheme, rest) = value
                .split_once(|c: char| c.is_ascii_whitespace())
                .unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(AuthError::UnsupportedScheme);
            }
            Some(rest.trim()).filter(|t| !t.is_empty())
        }
    };
    let from_key = creds.api_key.map(str::trim).filter(|t| !t.is_empty());
    match (from_auth, from_key) {
        (Some(a), Some(k)) if a != k => Err(AuthError::AmbiguousCredentials),
        (Some(a), _) => Ok(Some(a)),
        (None, k) => Ok(k),
    }
}
