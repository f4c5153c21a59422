//! [`Call`]: what telemetry learns about one finished call — ids, names, numbers and rule ids,
//! never prompt text, credentials or principal ids. The proxy fills it once per call (refused or
//! forwarded, streamed or not); [`super::Telemetry::observe`] turns it into metrics and a span.
//! Holds no HTTP types and no business logic.

use std::time::{Duration, SystemTime};

/// Which way data was flowing when a class was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// In the caller's request.
    Request,
    /// In the model's answer.
    Response,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// A data class found in a call, how often, and what was done with it
/// (`allowed`, `redacted`, `blocked`, `observed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassCount {
    pub class: String,
    pub count: u32,
    pub action: &'static str,
    pub direction: Direction,
}

/// The W3C trace ids of the call: the span aimsgate reports is the one whose id it sent upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceIds {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: Option<[u8; 8]>,
    pub sampled: bool,
}

/// One finished call.
#[derive(Clone, Debug)]
pub struct Call {
    pub decision_id: String,
    pub trace: TraceIds,
    /// When the request arrived, and how long until its answer ended.
    pub start: SystemTime,
    pub duration: Duration,
    /// aimsgate's operation name (`chat`, `responses`, `messages`, ...), if the route matched.
    pub operation: Option<&'static str>,
    /// Its OpenTelemetry GenAI `gen_ai.operation.name` (from the proxy's route table).
    pub gen_ai_operation: Option<&'static str>,
    /// The upstream's configured name and kind (`openai`, `anthropic`, `azure_openai`,
    /// `openai_compatible`), host and port, once one was selected.
    pub upstream: Option<String>,
    pub upstream_kind: Option<&'static str>,
    pub server_address: Option<String>,
    pub server_port: Option<u16>,
    /// The model the caller asked for.
    pub model: Option<String>,
    /// The AI system the call was bound to (registered or not).
    pub ai_system: Option<String>,
    /// Metric label values, from configured names only (`other` for anything else, `-` when
    /// absent): the configured pattern the model matched, the inventory id of a registered
    /// system. The proxy derives them; metrics never label with a caller's string.
    pub model_label: String,
    pub ai_system_label: String,
    /// `allow`, `redact`, `block`, `review`, or `error` when no decision was reached.
    pub effect: &'static str,
    /// Enforced rules that decided, and monitor-mode rules with what they would have done.
    pub rules: Vec<String>,
    pub monitored: Vec<(String, &'static str)>,
    pub policy_version: Option<String>,
    pub classes: Vec<ClassCount>,
    /// The HTTP status the caller got (0 if the stream broke before a status was known).
    pub status: u16,
    /// aimsgate's error code when the call failed or was refused.
    pub error: Option<&'static str>,
    pub stream: bool,
    /// Time aimsgate itself spent before the request left for the upstream, plus any whole-answer
    /// output enforcement; for calls answered by aimsgate, the whole call.
    pub added_latency: Duration,
    /// Time to the first byte of a streamed answer, from request arrival.
    pub time_to_first_token: Option<Duration>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

impl Call {
    /// The OpenTelemetry GenAI `gen_ai.provider.name` of the upstream.
    pub fn gen_ai_provider(&self) -> Option<String> {
        Some(gen_ai_provider_name(
            self.upstream_kind?,
            self.upstream.as_deref(),
        ))
    }
}

/// The OpenTelemetry GenAI `gen_ai.provider.name` of an upstream of kind `kind` (`openai`,
/// `anthropic`, `azure_openai`, `openai_compatible`) configured as `upstream`.
pub fn gen_ai_provider_name(kind: &str, upstream: Option<&str>) -> String {
    match kind {
        "openai" => "openai".to_owned(),
        "anthropic" => "anthropic".to_owned(),
        "azure_openai" => "azure.ai.openai".to_owned(),
        // A custom OpenAI-compatible server: the spec asks for a custom value.
        _ => upstream
            .filter(|u| !u.is_empty())
            .unwrap_or("openai_compatible")
            .to_owned(),
    }
}

#[cfg(test)]
impl Call {
    /// A streamed, redacted chat call with findings, tokens and a monitor rule (for tests).
    pub fn sample() -> Self {
        Call {
            decision_id: "0190-test".into(),
            trace: TraceIds {
                trace_id: [0x4b; 16],
                span_id: [0x11; 8],
                parent_span_id: Some([0x22; 8]),
                sampled: true,
            },
            start: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            duration: Duration::from_millis(120),
            operation: Some("chat"),
            gen_ai_operation: Some("chat"),
            upstream: Some("openai".into()),
            upstream_kind: Some("openai"),
            server_address: Some("api.openai.com".into()),
            server_port: Some(443),
            model: Some("gpt-4o-mini".into()),
            ai_system: Some("support-bot".into()),
            model_label: "gpt-4o*".into(),
            ai_system_label: "support-bot".into(),
            effect: "redact",
            rules: vec!["pii-redact".into()],
            monitored: vec![("secrets-block".into(), "block")],
            policy_version: Some("2026.11".into()),
            classes: vec![
                ClassCount {
                    class: "pii.email".into(),
                    count: 2,
                    action: "redacted",
                    direction: Direction::Request,
                },
                ClassCount {
                    class: "secret.api_key".into(),
                    count: 1,
                    action: "observed",
                    direction: Direction::Response,
                },
            ],
            status: 200,
            error: None,
            stream: true,
            added_latency: Duration::from_micros(700),
            time_to_first_token: Some(Duration::from_millis(40)),
            input_tokens: Some(12),
            output_tokens: Some(30),
        }
    }
}
