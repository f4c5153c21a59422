//! Configuration: the only reader of files and environment variables for settings.
//!
//! Two stages, as in tensorzero: [`raw`] holds serde structs that mirror the TOML file with
//! `deny_unknown_fields`; [`validate`] turns them into the runtime [`Config`] below, resolving
//! secrets (from env or files, never inline), durations, addresses and every named choice into
//! typed values (the cores' own config types where they have one: [`crate::identity`]'s
//! `IdentityConfig`, [`crate::evidence`]'s `LogConfig`), naming file, key and problem in every
//! error ([`ConfigError::invalid`]). [`cross_check`] checks a validated config against the policy
//! bundle it runs with. Command-line flags arrive as [`Overrides`] and win over the file.
//! With no file at all, [`Config::embedded_default`] gives a working zero-config proxy.
//! It does not start anything.

pub mod aws;
mod cross_check;
pub mod env;
mod guardrail;
mod identity;
mod limits_store;
pub mod presets;
pub mod raw;
mod siem;
mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use cross_check::cross_check;
pub use env::{Env, MapEnv, ProcessEnv};
pub use guardrail::GuardrailSettings;
pub use identity::{IdentityMode, IdentitySettings};
pub use limits_store::{FailMode, LimitsStore, RedisStoreSettings};
pub use siem::{SiemProtocol, SiemSettings};

use crate::evidence::LogConfig;
use crate::providers::extract::UnknownShapes;

/// A configuration problem, always naming where it is and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: `{key}`: {message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
}

impl ConfigError {
    /// The one builder of [`ConfigError::Invalid`]: `key` is the dotted config key
    /// (`identity.virtual_keys[2].ai_system`), `message` what is wrong with it.
    pub fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            file: file.to_owned(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A secret value resolved from the environment or a file. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Command-line flags that override the file (DESIGN.md `serve` contract).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub openai_base_url: Option<String>,
    pub anthropic_base_url: Option<String>,
    pub gemini_base_url: Option<String>,
    pub bedrock_base_url: Option<String>,
    /// `serve --guardrail-listen`: the guardrail listener's address.
    pub guardrail_listen: Option<String>,
}

/// The validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from: a file path or `embedded default`.
    pub source: String,
    pub server: ServerConfig,
    pub data_dir: PathBuf,
    pub upstreams: Vec<UpstreamConfig>,
    /// Provider-key sets a credential can name (`UpstreamAuth::Inject { key_ref }`), each key
    /// bound to its upstream. A virtual key naming one `[keys]` entry refers to the set of that
    /// one key; a list of names becomes one set named by the names joined with `+`.
    pub keys: std::collections::BTreeMap<String, KeySet>,
    pub routing: Routing,
    pub identity: IdentitySettings,
    pub policy: PolicySettings,
    pub evidence: EvidenceSettings,
    pub classify: ClassifySettings,
    pub telemetry: TelemetrySettings,
    /// `[siem]`: the push of decision and outcome records as OTLP logs, when on.
    pub siem: Option<SiemSettings>,
    /// `[guardrail]`: the guardrail listener other gateways call, when on.
    pub guardrail: Option<GuardrailSettings>,
    /// `[[limits]]`, in file order.
    pub limits: Vec<LimitSettings>,
    /// `[[prices]]`, in file order (the first match prices a model).
    pub prices: Vec<Price>,
    /// `[limits_store]`: where the limits' counters live.
    pub limits_store: LimitsStore,
}

/// What a limit counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    Principal,
    Group,
    AiSystem,
    Upstream,
}

impl LimitScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Principal => "principal",
            Self::Group => "group",
            Self::AiSystem => "ai_system",
            Self::Upstream => "upstream",
        }
    }
}

/// One validated `[[limits]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitSettings {
    pub id: String,
    pub scope: LimitScope,
    /// Exact ids, `prefix*` patterns or `*`.
    pub matches: Vec<String>,
    pub requests: Option<std::num::NonZeroU32>,
    pub tokens: Option<u64>,
    /// Money per `per`, in millionths of the `[[prices]]` unit.
    pub cost_micros: Option<u64>,
    pub per: Duration,
}

/// One `[[prices]]` entry: what a model's tokens cost, per million.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// Exact model name or `prefix*`.
    pub model: String,
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

