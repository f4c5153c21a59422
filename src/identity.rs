//! Identity binding: an already-received credential → a [`Principal`].
//!
//! Owns the five ways a caller proves who it is (virtual keys issued by aimsgate, pass-through
//! provider keys, JWT bearer tokens, mTLS client certificates, a trusted upstream header), the
//! validated configuration for them, and the stable error codes for a refused credential.
//!
//! Deliberately does **not**: read files, sockets, the clock or the environment (key material
//! arrives as bytes, time as a `now_unix` argument); terminate TLS or verify certificate chains
//! (the listener does that and hands over the verified leaf); know HTTP types (headers arrive as
//! `&str`); know anything of policy (groups and the AI system id are facts for it, nothing more).
//!
//! # Resolution order
//!
//! [`Authenticator::authenticate`] tries, in this fixed order, and the first step that applies
//! decides — a credential that is recognised but wrong is an error, never a reason to try the
//! next mode:
//!
//! 1. **mTLS** — mTLS is configured and the listener passed a client certificate: the principal
//!    is the certificate's SPIFFE URI SAN (`spiffe://…`), else its subject CN.
//! 2. **Trusted header** — the trusted-header mode is configured and the identity header (or its
//!    groups header) is present: accepted only when the peer address is in the configured
//!    addresses/CIDRs; from any other peer it is [`AuthError::UntrustedPeer`].
//! 3. **Token** — from `Authorization: Bearer <token>` (OpenAI SDKs) or `x-api-key: <token>`
//!    (Anthropic SDKs); both headers work for every token mode, and if both are sent they must
//!    carry the same value ([`AuthError::AmbiguousCredentials`] otherwise).
//!    - starts with `agk_` → **virtual key**. An unknown key is [`AuthError::UnknownKey`]; an
//!      `agk_` token is never passed through, so an aimsgate key can never reach a provider.
//!    - has the JWT shape (three base64url segments whose first decodes to a JSON object with an
//!      `alg`) and JWT mode is configured → **JWT**, verified or refused.
//!    - otherwise, when pass-through is enabled → **pass-through**: the caller's own provider key
//!      is forwarded and the principal is its fingerprint.
//!    - otherwise → [`AuthError::NotAccepted`].
//! 4. Nothing usable → [`AuthError::Missing`].
//!
//! # JWT rules
//!
//! The configured key decides the algorithm: a token is tried only against keys whose algorithm
//! equals its `alg` (selected by `kid` when the token names one), so `alg: none` and algorithm
//! confusion never reach cryptography. `exp` is required; `exp`/`nbf` are checked against the
//! `now_unix` argument with the configured leeway (jsonwebtoken's own clock checks are off),
//! then `iss` and `aud` when configured. The last 4096 verified tokens are remembered (keyed by
//! SHA-256 of the token, their `exp`/`nbf` re-checked on every use), so a reused token costs
//! about a microsecond instead of a signature verification;
//! [`Authenticator::without_jwt_cache`] turns that off.
//!
//! # Virtual key format
//!
//! `agk_` followed by 43 base64url characters (32 bytes from the operating system's CSPRNG,
//! unpadded): see [`generate_virtual_key`]. Configuration stores only `sha256:<64 hex>` of the
//! whole key string (prefix included), so `printf %s "$KEY" | sha256sum` reproduces it. Lookup
//! compares the presented key's hash with every configured hash in constant time.
//!
//! # Fingerprints
//!
//! [`fingerprint`] is `sha256:` followed by the hex of the first 16 bytes of SHA-256 of the
//! credential: enough to tell credentials apart in evidence, never the credential itself.

mod authenticator;
mod config;
mod error;
mod jwt;
mod mtls;
mod trusted;
mod virtual_key;

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

pub use authenticator::Authenticator;
pub use config::{
    IdentityConfig, JwtAlgorithm, JwtConfig, JwtKey, MtlsConfig, MtlsGroupMapping, MtlsMatch,
    TrustedHeaderConfig, VirtualKeyConfig,
};
pub use error::{AuthError, IdentityError};
pub use virtual_key::{
    generate_virtual_key, hash_virtual_key, try_generate_virtual_key, VIRTUAL_KEY_PREFIX,
};

