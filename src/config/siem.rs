//! `[siem]` at run time: [`SiemSettings`], validated from [`super::raw::RawSiem`] by
//! `validate/siem.rs`. Plain data; the push itself is [`crate::telemetry::siem`]'s.

use std::time::Duration;

use super::Secret;

/// Which OTLP transport the records are pushed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiemProtocol {
    /// OTLP/HTTP with protobuf bodies (`POST /v1/logs`, `application/x-protobuf`).
    Http,
    /// OTLP/gRPC (`LogsService/Export` over HTTP/2).
    Grpc,
}

impl SiemProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Grpc => "grpc",
        }
    }
}

/// Where and how decision and outcome records are pushed as OpenTelemetry logs.
#[derive(Debug, Clone)]
pub struct SiemSettings {
    /// The whole request URL (OTLP/HTTP: `…/v1/logs`; gRPC:
    /// `…/opentelemetry.proto.collector.logs.v1.LogsService/Export`).
    pub url: http::Uri,
    pub protocol: SiemProtocol,
    /// Extra request headers; values are secrets (never logged).
    pub headers: Vec<(http::HeaderName, Secret)>,
    /// Extra trusted CA certificates (DER) for an `https://` endpoint (`ca_file`).
    pub ca_certs: Vec<Vec<u8>>,
    pub service_name: String,
    pub queue_capacity: usize,
    pub batch_size: usize,
    pub batch_timeout: Duration,
    pub timeout: Duration,
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}