/// Does `pattern` — an exact name, or a prefix ending in `*` (`*` alone: anything) — match
/// `name`? The one pattern form of model routes, limits and prices.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// What `input` and `output` tokens of `model` cost, in millionths of the price unit, by the
/// first `[[prices]]` entry that matches (0 when none does).
pub fn cost_micros(prices: &[Price], model: Option<&str>, input: u64, output: u64) -> u64 {
    let Some(model) = model else { return 0 };
    let hit = prices.iter().find(|p| pattern_matches(&p.model, model));
    match hit {
        // tokens / 1e6 * price units = tokens * price millionths.
        Some(p) => (input as f64 * p.input_per_mtok + output as f64 * p.output_per_mtok) as u64,
        None => 0,
    }
}

impl LimitSettings {
    /// Does the limit apply to `id`?
    pub fn applies_to(&self, id: &str) -> bool {
        self.matches.iter().any(|m| pattern_matches(m, id))
    }
}

/// Provider keys injected for one credential: at most one per upstream.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    /// `(upstream index, key)`, upstream indices distinct.
    pub keys: Vec<(usize, Secret)>,
}

impl KeySet {
    /// The key bound to upstream `idx`, if this set has one.
    pub fn for_upstream(&self, idx: usize) -> Option<&Secret> {
        self.keys.iter().find(|(u, _)| *u == idx).map(|(_, k)| k)
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub max_body_bytes: usize,
    pub max_connections: usize,
    /// Process-wide in-flight request-body budget (bytes), see `proxy::budget`.
    pub max_inflight_body_bytes: usize,
    /// Per-connection in-flight request-body budget (bytes).
    pub max_connection_body_bytes: usize,
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` announced to HTTP/2 clients.
    pub h2_max_concurrent_streams: u32,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_read_timeout: Duration,
    pub shutdown_grace: Duration,
    pub tls: Option<TlsSettings>,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub client_ca_path: Option<PathBuf>,
    pub client_auth_required: bool,
}

/// What kind of API an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamKind {
    OpenAi,
    Anthropic,
    AzureOpenAi,
    OpenAiCompatible,
    /// The Gemini API on Google AI Studio (`x-goog-api-key`).
    Gemini,
    /// The Gemini API on Vertex AI (`Authorization: Bearer` OAuth access token; the base URL
    /// names the project and location).
    VertexAi,
    /// The Amazon Bedrock runtime (SigV4-signed with AWS credentials, or a Bedrock API key as
    /// `Authorization: Bearer`).
    Bedrock,
}

impl UpstreamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::AzureOpenAi => "azure_openai",
            Self::OpenAiCompatible => "openai_compatible",
            Self::Gemini => "gemini",
            Self::VertexAi => "vertex_ai",
            Self::Bedrock => "bedrock",
        }
    }
    /// The API family this upstream speaks.
    pub fn family(self) -> crate::providers::Family {
        use crate::providers::Family;
        match self {
            Self::Anthropic => Family::Anthropic,
            Self::Gemini | Self::VertexAi => Family::Google,
            Self::Bedrock => Family::Bedrock,
            Self::OpenAi | Self::AzureOpenAi | Self::OpenAiCompatible => Family::OpenAi,
        }
    }
}

/// The Gemini API version a `gemini` upstream is called with unless `api_version` says otherwise.
pub const DEFAULT_GEMINI_VERSION: &str = "v1beta";

#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub name: String,
    pub kind: UpstreamKind,
    /// Scheme, authority and base path (no trailing slash), e.g. `https://api.openai.com/v1`.
    pub base_url: http::Uri,
    pub api_key: Option<Secret>,
    pub api_version: Option<String>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    /// Request headers forwarded beyond the provider's allow-list (lower-case names).
    pub forward_headers: Vec<http::HeaderName>,
    /// A `bedrock` upstream's region and AWS credentials.
    pub bedrock: Option<aws::BedrockSettings>,
}

/// Which upstream serves a request: by model pattern first, then the family default.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    pub openai: Option<usize>,
    pub anthropic: Option<usize>,
    pub gemini: Option<usize>,
    pub bedrock: Option<usize>,
    pub models: Vec<(String, usize)>,
    pub allow_unlisted_models: bool,
    /// Per upstream (by index), the upstreams a call may fail over to, in order.
    pub fallbacks: Vec<Vec<usize>>,
    pub retry: RetrySettings,
}

/// Retries and failover (`[routing.retry]`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySettings {
    /// Most attempts per call, the first included; 1 disables retries and failover.
    pub max_attempts: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Retry tokens earned per forwarded call (a retry spends one; at most 100 are banked).
    pub budget_ratio: f64,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 1,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            budget_ratio: 0.2,
        }
    }
}

