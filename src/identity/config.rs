//! Runtime configuration of identity binding: plain structs the `config` module fills from
//! the TOML file, validated once by [`super::Authenticator::new`].
//!
//! Owns the shape of the settings and their defaults. Does not read files or the environment
//! (key material arrives as bytes) and does not validate: that happens when the
//! [`super::Authenticator`] compiles them.

use std::str::FromStr;

/// Settings of every identity mode. A mode is enabled by being configured: `virtual_keys`
/// non-empty, `jwt` / `mtls` / `trusted_header` set, `pass_through` true. The resolution order
/// is fixed and documented in [`crate::identity`].
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// Keys issued by aimsgate, stored only as hashes.
    pub virtual_keys: Vec<VirtualKeyConfig>,
    /// JWT bearer-token verification.
    pub jwt: Option<JwtConfig>,
    /// Client-certificate identities.
    pub mtls: Option<MtlsConfig>,
    /// An identity header set by an upstream authenticator.
    pub trusted_header: Option<TrustedHeaderConfig>,
    /// Accept callers' own provider keys and forward them.
    pub pass_through: bool,
}

impl Default for IdentityConfig {
    /// The zero-config default: pass-through only.
    fn default() -> Self {
        IdentityConfig {
            virtual_keys: Vec::new(),
            jwt: None,
            mtls: None,
            trusted_header: None,
            pass_through: true,
        }
    }
}

/// One virtual key: its hash and who it stands for.
#[derive(Clone, Debug)]
pub struct VirtualKeyConfig {
    /// `sha256:<64 hex>` of the whole key string, prefix included.
    pub hash: String,
    /// Principal id of the key's holder.
    pub principal: String,
    /// Groups of the holder.
    pub groups: Vec<String>,
    /// AI system the key is bound to.
    pub ai_system: Option<String>,
    /// Name of the configured provider key to inject upstream; `None` uses the upstream's
    /// default key.
    pub key_ref: Option<String>,
}

/// A JWS algorithm aimsgate verifies. `none` does not exist here on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JwtAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
}

impl JwtAlgorithm {
    /// The JOSE name (`RS256`, `EdDSA`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            JwtAlgorithm::RS256 => "RS256",
            JwtAlgorithm::RS384 => "RS384",
            JwtAlgorithm::RS512 => "RS512",
            JwtAlgorithm::PS256 => "PS256",
            JwtAlgorithm::ES256 => "ES256",
            JwtAlgorithm::ES384 => "ES384",
            JwtAlgorithm::EdDSA => "EdDSA",
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
        }
    }

    /// Whether this is an HMAC (shared-secret) algorithm.
    pub fn is_hmac(&self) -> bool {
        matches!(
            self,
            JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512
        )
    }

    pub(crate) const ALL: [JwtAlgorithm; 10] = [
        JwtAlgorithm::RS256,
        JwtAlgorithm::RS384,
        JwtAlgorithm::RS512,
        JwtAlgorithm::PS256,
        JwtAlgorithm::ES256,
        JwtAlgorithm::ES384,
        JwtAlgorithm::EdDSA,
        JwtAlgorithm::HS256,
        JwtAlgorithm::HS384,
        JwtAlgorithm::HS512,
    ];
}

impl FromStr for JwtAlgorithm {
    type Err = ();

    /// Parses the exact JOSE name; anything else (including `none`) is an error.
    fn from_str(s: &str) -> Result<Self, ()> {
        JwtAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(())
    }
}

