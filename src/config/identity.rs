//! Converts the resolved identity settings into the identity core's runtime configuration.

use super::{ConfigError, IdentitySettings};
use crate::identity::{
    IdentityConfig, JwtAlgorithm, JwtConfig, JwtKey, MtlsConfig, MtlsGroupMapping, MtlsMatch,
    TrustedHeaderConfig, VirtualKeyConfig,
};

impl IdentitySettings {
    /// The identity core's configuration; `file` names the config file in errors.
    pub fn to_identity(&self, file: &str) -> Result<IdentityConfig, ConfigError> {
        let on = |m: &str| self.modes.iter().any(|x| x == m);
        let err = |key: &str, message: String| ConfigError::Invalid {
            file: file.to_owned(),
            key: key.to_owned(),
            message,
        };
        let virtual_keys = if on("virtual_key") {
            self.virtual_keys
                .iter()
                .map(|v| VirtualKeyConfig {
                    hash: v.hash.clone(),
                    principal: v.principal.clone(),
                    groups: v.groups.clone(),
                    ai_system: v.ai_system.clone(),
                    key_ref: v.upstream_key.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let jwt = match (&self.jwt, on("jwt")) {
            (Some(j), true) => {
                let mut keys = Vec::new();
                for (i, (pem, alg, kid)) in j.public_keys.iter().enumerate() {
                    let alg: JwtAlgorithm = alg.parse().map_err(|_| {
                        err(
                            &format!("identity.jwt.public_keys[{i}].alg"),
                            format!("unknown algorithm `{alg}`"),
                        )
                    })?;
                    keys.push(JwtKey::Pem {
                        pem: pem.clone(),
                        alg,
                        kid: kid.clone(),
                    });
                }
                if let Some(json) = &j.jwks {
                    keys.push(JwtKey::Jwks { json: json.clone() });
                }
                if let Some(secret) = &j.hmac_secret {
                    keys.push(JwtKey::Hmac {
                        secret: secret.expose().as_bytes().to_vec(),
                        alg: JwtAlgorithm::HS256,
                        kid: None,
                    });
                }
                Some(JwtConfig {
                    issuer: j.issuer.clone(),
                    audiences: j.audiences.clone(),
                    keys,
                    principal_claim: j.principal_claim.clone(),
                    groups_claim: j.groups_claim.clone(),
                    ai_system_claim: j.ai_system_claim.clone(),
                    leeway_secs: j.leeway_secs,
                    key_ref: None,
                })
            }
            _ => None,
        };
        let mtls = on("mtls").then(|| MtlsConfig {
            mappings: self
                .mtls_groups
                .iter()
                .map(|(prefix, groups)| MtlsGroupMapping {
                    matcher: if prefix.starts_with("spiffe://") {
                        MtlsMatch::SpiffePrefix(prefix.clone())
                    } else {
                        MtlsMatch::CommonName(prefix.clone())
                    },
                    groups: groups.clone(),
                    ai_system: None,
                })
                .collect(),
            key_ref: None,
        });
        let trusted_header = match (&self.trusted_header, on("trusted_header")) {
            (Some(t), true) => Some(TrustedHeaderConfig {
                header: t.header.clone(),
                groups_header: t.groups_header.clone(),
                trusted_peers: t.trusted_peers.clone(),
                key_ref: None,
            }),
            _ => None,
        };
        Ok(IdentityConfig {
            virtual_keys,
            jwt,
            mtls,
            trusted_header,
            pass_through: on("pass_through"),
        })
    }
}