impl Routing {
    /// The default upstream of a family's routes.
    pub fn default_for(&self, family: crate::providers::Family) -> Option<usize> {
        use crate::providers::Family;
        match family {
            Family::OpenAi => self.openai,
            Family::Anthropic => self.anthropic,
            Family::Google => self.gemini,
            Family::Bedrock => self.bedrock,
        }
    }

    /// Index of the upstream for `model` among those of the right family, or `None`.
    pub fn upstream_for(&self, model: Option<&str>) -> Option<ModelRoute> {
        let model = model?;
        self.models.iter().find_map(|(pat, idx)| {
            pattern_matches(pat, model).then_some(ModelRoute {
                upstream: *idx,
                pattern: pat.clone(),
            })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRoute {
    pub upstream: usize,
    pub pattern: String,
}

#[derive(Debug, Clone)]
pub struct PolicySettings {
    /// `None`: the embedded baseline bundle.
    pub path: Option<PathBuf>,
    pub watch: bool,
}

/// `[evidence]`: the evidence core's own [`LogConfig`] (data dir included) plus what the proxy
/// does around the log.
#[derive(Debug, Clone)]
pub struct EvidenceSettings {
    /// The log settings, ready for [`crate::evidence::EvidenceLog::open`].
    pub log: LogConfig,
    pub fail_open: bool,
    /// The signing key from env or a file; `None`: `<data_dir>/signing.key` (created if missing).
    pub signing_key: Option<Secret>,
    /// Witnesses the latest checkpoint is sent to (C2SP tlog-witness).
    pub witnesses: Vec<WitnessSettings>,
    /// How often it is sent.
    pub witness_interval: Duration,
}

/// One witness (`[[evidence.witness]]`).
#[derive(Debug, Clone)]
pub struct WitnessSettings {
    pub name: String,
    /// Base URL (no trailing slash); requests go to `<url>/add-checkpoint`.
    pub url: http::Uri,
    /// The witness's cosigner key (kind cosignature/v1).
    pub vkey: crate::evidence::note::vkey::Verifier,
}

#[derive(Debug, Clone)]
pub struct ClassifySettings {
    pub max_scan_bytes: usize,
    pub scan_responses: bool,
    /// What request extraction does with a shape it does not recognise.
    pub unknown_shapes: UnknownShapes,
    /// Well-known test values: found and marked (`detect`, default) or not reported (`ignore`).
    pub test_values: crate::classify::TestValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A `tracing` `EnvFilter` directive (`info`, `aimsgate=debug,hyper=warn`), checked when the
/// configuration is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLevel(String);

impl LogLevel {
    /// The directive, if `tracing_subscriber::EnvFilter` accepts it.
    pub fn parse(directive: &str) -> Result<Self, String> {
        tracing_subscriber::EnvFilter::try_new(directive)
            .map(|_| Self(directive.to_owned()))
            .map_err(|e| e.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LogLevel {
    fn default() -> Self {
        Self("info".to_owned())
    }
}

#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    pub log_level: LogLevel,
    /// Where spans go, when OpenTelemetry tracing is on.
    pub traces: Option<TracesSettings>,
}

/// OpenTelemetry trace export over OTLP/HTTP (protobuf).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracesSettings {
    /// The full traces URL, e.g. `http://collector:4318/v1/traces`.
    pub endpoint: String,
    pub service_name: String,
}

impl Config {
    /// The zero-config default: 127.0.0.1:8080, public OpenAI and Anthropic upstreams,
    /// pass-through identity, embedded baseline policy, data in `./aimsgate-data`.
    pub fn embedded_default(overrides: &Overrides, env: &dyn Env) -> Result<Self, ConfigError> {
        validate::validate(
            raw::RawConfig::default(),
            "embedded default",
            overrides,
            env,
            None,
        )
    }

    /// Load and validate a TOML file; relative paths inside it resolve against its directory.
    pub fn load(path: &Path, overrides: &Overrides, env: &dyn Env) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        Self::from_toml(&text, &file, overrides, env, path.parent())
    }

    /// Parse and validate TOML text; `file` names it in errors.
    pub fn from_toml(
        text: &str,
        file: &str,
        overrides: &Overrides,
        env: &dyn Env,
        base_dir: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let raw: raw::RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: file.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        validate::validate(raw, file, overrides, env, base_dir)
    }

    /// The upstream configured under `name`.
    pub fn upstream_index(&self, name: &str) -> Option<usize> {
        self.upstreams.iter().position(|u| u.name == name)
    }
}

#[cfg(test)]
mod tests;
