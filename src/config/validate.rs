//! Stage two of configuration: raw TOML structs → validated runtime [`Config`].
//!
//! Applies command-line overrides, fills defaults, resolves secrets and key files, and checks
//! every cross-reference (routing → upstreams, virtual keys → `[keys]`). Each error names the file
//! and the dotted key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::*;
use super::*;
use crate::providers::extract::UnknownShapes;

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

fn default_upstreams() -> Vec<RawUpstream> {
    let mk = |name: &str, kind: &str, url: &str, var: &str| RawUpstream {
        name: name.to_owned(),
        kind: kind.to_owned(),
        base_url: url.to_owned(),
        api_key: Some(RawSecret {
            env: Some(var.to_owned()),
            file: None,
        }),
        api_version: None,
        connect_timeout: None,
        first_byte_timeout: None,
        idle_timeout: None,
        forward_headers: Vec::new(),
    };
    vec![
        mk("openai", "openai", DEFAULT_OPENAI, "OPENAI_API_KEY"),
        mk(
            "anthropic",
            "anthropic",
            DEFAULT_ANTHROPIC,
            "ANTHROPIC_API_KEY",
        ),
    ]
}

/// `--openai-base-url` / `--anthropic-base-url` replace the URL of the upstream named
/// `openai` / `anthropic` (created if the file has none).
fn apply_base_url_overrides(raw: &mut RawConfig, ov: &Overrides) {
    for (name, url) in [
        ("openai", &ov.openai_base_url),
        ("anthropic", &ov.anthropic_base_url),
    ] {
        let Some(url) = url else { continue };
        match raw.upstreams.iter_mut().find(|u| u.name == name) {
            Some(u) => u.base_url = url.clone(),
            None => raw.upstreams.extend(
                default_upstreams()
                    .into_iter()
                    .filter(|u| u.name == name)
                    .map(|mut u| {
                        u.base_url = url.clone();
                        u
                    }),
            ),
        }
    }
}

fn upstreams(cx: &Ctx<'_>, raw: &[RawUpstream]) -> Result<Vec<UpstreamConfig>, ConfigError> {
    let mut out: Vec<UpstreamConfig> = Vec::with_capacity(raw.len());
    for (i, u) in raw.iter().enumerate() {
        let key = |k: &str| format!("upstreams[{i}].{k}");
        if out.iter().any(|o| o.name == u.name) {
            return Err(cx.err(key("name"), format!("duplicate upstream name `{}`", u.name)));
        }
        let kind = match u.kind.as_str() {
            "openai" => UpstreamKind::OpenAi,
            "anthropic" => UpstreamKind::Anthropic,
            "azure_openai" => UpstreamKind::AzureOpenAi,
            "openai_compatible" => UpstreamKind::OpenAiCompatible,
            o => {
                return Err(cx.err(
                    key("kind"),
                    format!("`{o}`: use openai, anthropic, azure_openai or openai_compatible"),
                ))
            }
        };
        let base_url: http::Uri = u.base_url.trim_end_matches('/').parse().map_err(|e| {
            cx.err(
                key("base_url"),
                format!("`{}` is not a URL: {e}", u.base_url),
            )
        })?;
        match base_url.scheme_str() {
            Some("http") | Some("https") if base_url.authority().is_some() => {}
            _ => {
                return Err(cx.err(
                    key("base_url"),
                    format!(
                        "`{}` must be an absolute http:// or https:// URL",
                        u.base_url
                    ),
                ))
            }
        }
        if base_url.query().is_some() {
            return Err(cx.err(key("base_url"), "must not contain a query string"));
        }
        if kind == UpstreamKind::AzureOpenAi && u.api_version.is_none() {
            return Err(cx.err(
                key("api_version"),
                "azure_openai upstreams need an api_version, e.g. 2024-10-21",
            ));
        }
        // The embedded defaults read OPENAI_API_KEY / ANTHROPIC_API_KEY when set; a configured
        // reference must resolve.
        let optional = u.api_key.as_ref().is_some_and(|k| {
            k.env.as_deref() == Some("OPENAI_API_KEY")
                || k.env.as_deref() == Some("ANTHROPIC_API_KEY")
        });
        let api_key = match &u.api_key {
            Some(s) => cx.secret(&key("api_key"), s, optional)?,
            None => None,
        };
        let mut forward_headers = Vec::with_capacity(u.forward_headers.len());
        for h in &u.forward_headers {
            let name =
                http::HeaderName::from_bytes(h.to_ascii_lowercase().as_bytes()).map_err(|_| {
                    cx.err(
                        key("forward_headers"),
                        format!("`{h}` is not a header name"),
                    )
                })?;
            if !listable_header(name.as_str()) {
                return Err(cx.err(
                    key("forward_headers"),
                    format!("`{h}` cannot be listed: credential, hop-by-hop and aimsgate headers follow fixed rules"),
                ));
            }
            forward_headers.push(name);
        }
        out.push(UpstreamConfig {
            forward_headers,
            name: u.name.clone(),
            kind,
            base_url,
            api_key,
            api_version: u.api_version.clone(),
            connect_timeout: cx.duration(
                &key("connect_timeout"),
                u.connect_timeout.as_deref(),
                Duration::from_secs(5),
            )?,
            first_byte_timeout: cx.duration(
                &key("first_byte_timeout"),
                u.first_byte_timeout.as_deref(),
                Duration::from_secs(120),
            )?,
            idle_timeout: cx.duration(
                &key("idle_timeout"),
                u.idle_timeout.as_deref(),
                Duration::from_secs(120),
            )?,
        });
    }
    Ok(out)
}

