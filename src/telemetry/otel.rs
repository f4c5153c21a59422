//! OpenTelemetry traces over OTLP/HTTP (protobuf): one span per call, following the GenAI
//! semantic conventions (`gen_ai.*`, `server.address`), plus aimsgate's decision attributes
//! (`aimsgate.*`: decision id, effect, rule ids, data classes — never content).
//!
//! Owns the tracer provider, the attribute names and the export client: spans are batched and
//! exported from the tokio runtime through a hyper + rustls client (no second HTTP stack). The
//! span is started when the request arrives, so its span id is the one aimsgate propagates
//! upstream in `traceparent`; it is finished from a [`Call`] when the answer ends. Does not read
//! configuration files or the environment for endpoints ([`crate::config`] resolves them).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanKind, Status, TraceContextExt, TraceFlags, TraceState, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use super::call::{Call, Direction};
use crate::config::TracesSettings;

/// Longest wait for one export request.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest collector answer read (the OTLP response is tiny).
const MAX_RESPONSE: usize = 64 * 1024;

/// Why tracing could not start.
#[derive(Debug, thiserror::Error)]
#[error("OpenTelemetry exporter: {0}")]
pub struct TracesError(String);

/// The trace pipeline: a tracer and the provider that batches and exports its spans.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

/// The span of one call, between its start and [`Traces::finish`].
#[derive(Debug)]
pub struct CallSpan(opentelemetry_sdk::trace::Span);

impl Traces {
    /// Start exporting to `settings.endpoint`. Must run inside the tokio runtime.
    pub fn start(settings: &TracesSettings) -> Result<Self, TracesError> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(ExportClient::new()?)
            .with_endpoint(settings.endpoint.clone())
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| TracesError(e.to_string()))?;
        let processor =
            BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
        let resource = Resource::builder()
            .with_service_name(settings.service_name.clone())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource)
            .build();
        let tracer = provider.tracer("aimsgate");
        Ok(Self { provider, tracer })
    }

    /// Start the span of a call that arrived at `start`, as a child of the caller's span when a
    /// valid `traceparent` came in. Returns the span and the trace and span ids to propagate.
    pub fn begin(
        &self,
        parent: Option<([u8; 16], [u8; 8], bool)>,
        start: SystemTime,
    ) -> (CallSpan, [u8; 16], [u8; 8]) {
        let cx = match parent {
            Some((trace, span, sampled)) => {
                Context::new().with_remote_span_context(SpanContext::new(
                    opentelemetry::TraceId::from_bytes(trace),
                    opentelemetry::SpanId::from_bytes(span),
                    if sampled {
                        TraceFlags::SAMPLED
                    } else {
                        TraceFlags::default()
                    },
                    true,
                    TraceState::default(),
                ))
            }
            None => Context::new(),
        };
        let span = self
            .tracer
            .span_builder("aimsgate call")
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .start_with_context(&self.tracer, &cx);
        let sc = span.span_context();
        let ids = (sc.trace_id().to_bytes(), sc.span_id().to_bytes());
        (CallSpan(span), ids.0, ids.1)
    }

    /// Name, annotate and end the call's span.
    pub fn finish(&self, CallSpan(mut span): CallSpan, call: &Call) {
        span.update_name(span_name(call));
        span.set_attributes(attributes(call));
        if let Some(code) = call.error {
            span.set_status(Status::error(code));
        } else if call.status >= 500 {
            span.set_status(Status::error(call.status.to_string()));
        }
        span.end_with_timestamp(call.start + call.duration);
    }

    /// Flush buffered spans and stop the exporter (blocks; call outside async code or from
    /// `spawn_blocking`).
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "OpenTelemetry exporter did not shut down cleanly");
        }
    }
}

/// `{gen_ai.operation.name} {gen_ai.request.model}`, as the GenAI conventions name spans.
fn span_name(c: &Call) -> String {
    match (c.gen_ai_operation, c.model.as_deref()) {
        (Some(op), Some(model)) => format!("{op} {model}"),
        (Some(op), None) => op.to_owned(),
        (None, _) => "aimsgate refused".to_owned(),
    }
}

