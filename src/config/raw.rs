//! Raw configuration: the TOML file exactly as written, with `deny_unknown_fields` everywhere.
//!
//! These types only describe the file format; [`super::validate`] turns them into the runtime
//! types the rest of the code uses. No defaults are interpreted here beyond serde's.

use serde::Deserialize;

mod guardrail;
mod siem;
pub use guardrail::{RawGuardSystem, RawGuardrail};
pub use siem::{RawHeaderValue, RawSiem};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    pub data_dir: Option<String>,
    #[serde(default)]
    pub upstreams: Vec<RawUpstream>,
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, RawProviderKey>,
    #[serde(default)]
    pub routing: RawRouting,
    #[serde(default)]
    pub identity: RawIdentity,
    #[serde(default)]
    pub policy: RawPolicy,
    #[serde(default)]
    pub evidence: RawEvidence,
    #[serde(default)]
    pub classify: RawClassify,
    #[serde(default)]
    pub telemetry: RawTelemetry,
    #[serde(default)]
    pub siem: RawSiem,
    #[serde(default)]
    pub guardrail: RawGuardrail,
    #[serde(default)]
    pub limits: Vec<RawLimit>,
    #[serde(default)]
    pub prices: Vec<RawPrice>,
    /// `[limits_store]`: where the `[[limits]]` counters live.
    pub limits_store: Option<RawLimitsStore>,
}

/// `[limits_store]`: the counters in this process (`memory`) or shared in Redis.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimitsStore {
    /// `memory` (default) or `redis`.
    pub backend: Option<String>,
    /// `redis://host:port/db`; no password in it.
    pub url: Option<String>,
    pub password: Option<RawSecret>,
    pub key_prefix: Option<String>,
    /// How long a call waits on Redis (`50ms`).
    pub timeout: Option<String>,
    /// `fail_closed` (default) or `fail_open`.
    pub on_error: Option<String>,
}

/// `[[prices]]`: a model's price per million tokens, in one unit of money for the whole table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    /// Exact model name or `prefix*`.
    pub model: String,
    pub input: f64,
    pub output: f64,
}

/// `[[limits]]`: requests and tokens per interval for each principal, group, AI system or
/// upstream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    pub id: String,
    /// `principal`, `group`, `ai_system` or `upstream`.
    pub scope: String,
    /// The ids it applies to: exact, a `prefix*`, or `*` (the default): each id counts alone.
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    /// Calls per `per`.
    pub requests: Option<u32>,
    /// Input plus output tokens per `per`, as the providers report them after each call.
    pub tokens: Option<u64>,
    /// Money per `per`, in the `[[prices]]` unit.
    pub cost: Option<f64>,
    /// The interval (`1m` by default).
    pub per: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub max_connections: Option<usize>,
    /// Request-body bytes all connections together may hold in memory at once.
    pub max_inflight_body_bytes: Option<usize>,
    /// Request-body bytes one connection (all its HTTP/2 streams) may hold at once.
    pub max_connection_body_bytes: Option<usize>,
    /// Concurrent streams one HTTP/2 connection may open.
    pub h2_max_concurrent_streams: Option<u32>,
    pub header_read_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub body_read_timeout: Option<String>,
    pub shutdown_grace: Option<String>,
    pub tls: Option<RawTls>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub cert: String,
    pub key: String,
    pub client_ca: Option<String>,
    /// `required` (default when `client_ca` is set) or `optional`.
    pub client_auth: Option<String>,
}

/// A secret is referenced, never written inline: from an environment variable or a file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSecret {
    pub env: Option<String>,
    pub file: Option<String>,
}

/// A provider key under `[keys]`: a secret reference bound to the one upstream it belongs to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProviderKey {
    pub env: Option<String>,
    pub file: Option<String>,
    /// Name of the `[[upstreams]]` entry this key is injected into; never any other.
    pub upstream: Option<String>,
}

/// One name or a list of names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn names(&self) -> &[String] {
        match self {
            Self::One(s) => std::slice::from_ref(s),
            Self::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub name: String,
    /// An OpenAI-compatible provider preset (`mistral`, `groq`, ... see `config::presets`):
    /// supplies `kind`, `base_url` and the key's environment variable when they are left out.
    pub preset: Option<String>,
    /// `openai`, `anthropic`, `azure_openai` or `openai_compatible`.
    pub kind: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<RawSecret>,
    pub api_version: Option<String>,
    pub connect_timeout: Option<String>,
    pub first_byte_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    /// Extra request headers forwarded to this upstream, also next to an injected key (e.g.
    /// `anthropic-beta`); credential, hop-by-hop and aimsgate headers cannot be listed.
    #[serde(default)]
    pub forward_headers: Vec<String>,
    /// Upstreams serving the same models that a call may move on to, in order, when this one
    /// cannot answer (connect error, 429, 5xx); same API family only.
    #[serde(default)]
    pub fallbacks: Vec<String>,
    /// A `bedrock` upstream's signing region (default: the one its runtime host names).
    pub region: Option<String>,
    /// A `bedrock` upstream's profile in the shared AWS credentials file (default
    /// `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    /// Default upstream for OpenAI-shaped routes.
    pub openai: Option<String>,
    /// Default upstream for Anthropic-shaped routes.
    pub anthropic: Option<String>,
    /// Default upstream for Gemini routes.
    pub gemini: Option<String>,
    /// Default upstream for Bedrock routes.
    pub bedrock: Option<String>,
    #[serde(default)]
    pub models: Vec<RawModelRoute>,
    /// When false, only models matching a `models` entry may be called.
    pub allow_unlisted_models: Option<bool>,
    #[serde(default)]
    pub retry: RawRetry,
}