fn routing(cx: &Ctx<'_>, r: &RawRouting, ups: &[UpstreamConfig]) -> Result<Routing, ConfigError> {
    let find = |key: &str, name: &str| {
        ups.iter().position(|u| u.name == name).ok_or_else(|| {
            cx.err(
                key,
                format!("no upstream named `{name}` (configured: {})", names(ups)),
            )
        })
    };
    let default_for = |key: &str,
                       explicit: &Option<String>,
                       anthropic: bool|
     -> Result<Option<usize>, ConfigError> {
        let idx = match explicit {
            Some(n) => Some(find(key, n)?),
            None => ups.iter().position(|u| u.kind.is_anthropic() == anthropic),
        };
        if let Some(i) = idx {
            if ups[i].kind.is_anthropic() != anthropic {
                return Err(cx.err(
                    key,
                    format!(
                        "upstream `{}` is of kind {}, which does not serve these routes",
                        ups[i].name,
                        ups[i].kind.as_str()
                    ),
                ));
            }
        }
        Ok(idx)
    };
    let openai = default_for("routing.openai", &r.openai, false)?;
    let anthropic = default_for("routing.anthropic", &r.anthropic, true)?;
    let mut models = Vec::new();
    for (i, m) in r.models.iter().enumerate() {
        let key = format!("routing.models[{i}]");
        if m.pattern.is_empty() || m.pattern[..m.pattern.len() - 1].contains('*') {
            return Err(cx.err(
                format!("{key}.pattern"),
                "use an exact model name or a prefix ending in `*`",
            ));
        }
        models.push((
            m.pattern.clone(),
            find(&format!("{key}.upstream"), &m.upstream)?,
        ));
    }
    Ok(Routing {
        openai,
        anthropic,
        models,
        allow_unlisted_models: r.allow_unlisted_models.unwrap_or(true),
    })
}

fn names(ups: &[UpstreamConfig]) -> String {
    ups.iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `[keys]`: each provider key resolved and bound to the upstream it names.
fn provider_keys(
    cx: &Ctx<'_>,
    raw: &BTreeMap<String, RawProviderKey>,
    upstreams: &[UpstreamConfig],
) -> Result<BTreeMap<String, (usize, Secret)>, ConfigError> {
    let mut out = BTreeMap::new();
    for (name, k) in raw {
        let key = format!("keys.{name}");
        let Some(up) = &k.upstream else {
            return Err(cx.err(
                format!("{key}.upstream"),
                format!(
                    "name the upstream this key belongs to (one of: {}); a provider key is only ever injected into its own upstream",
                    names(upstreams)
                ),
            ));
        };
        let idx = upstreams
            .iter()
            .position(|u| &u.name == up)
            .ok_or_else(|| {
                cx.err(
                    format!("{key}.upstream"),
                    format!(
                        "no upstream named `{up}` (configured: {})",
                        names(upstreams)
                    ),
                )
            })?;
        let secret = RawSecret {
            env: k.env.clone(),
            file: k.file.clone(),
        };
        if let Some(v) = cx.secret(&key, &secret, false)? {
            out.insert(name.clone(), (idx, v));
        }
    }
    Ok(out)
}

/// The key set a credential's `upstream_key` names: every key exists, at most one per upstream.
fn key_set(
    cx: &Ctx<'_>,
    at: &str,
    names: &[String],
    keys: &BTreeMap<String, (usize, Secret)>,
    upstreams: &[UpstreamConfig],
) -> Result<(String, KeySet), ConfigError> {
    if names.is_empty() {
        return Err(cx.err(at, "name at least one entry under [keys]"));
    }
    let mut set = KeySet::default();
    for (i, n) in names.iter().enumerate() {
        let (idx, secret) = keys
            .get(n)
            .ok_or_else(|| cx.err(at, format!("no entry `{n}` under [keys]")))?;
        if let Some(prev) = names.get(..i).and_then(|p| {
            p.iter()
                .find(|o| keys.get(*o).is_some_and(|(u, _)| u == idx))
        }) {
            let up = upstreams.get(*idx).map(|u| u.name.as_str()).unwrap_or("?");
            return Err(cx.err(
                at,
                format!("ambiguous: `{prev}` and `{n}` are both keys for upstream `{up}`; name one key per upstream"),
            ));
        }
        set.keys.push((*idx, secret.clone()));
    }
    Ok((names.join("+"), set))
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
        retention_days: e.retention_days.unwrap_or(400),
        hmac_key,
        signing_key,
    })
}

/// Header names an operator may add with `forward_headers`: never a credential, hop-by-hop,
/// framing or aimsgate's own header (those have fixed rules).
fn listable_header(name: &str) -> bool {
    const FIXED: &[&str] = &[
        "authorization",
        "x-api-key",
        "api-key",
        "proxy-authorization",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
        "traceparent",
        "tracestate",
        "x-request-id",
        "cookie",
    ];
    !FIXED.contains(&name) && !name.starts_with("x-aimsgate-")
}