fn strings(values: impl IntoIterator<Item = String>) -> Value {
    Value::Array(
        values
            .into_iter()
            .map(StringValue::from)
            .collect::<Vec<_>>()
            .into(),
    )
}

/// The span attributes of a call: GenAI semantic conventions, then aimsgate's own.
pub fn attributes(c: &Call) -> Vec<KeyValue> {
    let mut a = Vec::with_capacity(24);
    if let Some(op) = c.gen_ai_operation {
        a.push(KeyValue::new("gen_ai.operation.name", op));
    }
    if let Some(p) = c.gen_ai_provider() {
        a.push(KeyValue::new("gen_ai.provider.name", p));
    }
    if let Some(m) = &c.model {
        a.push(KeyValue::new("gen_ai.request.model", m.clone()));
    }
    if let Some(n) = c.input_tokens {
        a.push(KeyValue::new("gen_ai.usage.input_tokens", saturate(n)));
    }
    if let Some(n) = c.output_tokens {
        a.push(KeyValue::new("gen_ai.usage.output_tokens", saturate(n)));
    }
    if let Some(host) = &c.server_address {
        a.push(KeyValue::new("server.address", host.clone()));
    }
    if let Some(port) = c.server_port {
        a.push(KeyValue::new("server.port", i64::from(port)));
    }
    if c.status != 0 {
        a.push(KeyValue::new(
            "http.response.status_code",
            i64::from(c.status),
        ));
    }
    if let Some(e) = c.error {
        a.push(KeyValue::new("error.type", e));
    }
    a.push(KeyValue::new("aimsgate.decision.id", c.decision_id.clone()));
    a.push(KeyValue::new("aimsgate.decision.effect", c.effect));
    a.push(KeyValue::new(
        "aimsgate.decision.rule_ids",
        strings(c.rules.iter().cloned()),
    ));
    if !c.monitored.is_empty() {
        a.push(KeyValue::new(
            "aimsgate.decision.monitor_rule_ids",
            strings(c.monitored.iter().map(|(r, _)| r.clone())),
        ));
    }
    let classes = |d: Direction| {
        let mut v: Vec<String> = c
            .classes
            .iter()
            .filter(|f| f.direction == d)
            .map(|f| f.class.clone())
            .collect();
        v.dedup();
        strings(v)
    };
    a.push(KeyValue::new(
        "aimsgate.request.data_classes",
        classes(Direction::Request),
    ));
    a.push(KeyValue::new(
        "aimsgate.response.data_classes",
        classes(Direction::Response),
    ));
    if let Some(s) = &c.ai_system {
        a.push(KeyValue::new("aimsgate.ai_system.id", s.clone()));
    }
    if let Some(v) = &c.policy_version {
        a.push(KeyValue::new("aimsgate.policy.version", v.clone()));
    }
    if let Some(u) = &c.upstream {
        a.push(KeyValue::new("aimsgate.upstream", u.clone()));
    }
    a.push(KeyValue::new("aimsgate.stream", c.stream));
    a.push(KeyValue::new(
        "aimsgate.added_latency_ms",
        c.added_latency.as_secs_f64() * 1000.0,
    ));
    a
}

fn saturate(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The OTLP exporter's HTTP client: hyper-util's pooled client over rustls (webpki roots).
#[derive(Debug, Clone)]
struct ExportClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl ExportClient {
    fn new() -> Result<Self, TracesError> {
        let tls = crate::tls_client::client_config().map_err(|e| TracesError(e.to_string()))?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, opentelemetry_http::HttpError> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(body));
        let exchange = async {
            let response = self.client.request(request).await?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE).collect().await?.to_bytes();
            Ok::<_, opentelemetry_http::HttpError>(http::Response::from_parts(parts, body))
        };
        tokio::time::timeout(EXPORT_TIMEOUT, exchange)
            .await
            .map_err(|_| "OTLP export timed out")?
    }
}

#[cfg(test)]
mod tests;
