//! The validated `[identity]` section: which modes are on, and the identity core's own
//! [`IdentityConfig`] with exactly those modes filled in, so the proxy hands it to
//! [`crate::identity::Authenticator::new`] unchanged.
//!
//! Validation itself (files, secrets, algorithms, `[keys]` references) lives in
//! `validate/identity.rs`; what a credential proves is the identity core's business.

use crate::identity::IdentityConfig;

/// One identity mode of `identity.modes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityMode {
    VirtualKey,
    Jwt,
    Mtls,
    TrustedHeader,
    PassThrough,
}

impl IdentityMode {
    /// Every mode, in the order the configuration documents them.
    pub const ALL: [Self; 5] = [
        Self::VirtualKey,
        Self::Jwt,
        Self::Mtls,
        Self::TrustedHeader,
        Self::PassThrough,
    ];

    /// The name as written in `identity.modes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VirtualKey => "virtual_key",
            Self::Jwt => "jwt",
            Self::Mtls => "mtls",
            Self::TrustedHeader => "trusted_header",
            Self::PassThrough => "pass_through",
        }
    }
}

impl std::fmt::Display for IdentityMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity settings with every referenced file and secret already read.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// The enabled modes, as listed (no duplicates).
    pub modes: Vec<IdentityMode>,
    /// The identity core's configuration: only enabled modes are set.
    pub core: IdentityConfig,
    /// Identity headers configured under `[identity.trusted_header]` (lower-case), never
    /// forwarded upstream, also while that mode is off.
    pub strip_headers: Vec<http::HeaderName>,
}

impl Default for IdentitySettings {
    /// Pass-through only, as the zero-config default.
    fn default() -> Self {
        Self {
            modes: vec![IdentityMode::PassThrough],
            core: IdentityConfig::default(),
            strip_headers: Vec::new(),
        }
    }
}

impl IdentitySettings {
    /// Is `mode` enabled?
    pub fn enabled(&self, mode: IdentityMode) -> bool {
        self.modes.contains(&mode)
    }

    /// The enabled modes as `a, b` (for `serve --check` and logs).
    pub fn modes_list(&self) -> String {
        let names: Vec<&str> = self.modes.iter().map(|m| m.as_str()).collect();
        names.join(", ")
    }

    /// The trusted identity header and its groups header, when that mode is on.
    pub fn trusted_header(&self) -> Option<(String, Option<String>)> {
        self.core
            .trusted_header
            .as_ref()
            .map(|t| (t.header.clone(), t.groups_header.clone()))
    }
}
