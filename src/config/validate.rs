//! Stage two of configuration: raw TOML structs → validated runtime [`Config`].
//!
//! Applies command-line overrides, fills defaults, resolves secrets and key files, and checks
//! every cross-reference (routing → upstreams, virtual keys → `[keys]`). Each error names the file
//! and the dotted key.
//!
//! Upstreams, routing and provider keys are validated in [`upstreams`]; server, identity,
//! evidence and the rest here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::*;
use super::*;
use crate::providers::extract::UnknownShapes;
use upstreams::{
    apply_base_url_overrides, default_upstreams, key_set, provider_keys, routing, upstreams,
};

mod upstreams;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ADMIN: &str = "127.0.0.1:9090";
const DEFAULT_DATA_DIR: &str = "./aimsgate-data";
const DEFAULT_OPENAI: &str = "https://api.openai.com/v1";
const DEFAULT_ANTHROPIC: &str = "https://api.anthropic.com";
const IDENTITY_MODES: &[&str] = &[
    "virtual_key",
    "jwt",
    "mtls",
    "trusted_header",
    "pass_through",
];

struct Ctx<'a> {
    file: &'a str,
    env: &'a dyn Env,
    base: Option<&'a Path>,
}

impl Ctx<'_> {
    fn err(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.to_owned(),
            key: key.into(),
            message: message.into(),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        match self.base {
            Some(base) if p.is_relative() && !base.as_os_str().is_empty() => base.join(p),
            _ => p.to_path_buf(),
        }
    }

    fn read(&self, key: &str, p: &str) -> Result<Vec<u8>, ConfigError> {
        let path = self.path(p);
        std::fs::read(&path)
            .map_err(|e| self.err(key, format!("cannot read `{}`: {e}", path.display())))
    }

    fn duration(
        &self,
        key: &str,
        v: Option<&str>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) => humantime::parse_duration(s).map_err(|e| {
                self.err(
                    key,
                    format!("`{s}` is not a duration like `30s` or `500ms`: {e}"),
                )
            }),
        }
    }

    fn addr(&self, key: &str, v: &str) -> Result<SocketAddr, ConfigError> {
        v.parse().map_err(|_| {
            self.err(
                key,
                format!("`{v}` is not a socket address like 127.0.0.1:8080"),
            )
        })
    }

    /// Resolve a secret reference; `Ok(None)` when an `env` variable is simply unset and
    /// `optional` is true (the zero-config default keys).
    fn secret(
        &self,
        key: &str,
        s: &RawSecret,
        optional: bool,
    ) -> Result<Option<Secret>, ConfigError> {
        match (&s.env, &s.file) {
            (Some(var), None) => match self.env.var(var) {
                Some(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim().to_owned()))),
                _ if optional => Ok(None),
                _ => Err(self.err(key, format!("environment variable `{var}` is not set"))),
            },
            (None, Some(file)) => {
                let bytes = self.read(key, file)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| self.err(key, format!("secret file `{file}` is not UTF-8")))?;
                Ok(Some(Secret::new(text.trim().to_owned())))
            }
            _ => Err(self.err(
                key,
                "give exactly one of `env` or `file`; secrets are never written inline",
            )),
        }
    }
}

pub(super) fn validate(
    mut raw: RawConfig,
    file: &str,
    ov: &Overrides,
    env: &dyn Env,
    base: Option<&Path>,
) -> Result<Config, ConfigError> {
    let cx = Ctx { file, env, base };
    let server = server(&cx, &raw.server, ov)?;
    let data_dir = match (&ov.data_dir, &raw.data_dir) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => cx.path(d),
        (None, None) => PathBuf::from(DEFAULT_DATA_DIR),
    };
    if raw.upstreams.is_empty() {
        raw.upstreams = default_upstreams();
    }
    apply_base_url_overrides(&mut raw, ov);
    let upstreams = upstreams(&cx, &raw.upstreams)?;
    let provider_keys = provider_keys(&cx, &raw.keys, &upstreams)?;
    let routing = routing(&cx, &raw.routing, &upstreams)?;
    let (identity, keys) = identity(&cx, &raw.identity, &provider_keys, &upstreams)?;
    let policy = PolicySettings {
        path: ov
            .policy
            .clone()
            .or_else(|| raw.policy.path.as_deref().map(|p| cx.path(p))),
        watch: raw.policy.watch.unwrap_or(true),
    };
    let evidence = evidence(&cx, &raw.evidence)?;
    let classify = ClassifySettings {
        max_scan_bytes: raw.classify.max_scan_bytes.unwrap_or(server.max_body_bytes),
        scan_responses: raw.classify.scan_responses.unwrap_or(true),
        unknown_shapes: match raw.classify.unknown_shapes.as_deref() {
            None | Some("refuse") => UnknownShapes::Refuse,
            Some("scan") => UnknownShapes::Scan,
            Some(other) => {
                return Err(cx.err(
                    "classify.unknown_shapes",
                    format!("`{other}`: use `refuse` or `scan`"),
                ))
            }
        },
    };
    let telemetry = TelemetrySettings {
        log_format: match raw.telemetry.log_format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(cx.err(
                    "telemetry.log_format",
                    format!("`{other}`: use `text` or `json`"),
                ))
            }
        },
        log_level: raw
            .telemetry
            .log_level
            .clone()
            .unwrap_or_else(|| "info".to_owned()),
        traces: super::telemetry::traces(&raw.telemetry, cx.env)
            .map_err(|(key, message)| cx.err(key, message))?,
    };
    Ok(Config {
        source: file.to_owned(),
        server,
        data_dir,
        upstreams,
        keys,
        routing,
        identity,
        policy,
        evidence,
        classify,
        telemetry,
    })
}

