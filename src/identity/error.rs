//! Errors of identity binding: [`IdentityError`] for configuration that cannot be used,
//! [`AuthError`] for a request whose credential is refused.
//!
//! Owns the wording and the stable machine codes. Does not own the HTTP status or the
//! provider-shaped error body: the proxy maps every [`AuthError`] to a 401 in one place.
//! No message ever contains the credential, the token or any part of them: every reason is a
//! `&'static str` chosen here.

/// Configuration that [`super::Authenticator::new`] refused. Messages name the entry and say
/// how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A virtual key hash is not `sha256:` followed by 64 hex digits.
    #[error("virtual key #{index}: hash must be \"sha256:\" followed by 64 hex digits (compute it with `printf %s \"$KEY\" | sha256sum`)")]
    BadKeyHash {
        /// Position of the entry in the configured list.
        index: usize,
    },
    /// Two virtual key entries carry the same hash.
    #[error("virtual key #{index}: the same key hash is configured twice (first at #{first}); remove one of them")]
    DuplicateKey {
        /// Position of the second entry.
        index: usize,
        /// Position of the first entry.
        first: usize,
    },
    /// A principal id, group, AI system id or key reference is empty, too long or holds
    /// control characters.
    #[error("{what}: must be non-empty, at most 1024 bytes and free of control characters")]
    BadName {
        /// Which entry and field.
        what: String,
    },
    /// JWT mode is configured without any verification key.
    #[error("jwt: no verification keys configured; add a PEM public key, an HMAC secret or a JWKS document")]
    NoJwtKeys,
    /// A JWT key cannot be used.
    #[error("jwt key #{index}: {reason}")]
    BadJwtKey {
        /// Position of the key in the configured list.
        index: usize,
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
    /// A JWT claim name is empty.
    #[error("jwt: the {which} claim name must not be empty")]
    BadClaimName {
        /// Which setting (`principal`, `groups`, `ai_system`).
        which: &'static str,
    },
    /// An mTLS group mapping cannot be used.
    #[error("mtls mapping #{index}: {reason}")]
    BadMapping {
        /// Position of the mapping.
        index: usize,
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
    /// A trusted header name is not a valid HTTP header name.
    #[error("trusted_header: {which} {name:?} is not a valid HTTP header name (letters, digits and -_. only)")]
    BadHeaderName {
        /// Which setting (`header`, `groups_header`).
        which: &'static str,
        /// The configured name.
        name: String,
    },
    /// Trusted-header mode is configured without trusted peers.
    #[error("trusted_header: trusted_peers is empty, so the header would never be accepted; list the authenticator's addresses or CIDRs")]
    NoTrustedPeers,
    /// A trusted peer entry is not an IP address or CIDR.
    #[error("trusted_header: trusted peer {value:?} is not usable: {reason}")]
    BadCidr {
        /// The configured entry.
        value: String,
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed; retry")]
    Rng,
}

/// Why a request's credential was refused. `Display` is safe to show to the caller: it never
/// echoes the credential and says how to fix the request. Every variant maps to HTTP 401.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credential at all.
    #[error("no credential: send `Authorization: Bearer <key>` or `x-api-key: <key>`")]
    Missing,
    /// `Authorization` and `x-api-key` both present with different values.
    #[error(
        "both `Authorization` and `x-api-key` are set with different credentials; send only one"
    )]
    AmbiguousCredentials,
    /// `Authorization` uses a scheme other than Bearer.
    #[error("unsupported `Authorization` scheme: use `Authorization: Bearer <key>`")]
    UnsupportedScheme,
    /// An aimsgate virtual key (`agk_…`) that is not configured.
    #[error("unknown aimsgate key: it is revoked, mistyped or was never issued; check the key or ask your platform team for a new one")]
    UnknownKey,
    /// A credential no enabled mode accepts (e.g. a provider key while pass-through is off).
    #[error("this gateway does not accept this kind of credential: use an aimsgate key (agk_...) or a token from the configured identity provider")]
    NotAccepted,
    /// A JWT that is malformed, unsigned, signed with a disallowed algorithm or a wrong key.
    #[error("invalid token: {reason}")]
    InvalidToken {
        /// What is wrong (never contains token material).
        reason: &'static str,
    },
    /// A JWT past its `exp` (leeway included).
    #[error("token expired: obtain a fresh token from your identity provider")]
    Expired,
    /// A JWT before its `nbf` (leeway included).
    #[error("token not yet valid (nbf is in the future): check the issuer's clock or retry later")]
    NotYetValid,
    /// A JWT whose `iss` is not the configured issuer.
    #[error("token issuer is not accepted: request a token from the configured issuer")]
    WrongIssuer,
    /// A JWT whose `aud` does not name this gateway.
    #[error("token audience is not accepted: request a token whose `aud` names this gateway")]
    WrongAudience,
    /// The trusted identity header came from a peer outside the trusted addresses.
    #[error("identity header not accepted from this address: only the configured authenticator may set it; remove the header or route through the authenticator")]
    UntrustedPeer,
    /// The trusted identity or groups header has an unusable value.
    #[error("identity header rejected: {reason}")]
    BadHeader {
        /// What is wrong.
        reason: &'static str,
    },
    /// The client certificate cannot identify a principal.
    #[error("client certificate rejected: {reason}")]
    BadCertificate {
        /// What is wrong.
        reason: &'static str,
    },
}

impl AuthError {
    /// Stable machine-readable code for error bodies, metrics and evidence.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_credentials",
            AuthError::AmbiguousCredentials => "ambiguous_credentials",
            AuthError::UnsupportedScheme => "unsupported_auth_scheme",
            AuthError::UnknownKey => "unknown_key",
            AuthError::NotAccepted => "credential_not_accepted",
            AuthError::InvalidToken { .. } => "invalid_token",
            AuthError::Expired => "token_expired",
            AuthError::NotYetValid => "token_not_yet_valid",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::UntrustedPeer => "untrusted_peer",
            AuthError::BadHeader { .. } => "bad_identity_header",
            AuthError::BadCertificate { .. } => "bad_certificate",
        }
    }
}