/// `[routing.retry]`: retries and failover of calls an upstream could not answer.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    /// Most upstream attempts per call, the first included (1: no retries).
    pub max_attempts: Option<u32>,
    /// Wait before the first retry of the same upstream; doubles per retry.
    pub backoff: Option<String>,
    /// Longest wait between attempts (a longer `retry-after` moves on or gives up instead).
    pub max_backoff: Option<String>,
    /// Retries allowed per call forwarded, over the process's life (a retry budget, so an
    /// outage does not multiply the load on what is left).
    pub budget_ratio: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModelRoute {
    /// Exact name or a trailing-`*` prefix pattern, e.g. `gpt-4o*`.
    pub pattern: String,
    pub upstream: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    /// Enabled modes: `virtual_key`, `jwt`, `mtls`, `trusted_header`, `pass_through`.
    pub modes: Option<Vec<String>>,
    #[serde(default)]
    pub virtual_keys: Vec<RawVirtualKey>,
    pub jwt: Option<RawJwt>,
    pub mtls: Option<RawMtls>,
    pub trusted_header: Option<RawTrustedHeader>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVirtualKey {
    /// `sha256:<hex>` of the issued key; the key itself is never stored.
    pub hash: String,
    pub principal: String,
    #[serde(default)]
    pub groups: Vec<String>,
    pub ai_system: Option<String>,
    /// Entries under `[keys]` injected upstream for this caller: one name or a list, at most one
    /// per upstream (each key is bound to its own upstream).
    pub upstream_key: Option<OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJwt {
    pub issuer: Option<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    pub jwks_file: Option<String>,
    #[serde(default)]
    pub public_keys: Vec<RawJwtKey>,
    pub hmac_secret: Option<RawSecret>,
    pub principal_claim: Option<String>,
    pub groups_claim: Option<String>,
    pub ai_system_claim: Option<String>,
    pub leeway_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJwtKey {
    pub file: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
    pub kid: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMtls {
    #[serde(default)]
    pub groups: Vec<RawMtlsGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMtlsGroup {
    /// Prefix of the SPIFFE ID or exact subject CN this mapping applies to.
    pub prefix: String,
    pub groups: Vec<String>,
    /// AI system (inventory id) certificates matching this mapping are bound to.
    pub ai_system: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrustedHeader {
    pub header: String,
    pub groups_header: Option<String>,
    pub trusted_peers: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// A bundle directory; the embedded baseline when absent.
    pub path: Option<String>,
    /// Reload when the bundle's files change (SIGHUP always reloads).
    pub watch: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvidence {
    /// `sync` (default) or `async`.
    pub durability: Option<String>,
    pub async_max_delay: Option<String>,
    /// Forward calls even when evidence cannot be written (default false: fail closed).
    pub fail_open: Option<bool>,
    pub segment_bytes: Option<u64>,
    pub checkpoint_every_records: Option<u64>,
    pub checkpoint_interval: Option<String>,
    pub retention_days: Option<u32>,
    /// Sync mode: shortest time between two durable group commits (e.g. "2ms"; default 0).
    pub min_commit_interval: Option<String>,
    /// Allow `retention_days` below the 183-day minimum (recorded in the log).
    pub retention_below_minimum: Option<bool>,
    /// The log's origin (checkpoint origin line and key name); default: the data dir's own.
    pub origin: Option<String>,
    /// Key for HMAC fingerprints of detected values (optional).
    pub hmac_key: Option<RawSecret>,
    /// The evidence signing key (`signing.key` text or its base64 seed) from an environment
    /// variable or a file, instead of `<data_dir>/signing.key`.
    pub signing_key: Option<RawSecret>,
    /// C2SP tlog-witness witnesses the latest checkpoint is sent to (`[[evidence.witness]]`).
    #[serde(default)]
    pub witness: Vec<RawWitness>,
    /// How often the latest checkpoint is sent to the witnesses (default `5s`).
    pub witness_interval: Option<String>,
}

/// One `[[evidence.witness]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWitness {
    /// A label for logs and metrics.
    pub name: String,
    /// Base URL; the client POSTs `<url>/add-checkpoint`.
    pub url: String,
    /// The witness's cosigner verifier key (C2SP vkey, signature type 0x04).
    pub vkey: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClassify {
    pub max_scan_bytes: Option<usize>,
    /// Scan responses as well as requests (the policy's output rules decide what to do).
    pub scan_responses: Option<bool>,
    /// Request shapes an API adapter does not recognise: `refuse` (default, 400) or `scan`.
    pub unknown_shapes: Option<String>,
    /// Well-known test values (`4111 1111 1111 1111`, `AKIAIOSFODNN7EXAMPLE`, ...): `detect`
    /// (default: found and marked as test values) or `ignore`.
    pub test_values: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelemetry {
    /// `text` (default) or `json`.
    pub log_format: Option<String>,
    /// An `EnvFilter` directive, e.g. `info` or `aimsgate=debug`.
    pub log_level: Option<String>,
    /// OpenTelemetry traces: `auto` (default: on when an OTLP endpoint is configured here or in
    /// `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`), `on` or `off`.
    pub traces: Option<String>,
    /// OTLP/HTTP base endpoint, like `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` is appended).
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the spans (default `OTEL_SERVICE_NAME`, else `aimsgate`).
    pub service_name: Option<String>,
}