/// The process-wide body budget unless configured (raised to 4 × `max_body_bytes` if larger).
const DEFAULT_INFLIGHT_BODY_BYTES: usize = 256 * 1024 * 1024;

fn server(cx: &Ctx<'_>, s: &RawServer, ov: &Overrides) -> Result<ServerConfig, ConfigError> {
    let listen = ov
        .listen
        .as_deref()
        .or(s.listen.as_deref())
        .unwrap_or(DEFAULT_LISTEN);
    let admin = ov
        .admin_listen
        .as_deref()
        .or(s.admin_listen.as_deref())
        .unwrap_or(DEFAULT_ADMIN);
    let listen = cx.addr("server.listen", listen)?;
    let admin_listen = cx.addr("server.admin_listen", admin)?;
    if listen == admin_listen && listen.port() != 0 {
        return Err(cx.err("server.admin_listen", "must not be the proxy's own address"));
    }
    let max_body_bytes = s.max_body_bytes.unwrap_or(8 * 1024 * 1024);
    if max_body_bytes == 0 {
        return Err(cx.err("server.max_body_bytes", "must be greater than 0"));
    }
    let max_connections = s.max_connections.unwrap_or(10_000);
    if max_connections == 0 {
        return Err(cx.err("server.max_connections", "must be greater than 0"));
    }
    // Body budgets (see proxy::budget): each must fit at least one body of the largest size.
    let max_inflight_body_bytes = s
        .max_inflight_body_bytes
        .unwrap_or_else(|| DEFAULT_INFLIGHT_BODY_BYTES.max(max_body_bytes.saturating_mul(4)));
    if max_inflight_body_bytes < max_body_bytes {
        return Err(cx.err(
            "server.max_inflight_body_bytes",
            "must be at least server.max_body_bytes",
        ));
    }
    let max_connection_body_bytes = s
        .max_connection_body_bytes
        .unwrap_or_else(|| max_body_bytes.saturating_mul(2));
    if max_connection_body_bytes < max_body_bytes {
        return Err(cx.err(
            "server.max_connection_body_bytes",
            "must be at least server.max_body_bytes",
        ));
    }
    let h2_max_concurrent_streams = s.h2_max_concurrent_streams.unwrap_or(64);
    if h2_max_concurrent_streams == 0 {
        return Err(cx.err("server.h2_max_concurrent_streams", "must be greater than 0"));
    }
    let tls = match &s.tls {
        None => None,
        Some(t) => {
            let required = match t.client_auth.as_deref() {
                None | Some("required") => true,
                Some("optional") => false,
                Some(o) => {
                    return Err(cx.err(
                        "server.tls.client_auth",
                        format!("`{o}`: use `required` or `optional`"),
                    ))
                }
            };
            Some(TlsSettings {
                cert_path: cx.path(&t.cert),
                key_path: cx.path(&t.key),
                client_ca_path: t.client_ca.as_deref().map(|p| cx.path(p)),
                client_auth_required: required,
            })
        }
    };
    Ok(ServerConfig {
        listen,
        admin_listen,
        max_body_bytes,
        max_connections,
        max_inflight_body_bytes,
        max_connection_body_bytes,
        h2_max_concurrent_streams,
        header_read_timeout: cx.duration(
            "server.header_read_timeout",
            s.header_read_timeout.as_deref(),
            Duration::from_secs(10),
        )?,
        idle_timeout: cx.duration(
            "server.idle_timeout",
            s.idle_timeout.as_deref(),
            Duration::from_secs(90),
        )?,
        body_read_timeout: cx.duration(
            "server.body_read_timeout",
            s.body_read_timeout.as_deref(),
            Duration::from_secs(30),
        )?,
        shutdown_grace: cx.duration(
            "server.shutdown_grace",
            s.shutdown_grace.as_deref(),
            Duration::from_secs(30),
        )?,
        tls,
    })
}

