//! Upstreams, routing and provider keys: the defaults for a config without upstreams, base-URL
//! overrides, each upstream's URL, timeouts and `forward_headers`, the model routes, and the
//! `[keys]` sets with their upstream bindings (one key per upstream, never ambiguous).
//!
//! Identity, evidence and server settings are validated in their own files beside this one.

use std::collections::BTreeMap;

use super::*;
use crate::providers::Family;

const DEFAULT_OPENAI: &str = "https://api.openai.com/v1";
const DEFAULT_ANTHROPIC: &str = "https://api.anthropic.com";
const DEFAULT_GEMINI: &str = "https://generativelanguage.googleapis.com";
const DEFAULT_BEDROCK: &str = "https://bedrock-runtime.us-east-1.amazonaws.com";
/// Key variables the embedded defaults read when set (unset: callers bring their own key).
/// `AWS_BEARER_TOKEN_BEDROCK` is a Bedrock API key, the variable the AWS SDKs read.
const DEFAULT_KEY_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "AWS_BEARER_TOKEN_BEDROCK",
];
/// The region a `bedrock` upstream signs for when neither `region` nor its host names one.
const DEFAULT_BEDROCK_REGION: &str = "us-east-1";

impl Named for UpstreamKind {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("openai", Self::OpenAi),
        ("anthropic", Self::Anthropic),
        ("azure_openai", Self::AzureOpenAi),
        ("openai_compatible", Self::OpenAiCompatible),
        ("gemini", Self::Gemini),
        ("vertex_ai", Self::VertexAi),
        ("bedrock", Self::Bedrock),
    ];
}

pub(super) fn default_upstreams() -> Vec<RawUpstream> {
    let mk = |name: &str, kind: &str, url: &str, var: &str| RawUpstream {
        name: name.to_owned(),
        preset: None,
        kind: Some(kind.to_owned()),
        base_url: Some(url.to_owned()),
        api_key: Some(RawSecret {
            env: Some(var.to_owned()),
            file: None,
        }),
        api_version: None,
        connect_timeout: None,
        first_byte_timeout: None,
        idle_timeout: None,
        forward_headers: Vec::new(),
        fallbacks: Vec::new(),
        region: None,
        profile: None,
    };
    vec![
        mk("openai", "openai", DEFAULT_OPENAI, "OPENAI_API_KEY"),
        mk(
            "anthropic",
            "anthropic",
            DEFAULT_ANTHROPIC,
            "ANTHROPIC_API_KEY",
        ),
        mk("gemini", "gemini", DEFAULT_GEMINI, "GEMINI_API_KEY"),
        mk(
            "bedrock",
            "bedrock",
            DEFAULT_BEDROCK,
            "AWS_BEARER_TOKEN_BEDROCK",
        ),
    ]
}

/// `--openai-base-url` / `--anthropic-base-url` / `--gemini-base-url` / `--bedrock-base-url`
/// replace the URL of the upstream named `openai` / `anthropic` / `gemini` / `bedrock` (created
/// if the file has none).
pub(super) fn apply_base_url_overrides(raw: &mut RawConfig, ov: &Overrides) {
    for (name, url) in [
        ("openai", &ov.openai_base_url),
        ("anthropic", &ov.anthropic_base_url),
        ("gemini", &ov.gemini_base_url),
        ("bedrock", &ov.bedrock_base_url),
    ] {
        let Some(url) = url else { continue };
        match raw.upstreams.iter_mut().find(|u| u.name == name) {
            Some(u) => u.base_url = Some(url.clone()),
            None => raw.upstreams.extend(
                default_upstreams()
                    .into_iter()
                    .filter(|u| u.name == name)
                    .map(|mut u| {
                        u.base_url = Some(url.clone());
                        u
                    }),
            ),
        }
    }
}

