//! The request pipeline: one function per phase, in order, with one [`Ctx`] carried through.
//!
//! ```text
//!  route ─▶ identify ─▶ read_body ─▶ parse ─▶ select_upstream ─▶ classify ─▶ decide ─▶ enforce
//!                                                                                       │
//!  record (always runs: outcome evidence) ◀── respond (stream back) ◀── forward ◀── commit_decision
//! ```
//!
//! `route` runs first because it fixes the provider family, and so the error shape every later
//! refusal is written in (a 401 for an Anthropic route reads like Anthropic's own). Errors from any
//! phase short-circuit to [`super::respond::error_response`] — the one place errors become
//! responses — and then to [`Pipeline::record`], which also runs when a streamed body ends.
//! The phases only wire the cores; they hold no patterns and no policy rules.
//!
//! This file holds the context, the driver ([`Pipeline::handle`], [`Pipeline::run`]) and
//! `route`; the phases live beside it, one file per group: `identify` (caller and its headers),
//! `request` (body, parse, model), `select` (upstream and credential), `scan` (classification),
//! `decide` (policy, enforcement, decision record), `answer` (forward, relay) and `finish`
//! (outcome record and telemetry).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::body::{self, BodyStats, Inspector, Observed, ProxyBody, StreamEnd};
use super::inspect::{self, InspectReport, JsonObserver, OutputMode, SseInspector};
use super::trace::TraceContext;
use super::upstream::UpstreamCredential;
use super::{caller, record, respond, Shared};
use crate::classify::{self, Class, Finding, Redactor};
use crate::error::Error;
use crate::evidence::proto::{ClassAction, ValueFingerprint};
use crate::identity::{Credentials, Principal, UpstreamAuth};
use crate::policy::{self, Bundle, Decision, Effect, Facts};
use crate::providers::extract::{self, Api, Edit, Extracted, Literal, SegmentKind};
use crate::providers::{self, Family, Operation};
use crate::telemetry::otel::CallSpan;

/// The rule named when a call would need a provider key its credential is not bound to.
pub const CREDENTIAL_BINDING_RULE: &str = "gateway.upstream-credential-binding";

/// Facts about one TCP/TLS connection, shared by its requests.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub client_cert: Option<Arc<Vec<u8>>>,
    pub tls: bool,
}

/// Everything the phases learn about one call. Holds no prompt text and no credentials.
#[derive(Debug)]
pub struct Ctx {
    pub decision_id: String,
    pub request_id: String,
    pub trace: TraceContext,
    pub started: Instant,
    pub received_at: SystemTime,
    pub peer: SocketAddr,
    pub family: Family,
    pub op: Option<Operation>,
    pub principal: Option<Principal>,
    pub credential: UpstreamCredential,
    /// The `[keys]` set the credential maps to (each key bound to its own upstream).
    pub key_set: Option<String>,
    pub upstream: Option<usize>,
    pub model: Option<String>,
    pub stream: bool,
    pub max_tokens: Option<u64>,
    pub request_bytes: usize,
    pub ai_system_header: Option<String>,
    /// A header selection of an AI system that was not honoured (kept for the decision record).
    pub ai_system_refused: Option<String>,
    pub api: Option<Api>,
    pub upstream_name: Option<String>,
    pub upstream_kind: Option<&'static str>,
    /// The policy bundle this call was decided under (one snapshot for the whole call).
    pub bundle: Option<Arc<Bundle>>,
    pub decision: Option<Decision>,
    pub output: Option<OutputMode>,
    /// Per data class: count and what was done with it.
    pub class_actions: Vec<(String, u32, ClassAction)>,
    pub unscanned_bytes: u64,
    pub fingerprints: Vec<ValueFingerprint>,
    /// Set once the decision record is durable (or recorded as not needed), and also when its
    /// write failed but the record is kept to be written later (the outcome then says so).
    pub decision_committed: bool,
    /// The decision record's index in the evidence log (the caller's receipt).
    pub log_index: Option<u64>,
    pub status: Option<u16>,
    pub error_code: Option<&'static str>,
    /// The OpenTelemetry span of this call, when traces are exported.
    pub span: Option<CallSpan>,
    /// Time from arrival until the request left for the upstream.
    pub forwarded_after: Option<Duration>,
    /// Time spent enforcing output rules on a whole (non-streamed) answer.
    pub output_enforcement: Duration,
}

