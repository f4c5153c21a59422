//! `[identity]`: the enabled modes, each mode's settings read (key files, JWKS, secrets) and
//! validated straight into the identity core's [`IdentityConfig`], and each virtual key's
//! `upstream_key` resolved against `[keys]`.
//!
//! Does not compile keys or check hashes: [`crate::identity::Authenticator::new`] does, from the
//! [`IdentityConfig`] built here. AI system ids are checked against the bundle by
//! [`crate::config::cross_check`].

use std::collections::BTreeMap;

use super::upstreams::key_set;
use super::*;
use crate::identity::{
    IdentityConfig, JwtAlgorithm, JwtConfig, JwtKey, MtlsConfig, MtlsGroupMapping, MtlsMatch,
    TrustedHeaderConfig, VirtualKeyConfig,
};

impl Named for IdentityMode {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("virtual_key", Self::VirtualKey),
        ("jwt", Self::Jwt),
        ("mtls", Self::Mtls),
        ("trusted_header", Self::TrustedHeader),
        ("pass_through", Self::PassThrough),
    ];
}

pub(super) fn identity(
    cx: &Ctx<'_>,
    r: &RawIdentity,
    keys: &BTreeMap<String, (usize, Secret)>,
    upstreams: &[UpstreamConfig],
) -> Result<(IdentitySettings, BTreeMap<String, KeySet>), ConfigError> {
    let mut modes = Vec::new();
    match &r.modes {
        None => modes.push(IdentityMode::PassThrough),
        Some(names) => {
            for name in names {
                let m = cx.choice("identity.modes", Some(name), IdentityMode::PassThrough)?;
                if !modes.contains(&m) {
                    modes.push(m);
                }
            }
        }
    }
    let on = |m: IdentityMode| modes.contains(&m);
    let mut sets = BTreeMap::new();
    let mut virtual_keys = Vec::new();
    for (i, v) in r.virtual_keys.iter().enumerate() {
        let key_ref = match &v.upstream_key {
            Some(k) => {
                let at = format!("identity.virtual_keys[{i}].upstream_key");
                let (name, set) = key_set(cx, &at, k.names(), keys, upstreams)?;
                sets.insert(name.clone(), set);
                Some(name)
            }
            None => None,
        };
        virtual_keys.push(VirtualKeyConfig {
            hash: v.hash.clone(),
            principal: v.principal.clone(),
            groups: v.groups.clone(),
            ai_system: v.ai_system.clone(),
            key_ref,
        });
    }
    if on(IdentityMode::VirtualKey) && virtual_keys.is_empty() {
        return Err(cx.err(
            "identity.virtual_keys",
            "mode `virtual_key` is enabled but no keys are configured",
        ));
    }
    let jwt = match &r.jwt {
        None if on(IdentityMode::Jwt) => {
            return Err(cx.err(
                "identity.jwt",
                "mode `jwt` is enabled but [identity.jwt] is missing",
            ))
        }
        None => None,
        Some(j) => Some(jwt(cx, j)?),
    };
    let trusted_header = match &r.trusted_header {
        None if on(IdentityMode::TrustedHeader) => {
            return Err(cx.err(
                "identity.trusted_header",
                "mode `trusted_header` is enabled but [identity.trusted_header] is missing",
            ))
        }
        None => None,
        Some(t) => Some(trusted(cx, t)?),
    };
    let mut strip_headers = Vec::new();
    if let Some(t) = &trusted_header {
        for (key, h) in std::iter::once(("header", &t.header))
            .chain(t.groups_header.iter().map(|g| ("groups_header", g)))
        {
            let name = http::HeaderName::from_bytes(h.as_bytes()).map_err(|_| {
                cx.err(
                    format!("identity.trusted_header.{key}"),
                    format!("`{h}` is not a header name"),
                )
            })?;
            strip_headers.push(name);
        }
    }
    let mtls = MtlsConfig {
        mappings: r
            .mtls
            .iter()
            .flat_map(|m| &m.groups)
            .map(|g| MtlsGroupMapping {
                matcher: if g.prefix.starts_with("spiffe://") {
                    MtlsMatch::SpiffePrefix(g.prefix.clone())
                } else {
                    MtlsMatch::CommonName(g.prefix.clone())
                },
                groups: g.groups.clone(),
                ai_system: g.ai_system.clone(),
            })
            .collect(),
        key_ref: None,
    };
    let core = IdentityConfig {
        virtual_keys: if on(IdentityMode::VirtualKey) {
            virtual_keys
        } else {
            Vec::new()
        },
        jwt: jwt.filter(|_| on(IdentityMode::Jwt)),
        mtls: on(IdentityMode::Mtls).then_some(mtls),
        trusted_header: trusted_header.filter(|_| on(IdentityMode::TrustedHeader)),
        pass_through: on(IdentityMode::PassThrough),
    };
    Ok((
        IdentitySettings {
            modes,
            core,
            strip_headers,
        },
        sets,
    ))
}

fn jwt(cx: &Ctx<'_>, j: &RawJwt) -> Result<JwtConfig, ConfigError> {
    let mut keys = Vec::new();
    for (i, k) in j.public_keys.iter().enumerate() {
        let at = |field: &str| format!("identity.jwt.public_keys[{i}].{field}");
        let pem = cx.read(&at("file"), &k.file)?;
        let alg: JwtAlgorithm = k
            .alg
            .parse()
            .map_err(|()| cx.err(at("alg"), format!("unknown algorithm `{}`", k.alg)))?;
        keys.push(JwtKey::Pem {
            pem,
            alg,
            kid: k.kid.clone(),
        });
    }
    if let Some(f) = &j.jwks_file {
        keys.push(JwtKey::Jwks {
            json: cx.read("identity.jwt.jwks_file", f)?,
        });
    }
    if let Some(secret) = cx.opt_secret("identity.jwt.hmac_secret", j.hmac_secret.as_ref())? {
        keys.push(JwtKey::Hmac {
            secret: secret.expose().as_bytes().to_vec(),
            alg: JwtAlgorithm::HS256,
            kid: None,
        });
    }
    if keys.is_empty() {
        return Err(cx.err(
            "identity.jwt",
            "give `jwks_file`, `public_keys` or `hmac_secret`",
        ));
    }
    Ok(JwtConfig {
        issuer: j.issuer.clone(),
        audiences: j.audiences.clone(),
        keys,
        principal_claim: j
            .principal_claim
            .clone()
            .unwrap_or_else(|| "sub".to_owned()),
        groups_claim: j.groups_claim.clone(),
        ai_system_claim: j.ai_system_claim.clone(),
        leeway_secs: j.leeway_secs.unwrap_or(30),
        key_ref: None,
    })
}

fn trusted(cx: &Ctx<'_>, t: &RawTrustedHeader) -> Result<TrustedHeaderConfig, ConfigError> {
    if t.trusted_peers.is_empty() {
        return Err(cx.err(
            "identity.trusted_header.trusted_peers",
            "list the addresses allowed to set the header",
        ));
    }
    Ok(TrustedHeaderConfig {
        header: t.header.to_ascii_lowercase(),
        groups_header: t.groups_header.as_ref().map(|h| h.to_ascii_lowercase()),
        trusted_peers: t.trusted_peers.clone(),
        key_ref: None,
    })
}