pub(super) fn upstreams(
    cx: &Ctx<'_>,
    raw: &[RawUpstream],
) -> Result<Vec<UpstreamConfig>, ConfigError> {
    let mut out: Vec<UpstreamConfig> = Vec::with_capacity(raw.len());
    for (i, u) in raw.iter().enumerate() {
        let key = |k: &str| format!("upstreams[{i}].{k}");
        if out.iter().any(|o| o.name == u.name) {
            return Err(cx.err(key("name"), format!("duplicate upstream name `{}`", u.name)));
        }
        let preset = match &u.preset {
            None => None,
            Some(p) => Some(crate::config::presets::find(p).ok_or_else(|| {
                cx.err(
                    key("preset"),
                    format!(
                        "unknown preset `{p}`; presets: {}",
                        crate::config::presets::names()
                    ),
                )
            })?),
        };
        let kind = match (&u.kind, preset) {
            (None, Some(_)) => UpstreamKind::OpenAiCompatible,
            (None, None) => return Err(cx.err(key("kind"), "missing: give a `kind` or a `preset`")),
            (Some(k), _) => cx.choice(&key("kind"), Some(k), UpstreamKind::OpenAi)?,
        };
        if preset.is_some() && kind != UpstreamKind::OpenAiCompatible {
            return Err(cx.err(
                key("kind"),
                "a preset upstream is `openai_compatible`; leave `kind` out",
            ));
        }
        let raw_url = match (&u.base_url, preset) {
            (Some(url), _) => url.as_str(),
            (None, Some(p)) => p.base_url,
            (None, None) => {
                return Err(cx.err(key("base_url"), "missing: give a `base_url` or a `preset`"))
            }
        };
        let base_url: http::Uri = raw_url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| cx.err(key("base_url"), format!("`{raw_url}` is not a URL: {e}")))?;
        match base_url.scheme_str() {
            Some("http") | Some("https") if base_url.authority().is_some() => {}
            _ => {
                return Err(cx.err(
                    key("base_url"),
                    format!("`{raw_url}` must be an absolute http:// or https:// URL"),
                ))
            }
        }
        if base_url.query().is_some() {
            return Err(cx.err(key("base_url"), "must not contain a query string"));
        }
        if kind == UpstreamKind::VertexAi && !base_url.path().ends_with("/publishers/google") {
            return Err(cx.err(
                key("base_url"),
                "a vertex_ai base_url names the project and location: https://LOCATION-aiplatform.googleapis.com/v1/projects/PROJECT/locations/LOCATION/publishers/google",
            ));
        }
        if kind == UpstreamKind::Gemini
            && u.api_version
                .as_deref()
                .is_some_and(|v| !["v1", "v1beta", "v1alpha"].contains(&v))
        {
            return Err(cx.err(
                key("api_version"),
                "a gemini upstream's api_version is v1, v1beta (default) or v1alpha",
            ));
        }
        if kind == UpstreamKind::AzureOpenAi && u.api_version.is_none() {
            return Err(cx.err(
                key("api_version"),
                "azure_openai upstreams need an api_version, e.g. 2024-10-21",
            ));
        }
        // The embedded defaults read OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY when
        // set; a configured reference must resolve.
        let optional = u.api_key.as_ref().is_some_and(|k| {
            k.env
                .as_deref()
                .is_some_and(|v| DEFAULT_KEY_VARS.contains(&v))
        });
        let api_key = match (&u.api_key, preset.and_then(|p| p.key_env)) {
            (Some(s), _) => cx.secret(&key("api_key"), s, optional)?,
            // A preset's key variable is read when set; unset, callers bring their own key.
            (None, Some(var)) => {
                let s = RawSecret {
                    env: Some(var.to_owned()),
                    file: None,
                };
                cx.secret(&key("api_key"), &s, true)?
            }
            (None, None) => None,
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
        let bedrock = match kind {
            UpstreamKind::Bedrock => Some(bedrock_settings(cx, u, &base_url, &key)?),
            _ if u.region.is_some() || u.profile.is_some() => {
                return Err(cx.err(
                    key("region"),
                    "`region` and `profile` are settings of `bedrock` upstreams only",
                ))
            }
            _ => None,
        };
        out.push(UpstreamConfig {
            bedrock,
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

pub(super) fn routing(
    cx: &Ctx<'_>,
    r: &RawRouting,
    raw_ups: &[RawUpstream],
    ups: &[UpstreamConfig],
) -> Result<Routing, ConfigError> {
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
                       family: Family|
     -> Result<Option<usize>, ConfigError> {
        let idx = match explicit {
            Some(n) => Some(find(key, n)?),
            None => ups.iter().position(|u| u.kind.family() == family),
        };
        if let Some(i) = idx {
            if ups[i].kind.family() != family {
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
    let openai = default_for("routing.openai", &r.openai, Family::OpenAi)?;
    let anthropic = default_for("routing.anthropic", &r.anthropic, Family::Anthropic)?;
    let gemini = default_for("routing.gemini", &r.gemini, Family::Google)?;
    let bedrock = default_for("routing.bedrock", &r.bedrock, Family::Bedrock)?;
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
        gemini,
        bedrock,
        models,
        allow_unlisted_models: r.allow_unlisted_models.unwrap_or(true),
        fallbacks: fallbacks(cx, raw_ups, ups)?,
        retry: retry(cx, &r.retry)?,
    })
}

/// Each upstream's `fallbacks`, resolved: known names, the same API family, not itself.
fn fallbacks(
    cx: &Ctx<'_>,
    raw: &[RawUpstream],
    ups: &[UpstreamConfig],
) -> Result<Vec<Vec<usize>>, ConfigError> {
    let mut out = Vec::with_capacity(ups.len());
    for (i, u) in raw.iter().enumerate() {
        let key = format!("upstreams[{i}].fallbacks");
        let mut list = Vec::with_capacity(u.fallbacks.len());
        for name in &u.fallbacks {
            let j = ups.iter().position(|o| o.name == *name).ok_or_else(|| {
                cx.err(
                    &key,
                    format!("no upstream named `{name}` (configured: {})", names(ups)),
                )
            })?;
            if j == i || list.contains(&j) {
                return Err(cx.err(
                    &key,
                    format!("`{name}` is listed twice or is the upstream itself"),
                ));
            }
            if ups[j].kind.family() != ups[i].kind.family() {
                return Err(cx.err(
                    &key,
                    format!(
                        "`{name}` is of kind {}, which does not speak {}'s API",
                        ups[j].kind.as_str(),
                        ups[i].kind.as_str()
                    ),
                ));
            }
            list.push(j);
        }
        out.push(list);
    }
    Ok(out)
}

fn retry(cx: &Ctx<'_>, r: &RawRetry) -> Result<RetrySettings, ConfigError> {
    let d = RetrySettings::default();
    let max_attempts = r.max_attempts.unwrap_or(d.max_attempts);
    if !(1..=10).contains(&max_attempts) {
        return Err(cx.err("routing.retry.max_attempts", "must be 1 (no retries) to 10"));
    }
    let budget_ratio = r.budget_ratio.unwrap_or(d.budget_ratio);
    if !(0.0..=1.0).contains(&budget_ratio) {
        return Err(cx.err("routing.retry.budget_ratio", "must be between 0 and 1"));
    }
    Ok(RetrySettings {
        max_attempts,
        backoff: cx.duration("routing.retry.backoff", r.backoff.as_deref(), d.backoff)?,
        max_backoff: cx.duration(
            "routing.retry.max_backoff",
            r.max_backoff.as_deref(),
            d.max_backoff,
        )?,
        budget_ratio,
    })
}

fn names(ups: &[UpstreamConfig]) -> String {
    ups.iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `[keys]`: each provider key resolved and bound to the upstream it names.
pub(super) fn provider_keys(
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
pub(super) fn key_set(
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

/// Header names an operator may add with `forward_headers`: never a credential, hop-by-hop,
/// framing or aimsgate's own header (those have fixed rules).
fn listable_header(name: &str) -> bool {
    const FIXED: &[&str] = &[
        "authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-security-token",
        "x-amz-date",
        "x-amz-content-sha256",
        "proxy-authorization",
        "host",
        "content-length",
        "accept-encoding",
        "traceparent",
        "tracestate",
        "x-request-id",
        "cookie",
    ];
    !FIXED.contains(&name)
        && !crate::providers::HOP_BY_HOP.contains(&name)
        && !name.starts_with("x-aimsgate-")
}

/// A `bedrock` upstream's region (its `region`, else the one its runtime host names, else
/// us-east-1) and the AWS credentials found for it ([`crate::config::aws`]).
fn bedrock_settings(
    cx: &Ctx<'_>,
    u: &RawUpstream,
    base_url: &http::Uri,
    key: &dyn Fn(&str) -> String,
) -> Result<crate::config::aws::BedrockSettings, ConfigError> {
    use crate::config::aws;
    let region = match (&u.region, base_url.host().and_then(aws::region_of_host)) {
        (Some(r), _) if !aws::is_region(r) => {
            return Err(cx.err(key("region"), format!("`{r}` is not an AWS region name")))
        }
        (Some(r), _) => r.clone(),
        (None, Some(r)) => r.to_owned(),
        (None, None) => DEFAULT_BEDROCK_REGION.to_owned(),
    };
    // A broken shared credentials file fails the load only when `profile` names what to read
    // from it; otherwise (the embedded default upstream) it is as if there were none.
    let credentials = match aws::find_credentials(cx.env, u.profile.as_deref()) {
        Ok(c) => c,
        Err(why) if u.profile.is_some() => return Err(cx.err(key("profile"), why)),
        Err(_) => None,
    };
    let container = match credentials {
        Some(_) => None,
        None => aws::container_endpoint(cx.env).map_err(|why| cx.err(key("kind"), why))?,
    };
    let imds = match (&credentials, &container) {
        (None, None) => aws::imds_endpoint(cx.env).map_err(|why| cx.err(key("kind"), why))?,
        _ => None,
    };
    Ok(aws::BedrockSettings {
        region,
        credentials,
        container,
        imds,
    })
}