impl Ctx {
    fn new(conn: &ConnInfo, headers: &HeaderMap) -> Self {
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| caller::request_id_syntax(v))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let anthropic_hint =
            headers.contains_key("anthropic-version") || headers.contains_key("x-api-key");
        Self {
            decision_id: uuid::Uuid::now_v7().to_string(),
            request_id,
            trace: TraceContext::from_header(
                headers.get("traceparent").and_then(|v| v.to_str().ok()),
            ),
            started: Instant::now(),
            received_at: SystemTime::now(),
            peer: conn.peer,
            family: providers::family_hint(anthropic_hint),
            op: None,
            principal: None,
            credential: UpstreamCredential::None,
            key_set: None,
            upstream: None,
            model: None,
            stream: false,
            max_tokens: None,
            request_bytes: 0,
            ai_system_header: None,
            ai_system_refused: None,
            api: None,
            upstream_name: None,
            upstream_kind: None,
            bundle: None,
            decision: None,
            output: None,
            class_actions: Vec::new(),
            unscanned_bytes: 0,
            fingerprints: Vec::new(),
            decision_committed: false,
            log_index: None,
            status: None,
            error_code: None,
            span: None,
            forwarded_after: None,
            output_enforcement: Duration::ZERO,
        }
    }
}

/// The pipeline driver: the shared state plus the phases.
pub struct Pipeline {
    pub shared: Arc<Shared>,
}

mod answer;
mod decide;
mod finish;
mod identify;
mod request;
mod scan;
mod select;

pub use finish::OutcomeCtx;
pub use scan::Scan;

impl Pipeline {
    /// Run one call through every phase; never fails (errors become provider-shaped responses).
    pub async fn handle(&self, conn: &ConnInfo, req: Request<Incoming>) -> Response<ProxyBody> {
        let mut ctx = Ctx::new(conn, req.headers());
        self.vet_request_id(&mut ctx, req.headers());
        if let Some(traces) = &self.shared.traces {
            let t = &mut ctx.trace;
            let parent = t.parent_span_id.map(|p| (t.trace_id, p, t.sampled));
            let (span, trace_id, span_id) = traces.begin(parent, ctx.received_at);
            t.trace_id = trace_id;
            t.span_id = span_id;
            ctx.span = Some(span);
        }
        let mut resp = match self.run(&mut ctx, conn, req).await {
            Ok(resp) => resp,
            Err(err) => {
                let resp = respond::error_response(&ctx, &err);
                ctx.status = Some(resp.status().as_u16());
                ctx.error_code = Some(err.code());
                self.record(&mut ctx, Some(&err)).await;
                resp
            }
        };
        respond::stamp(&ctx, resp.headers_mut());
        resp
    }

    async fn run(
        &self,
        ctx: &mut Ctx,
        conn: &ConnInfo,
        req: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Error> {
        let (parts, body) = req.into_parts();
        let op = self.route(ctx, &parts)?;
        self.identify(ctx, conn, &parts)?;
        let bytes = self.read_body(ctx, &parts, body).await?;
        let extracted = self.parse(ctx, op, &bytes)?;
        self.vet_model(ctx)?;
        let upstream = self.select_upstream(ctx, op)?;
        let scan = self.classify(ctx, extracted.as_ref());
        self.decide(ctx, &scan)?;
        let bytes = self.enforce(ctx, &scan, extracted.as_ref(), bytes)?;
        // The extracted text and findings are not needed past enforcement: free them before
        // waiting on the evidence commit and the upstream, so a waiting call holds only its body.
        drop(scan);
        drop(extracted);
        self.commit_decision(ctx).await?;
        let resp = self.forward(ctx, &parts, upstream, op, bytes).await?;
        self.respond(ctx, resp).await
    }

    /// Phase 1 — match the route; fixes the operation and the error shape.
    fn route(&self, ctx: &mut Ctx, parts: &Parts) -> Result<Operation, Error> {
        let op = providers::route(parts.method.as_str(), parts.uri.path())?;
        // `ctx.family` holds the SDK-header hint from `Ctx::new` (it shapes a 404 too).
        ctx.family = op.family(ctx.family);
        ctx.op = Some(op);
        Ok(op)
    }
}

/// The extraction API of an operation; `None` for bodiless routes.
pub fn api_of(op: Operation) -> Option<Api> {
    match op {
        Operation::ChatCompletions => Some(Api::OpenAiChat),
        Operation::Responses => Some(Api::OpenAiResponses),
        Operation::Embeddings => Some(Api::OpenAiEmbeddings),
        Operation::Completions => Some(Api::OpenAiCompletions),
        Operation::Messages => Some(Api::AnthropicMessages),
        Operation::CountTokens => Some(Api::AnthropicCountTokens),
        Operation::Models => None,
    }
}

/// A response for requests that never reach the pipeline proper (used by tests and the demo).
pub fn plain(status: http::StatusCode, text: &'static str) -> Response<ProxyBody> {
    let mut r = Response::new(body::full(text));
    *r.status_mut() = status;
    r
}
