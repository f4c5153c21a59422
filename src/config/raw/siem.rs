//! `[siem]` as written: where the evidence copies are pushed (OTLP logs), how, and with which
//! request headers. Validated by `validate/siem.rs`; only the file format lives here.

use serde::Deserialize;

use super::RawSecret;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSiem {
    /// Push on (default: on when `endpoint` is set); `false` keeps the section but pushes nothing.
    pub enabled: Option<bool>,
    /// The OTLP receiver: `http(s)://host:port` (a path other than `/` is used as the whole
    /// OTLP/HTTP URL; without one `/v1/logs` is appended).
    pub endpoint: Option<String>,
    /// `http` (OTLP/HTTP protobuf, default) or `grpc` (OTLP/gRPC).
    pub protocol: Option<String>,
    /// Request headers (an auth token for the receiver): a plain string, or `{ env = ".." }` /
    /// `{ file = ".." }` (required for credential headers such as `authorization`).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, RawHeaderValue>,
    /// PEM file of CA certificates an `https://` endpoint may chain to, besides the Mozilla roots
    /// (a collector behind a private CA).
    pub ca_file: Option<String>,
    /// `service.name` of the pushed logs' resource (default `OTEL_SERVICE_NAME`, else `aimsgate`).
    pub service_name: Option<String>,
    /// Records waiting for export at most; newer ones are dropped (and counted) beyond it.
    pub queue_capacity: Option<usize>,
    /// Records per export request at most.
    pub batch_size: Option<usize>,
    /// Longest time a record waits for its batch to fill (e.g. `1s`).
    pub batch_timeout: Option<String>,
    /// Longest time one export request may take.
    pub timeout: Option<String>,
    /// Retries of a failed export (retryable failures only) before its batch is dropped.
    pub max_retries: Option<u32>,
    /// Wait before the first retry; doubles per retry up to `max_backoff`.
    pub initial_backoff: Option<String>,
    pub max_backoff: Option<String>,
}

/// A header value: inline (not a credential) or a secret reference.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawHeaderValue {
    Plain(String),
    Secret(RawSecret),
}