/// How a principal proved its identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// A key issued by aimsgate (`agk_…`), matched against configured hashes.
    VirtualKey,
    /// The caller's own provider key, forwarded upstream unchanged.
    PassThrough,
    /// A verified JWT bearer token.
    Jwt,
    /// A client certificate verified by the TLS listener.
    Mtls,
    /// An identity header set by a trusted upstream authenticator.
    TrustedHeader,
}

impl AuthMethod {
    /// Stable name used in evidence records, metrics and configuration.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthMethod::VirtualKey => "virtual_key",
            AuthMethod::PassThrough => "pass_through",
            AuthMethod::Jwt => "jwt",
            AuthMethod::Mtls => "mtls",
            AuthMethod::TrustedHeader => "trusted_header",
        }
    }
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is calling, as far as identity binding can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Stable principal id (virtual-key owner, JWT claim, SPIFFE id or CN, header value, or
    /// for pass-through the credential's fingerprint).
    pub id: String,
    /// How the principal authenticated.
    pub kind: AuthMethod,
    /// Groups the principal belongs to (facts for policy; may be empty).
    pub groups: Vec<String>,
    /// [`fingerprint`] of the credential (token, key or certificate DER). Never the credential.
    pub fingerprint: String,
    /// The AI system the credential is bound to, when configuration or a claim says so.
    pub ai_system: Option<String>,
}

/// The raw credential material of one request, as the listener received it.
#[derive(Clone, Copy, Debug)]
pub struct Credentials<'a> {
    /// Raw `Authorization` header value (`Bearer …`).
    pub authorization: Option<&'a str>,
    /// Raw `x-api-key` header value (Anthropic style).
    pub api_key: Option<&'a str>,
    /// Address of the directly connected peer.
    pub peer_ip: std::net::IpAddr,
    /// DER of the client's leaf certificate; its chain was already verified by TLS.
    pub client_cert_der: Option<&'a [u8]>,
    /// Value of the configured trusted identity header, if present.
    pub trusted_identity: Option<&'a str>,
    /// Value of the configured trusted groups header, if present.
    pub trusted_groups: Option<&'a str>,
}

/// What the proxy must put in the upstream request's credential header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamAuth {
    /// Forward the caller's own key unchanged (pass-through mode only).
    PassThrough,
    /// Inject the configured provider key with this name; the caller never sees it.
    Inject {
        /// Name of a provider key in the proxy configuration.
        key_ref: String,
    },
    /// Use the upstream's configured key, if any; never the caller's credential.
    Default,
}

/// The result of identity binding for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    /// Who is calling.
    pub principal: Principal,
    /// Which credential to send upstream.
    pub upstream: UpstreamAuth,
}

/// `sha256:` + hex of the first 16 bytes of SHA-256 of `credential`.
pub fn fingerprint(credential: &str) -> String {
    fingerprint_bytes(credential.as_bytes())
}

/// [`fingerprint`] over raw bytes (used for certificate DER).
pub fn fingerprint_bytes(credential: &[u8]) -> String {
    let digest = Sha256::digest(credential);
    let mut out = String::with_capacity(7 + 32);
    out.push_str("sha256:");
    push_hex(&mut out, digest.get(..16).unwrap_or(&[]));
    out
}

/// Appends the lowercase hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

/// The upstream credential for a mode with an optional configured provider key name.
pub(crate) fn upstream_for(
    key_ref: Option<String>,
    what: &str,
) -> Result<UpstreamAuth, IdentityError> {
    match key_ref {
        Some(key_ref) if is_clean_name(&key_ref) => Ok(UpstreamAuth::Inject { key_ref }),
        Some(_) => Err(IdentityError::BadName {
            what: format!("{what} key_ref"),
        }),
        None => Ok(UpstreamAuth::Default),
    }
}

/// Longest principal id, group name or AI system id accepted from any source.
pub(crate) const MAX_NAME_LEN: usize = 1024;

/// A principal id, group or AI system id must be non-empty, bounded and free of control
/// characters (they end up in logs and evidence).
pub(crate) fn is_clean_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME_LEN && !s.chars().any(char::is_control)
}