fn identity(
    cx: &Ctx<'_>,
    r: &RawIdentity,
    keys: &BTreeMap<String, (usize, Secret)>,
    upstreams: &[UpstreamConfig],
) -> Result<(IdentitySettings, BTreeMap<String, KeySet>), ConfigError> {
    let mut sets = BTreeMap::new();
    let modes = r
        .modes
        .clone()
        .unwrap_or_else(|| vec!["pass_through".to_owned()]);
    for m in &modes {
        if !IDENTITY_MODES.contains(&m.as_str()) {
            return Err(cx.err(
                "identity.modes",
                format!("unknown mode `{m}` (known: {})", IDENTITY_MODES.join(", ")),
            ));
        }
    }
    let on = |m: &str| modes.iter().any(|x| x == m);
    let mut virtual_keys = Vec::new();
    for (i, v) in r.virtual_keys.iter().enumerate() {
        let upstream_key = match &v.upstream_key {
            Some(k) => {
                let at = format!("identity.virtual_keys[{i}].upstream_key");
                let (name, set) = key_set(cx, &at, k.names(), keys, upstreams)?;
                sets.insert(name.clone(), set);
                Some(name)
            }
            None => None,
        };
        virtual_keys.push(VirtualKeySettings {
            hash: v.hash.clone(),
            principal: v.principal.clone(),
            groups: v.groups.clone(),
            ai_system: v.ai_system.clone(),
            upstream_key,
        });
    }
    if on("virtual_key") && virtual_keys.is_empty() {
        return Err(cx.err(
            "identity.virtual_keys",
            "mode `virtual_key` is enabled but no keys are configured",
        ));
    }
    let jwt = match &r.jwt {
        None if on("jwt") => {
            return Err(cx.err(
                "identity.jwt",
                "mode `jwt` is enabled but [identity.jwt] is missing",
            ))
        }
        None => None,
        Some(j) => {
            let mut public_keys = Vec::new();
            for (i, k) in j.public_keys.iter().enumerate() {
                public_keys.push((
                    cx.read(&format!("identity.jwt.public_keys[{i}].file"), &k.file)?,
                    k.alg.clone(),
                    k.kid.clone(),
                ));
            }
            let jwks = match &j.jwks_file {
                Some(f) => Some(cx.read("identity.jwt.jwks_file", f)?),
                None => None,
            };
            let hmac_secret = match &j.hmac_secret {
                Some(s) => cx.secret("identity.jwt.hmac_secret", s, false)?,
                None => None,
            };
            if jwks.is_none() && public_keys.is_empty() && hmac_secret.is_none() {
                return Err(cx.err(
                    "identity.jwt",
                    "give `jwks_file`, `public_keys` or `hmac_secret`",
                ));
            }
            Some(JwtSettings {
                issuer: j.issuer.clone(),
                audiences: j.audiences.clone(),
                jwks,
                public_keys,
                hmac_secret,
                principal_claim: j
                    .principal_claim
                    .clone()
                    .unwrap_or_else(|| "sub".to_owned()),
                groups_claim: j.groups_claim.clone(),
                ai_system_claim: j.ai_system_claim.clone(),
                leeway_secs: j.leeway_secs.unwrap_or(30),
            })
        }
    };
    let trusted_header = match &r.trusted_header {
        None if on("trusted_header") => {
            return Err(cx.err(
                "identity.trusted_header",
                "mode `trusted_header` is enabled but [identity.trusted_header] is missing",
            ))
        }
        None => None,
        Some(t) => {
            if t.trusted_peers.is_empty() {
                return Err(cx.err(
                    "identity.trusted_header.trusted_peers",
                    "list the addresses allowed to set the header",
                ));
            }
            Some(TrustedHeaderSettings {
                header: t.header.to_ascii_lowercase(),
                groups_header: t.groups_header.as_ref().map(|h| h.to_ascii_lowercase()),
                trusted_peers: t.trusted_peers.clone(),
            })
        }
    };
    Ok((
        IdentitySettings {
            mtls: on("mtls"),
            mtls_groups: r
                .mtls
                .as_ref()
                .map(|m| {
                    m.groups
                        .iter()
                        .map(|g| (g.prefix.clone(), g.groups.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            modes,
            virtual_keys,
            jwt,
            trusted_header,
        },
        sets,
    ))
}

fn evidence(cx: &Ctx<'_>, e: &RawEvidence) -> Result<EvidenceSettings, ConfigError> {
    let durability = match e.durability.as_deref() {
        None | Some("sync") => DurabilityMode::Sync,
        Some("async") => DurabilityMode::Async {
            max_delay: cx.duration(
                "evidence.async_max_delay",
                e.async_max_delay.as_deref(),
                Duration::from_millis(200),
            )?,
        },
        Some(o) => {
            return Err(cx.err(
                "evidence.durability",
                format!("`{o}`: use `sync` or `async`"),
            ))
        }
    };
    let hmac_key = match &e.hmac_key {
        Some(s) => cx.secret("evidence.hmac_key", s, false)?,
        None => None,
    };
    let signing_key = match &e.signing_key {
        Some(s) => {
            let key = cx.secret("evidence.signing_key", s, false)?;
            if let Some(k) = &key {
                crate::evidence::keys::parse_secret(k.expose())
                    .map_err(|e| cx.err("evidence.signing_key", e.to_string()))?;
            }
            key
        }
        None => None,
    };
    let retention_days = e.retention_days.unwrap_or(400);
    let retention_below_minimum = e.retention_below_minimum.unwrap_or(false);
    crate::evidence::origin::check_retention(retention_days, retention_below_minimum)
        .map_err(|err| cx.err("evidence.retention_days", err.to_string()))?;
    let origin = match &e.origin {
        Some(o) => {
            crate::evidence::origin::validate(o)
                .map_err(|err| cx.err("evidence.origin", err.to_string()))?;
            Some(o.clone())
        }
        None => None,
    };
    Ok(EvidenceSettings {
        durability,
        fail_open: e.fail_open.unwrap_or(false),
        segment_bytes: e.segment_bytes.unwrap_or(64 * 1024 * 1024),
        checkpoint_every_records: e.checkpoint_every_records.unwrap_or(10_000),
        checkpoint_interval: cx.duration(
            "evidence.checkpoint_interval",
            e.checkpoint_interval.as_deref(),
            Duration::from_secs(60),
        )?,
        retention_days,
        retention_below_minimum,
        origin,
        min_commit_interval: cx.duration(
            "evidence.min_commit_interval",
            e.min_commit_interval.as_deref(),
            Duration::ZERO,
        )?,
        hmac_key,
        signing_key,
        witnesses: witnesses(cx, &e.witness)?,
        witness_interval: match cx.duration(
            "evidence.witness_interval",
            e.witness_interval.as_deref(),
            Duration::from_secs(5),
        )? {
            d if d < Duration::from_millis(100) => {
                return Err(cx.err("evidence.witness_interval", "must be at least 100ms"))
            }
            d => d,
        },
    })
}

fn witnesses(cx: &Ctx<'_>, raw: &[RawWitness]) -> Result<Vec<WitnessSettings>, ConfigError> {
    use crate::evidence::note::vkey::{KeyKind, Verifier};
    let mut out: Vec<WitnessSettings> = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let key = |k: &str| format!("evidence.witness[{i}].{k}");
        let label_ok = !w.name.is_empty()
            && w.name.len() <= 64
            && w.name.bytes().all(|b| b.is_ascii_graphic());
        if !label_ok {
            return Err(cx.err(key("name"), "must be 1 to 64 printable ASCII characters"));
        }
        if out.iter().any(|o| o.name == w.name) {
            return Err(cx.err(key("name"), format!("`{}` is used twice", w.name)));
        }
        let url: http::Uri = w
            .url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| cx.err(key("url"), format!("`{}` is not a URL: {e}", w.url)))?;
        let scheme_ok = matches!(url.scheme_str(), Some("http" | "https"));
        if !scheme_ok || url.authority().is_none() || url.query().is_some() {
            return Err(cx.err(
                key("url"),
                format!(
                    "`{}`: use an http:// or https:// base URL without a query",
                    w.url
                ),
            ));
        }
        let vkey = Verifier::parse(&w.vkey).map_err(|e| cx.err(key("vkey"), e.to_string()))?;
        if vkey.kind != KeyKind::Cosignature {
            return Err(cx.err(
                key("vkey"),
                "not a witness cosigner key (signature type 0x04, cosignature/v1); `aimsgate witness --generate-key` prints one",
            ));
        }
        out.push(WitnessSettings {
            name: w.name.clone(),
            url,
            vkey,
        });
    }
    Ok(out)
}