/// One source of JWT verification keys. Its `Debug` never shows an HMAC secret.
#[derive(Clone)]
pub enum JwtKey {
    /// A PEM public key (SPKI `PUBLIC KEY`, or `RSA PUBLIC KEY`); `alg` decides which
    /// algorithm tokens verified by it must use.
    Pem {
        /// The PEM bytes.
        pem: Vec<u8>,
        /// The only algorithm this key verifies (not HMAC).
        alg: JwtAlgorithm,
        /// Key id tokens select it by; `None` means it is tried for tokens without `kid`
        /// and for any `kid` not claimed by another key.
        kid: Option<String>,
    },
    /// An HMAC secret (at least 32 bytes).
    Hmac {
        /// The raw secret bytes.
        secret: Vec<u8>,
        /// `HS256`, `HS384` or `HS512`.
        alg: JwtAlgorithm,
        /// Key id, as for [`JwtKey::Pem`].
        kid: Option<String>,
    },
    /// A JWKS document (`{"keys": [...]}`); each key's `alg` (or, when absent, its key type
    /// and curve) decides its algorithm, and `kid` selects it. Keys with `use: enc` are skipped.
    Jwks {
        /// The JSON bytes.
        json: Vec<u8>,
    },
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtKey::Pem { pem, alg, kid } => f
                .debug_struct("Pem")
                .field("pem_bytes", &pem.len())
                .field("alg", alg)
                .field("kid", kid)
                .finish(),
            JwtKey::Hmac { alg, kid, .. } => f
                .debug_struct("Hmac")
                .field("secret", &"***")
                .field("alg", alg)
                .field("kid", kid)
                .finish(),
            JwtKey::Jwks { json } => f
                .debug_struct("Jwks")
                .field("json_bytes", &json.len())
                .finish(),
        }
    }
}

/// JWT verification settings.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// Required `iss`; `None` does not check the issuer.
    pub issuer: Option<String>,
    /// Accepted audiences: the token's `aud` must name at least one. Empty does not check.
    pub audiences: Vec<String>,
    /// Verification keys.
    pub keys: Vec<JwtKey>,
    /// Claim holding the principal id (default `sub`). A dotted path (`a.b`) walks nested
    /// objects when no top-level claim has that exact name.
    pub principal_claim: String,
    /// Claim holding the groups: an array of strings or one space-separated string.
    pub groups_claim: Option<String>,
    /// Claim holding the AI system id.
    pub ai_system_claim: Option<String>,
    /// Clock skew tolerated for `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Provider key to inject for JWT callers; `None` uses the upstream's default key.
    pub key_ref: Option<String>,
}

impl Default for JwtConfig {
    fn default() -> Self {
        JwtConfig {
            issuer: None,
            audiences: Vec::new(),
            keys: Vec::new(),
            principal_claim: "sub".to_owned(),
            groups_claim: None,
            ai_system_claim: None,
            leeway_secs: 60,
            key_ref: None,
        }
    }
}

/// Client-certificate settings.
#[derive(Clone, Debug, Default)]
pub struct MtlsConfig {
    /// Group mappings; every matching mapping adds its groups.
    pub mappings: Vec<MtlsGroupMapping>,
    /// Provider key to inject for mTLS callers; `None` uses the upstream's default key.
    pub key_ref: Option<String>,
}

/// What a certificate must carry for an [`MtlsGroupMapping`] to apply.
#[derive(Clone, Debug)]
pub enum MtlsMatch {
    /// The SPIFFE id equals this prefix or continues it after a `/` path boundary
    /// (`spiffe://corp/ns/a` matches `spiffe://corp/ns/a/sa/x`, not `spiffe://corp/ns/ab`).
    SpiffePrefix(String),
    /// The principal came from the subject CN and equals this exactly.
    CommonName(String),
}

/// Groups (and optionally an AI system) for certificates that match.
#[derive(Clone, Debug)]
pub struct MtlsGroupMapping {
    /// Which certificates.
    pub matcher: MtlsMatch,
    /// Groups to add.
    pub groups: Vec<String>,
    /// AI system id; the first matching mapping that sets one wins.
    pub ai_system: Option<String>,
}

/// Trusted upstream-authenticator header settings.
#[derive(Clone, Debug)]
pub struct TrustedHeaderConfig {
    /// Name of the identity header (e.g. `x-authenticated-user`); the listener reads it.
    pub header: String,
    /// Name of the optional groups header (comma- or space-separated values).
    pub groups_header: Option<String>,
    /// Peer addresses or CIDRs allowed to set the headers (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`).
    pub trusted_peers: Vec<String>,
    /// Provider key to inject for these callers; `None` uses the upstream's default key.
    pub key_ref: Option<String>,
}
