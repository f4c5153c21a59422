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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::body::{self, BodyStats, NoInspection, Observed, ProxyBody, StreamEnd};
use super::respond;
use super::trace::TraceContext;
use super::upstream::UpstreamCredential;
use super::Shared;
use crate::error::Error;
use crate::identity::{Credentials, Principal, UpstreamAuth};
use crate::providers::extract::{self, Api, Extracted};
use crate::providers::{self, Family, Operation};

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
    pub upstream: Option<usize>,
    pub model: Option<String>,
    pub stream: bool,
    pub max_tokens: Option<u64>,
    pub request_bytes: usize,
    pub ai_system_header: Option<String>,
    /// Set once the decision record is durable (or recorded as not needed).
    pub decision_committed: bool,
    pub status: Option<u16>,
    pub error_code: Option<&'static str>,
}

impl Ctx {
    fn new(conn: &ConnInfo, headers: &HeaderMap) -> Self {
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
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
            upstream: None,
            model: None,
            stream: false,
            max_tokens: None,
            request_bytes: 0,
            ai_system_header: None,
            decision_committed: false,
            status: None,
            error_code: None,
        }
    }
}

/// The pipeline driver: the shared state plus the phases.
pub struct Pipeline {
    pub shared: Arc<Shared>,
}

impl Pipeline {
    /// Run one call through every phase; never fails (errors become provider-shaped responses).
    pub async fn handle(&self, conn: &ConnInfo, req: Request<Incoming>) -> Response<ProxyBody> {
        let mut ctx = Ctx::new(conn, req.headers());
        let mut resp = match self.run(&mut ctx, conn, req).await {
            Ok(resp) => resp,
            Err(err) => {
                let resp = respond::error_response(&ctx, &err);
                ctx.status = Some(resp.status().as_u16());
                ctx.error_code = Some(err.code());
                self.record(&mut ctx, Some(&err), None);
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
        let upstream = self.select_upstream(ctx, op)?;
        let scan = self.classify(ctx, extracted.as_ref());
        let verdict = self.decide(ctx, &scan);
        let bytes = self.enforce(ctx, verdict, bytes)?;
        self.commit_decision(ctx).await?;
        let resp = self.forward(ctx, &parts, upstream, op, bytes).await?;
        Ok(self.respond(ctx, resp))
    }

    /// Phase 1 — match the route; fixes the operation and the error shape.
    fn route(&self, ctx: &mut Ctx, parts: &Parts) -> Result<Operation, Error> {
        let op = providers::route(parts.method.as_str(), parts.uri.path())?;
        ctx.family = op.family();
        ctx.op = Some(op);
        Ok(op)
    }

    /// Phase 2 — bind the caller to a principal; nothing goes upstream without one.
    fn identify(&self, ctx: &mut Ctx, conn: &ConnInfo, parts: &Parts) -> Result<(), Error> {
        let h = &parts.headers;
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        let (trusted_identity, trusted_groups) = match &self.shared.trusted_header {
            Some((id, groups)) => (text(id), groups.as_deref().and_then(text)),
            None => (None, None),
        };
        let creds = Credentials {
            authorization: text("authorization"),
            api_key: text("x-api-key"),
            peer_ip: conn.peer.ip(),
            client_cert_der: conn.client_cert.as_deref().map(Vec::as_slice),
            trusted_identity,
            trusted_groups,
        };
        let now = ctx
            .received_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let identified = self
            .shared
            .auth
            .authenticate(&creds, now)
            .map_err(|e| Error::Unauthenticated(e.to_string()))?;
        ctx.credential = match identified.upstream {
            UpstreamAuth::PassThrough => UpstreamCredential::PassThrough,
            UpstreamAuth::Inject { key_ref } => match self.shared.config.keys.get(&key_ref) {
                Some(k) => UpstreamCredential::Key(k.clone()),
                None => {
                    return Err(Error::Internal(format!(
                        "provider key `{key_ref}` is not configured"
                    )))
                }
            },
            UpstreamAuth::Default => UpstreamCredential::None,
        };
        ctx.ai_system_header = text("x-aimsgate-ai-system").map(str::to_owned);
        ctx.principal = Some(identified.principal);
        Ok(())
    }

    /// Phase 3 — read the whole request body, bounded in size and time.
    async fn read_body(
        &self,
        ctx: &mut Ctx,
        parts: &Parts,
        body: Incoming,
    ) -> Result<Bytes, Error> {
        let limit = self.shared.config.server.max_body_bytes;
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Error::BodyTooLarge { limit });
        }
        let timeout = self.shared.config.server.body_read_timeout;
        let collected = tokio::time::timeout(timeout, Limited::new(body, limit).collect())
            .await
            .map_err(|_| Error::BodyTimeout {
                secs: timeout.as_secs(),
            })?;
        let bytes = match collected {
            Ok(c) => c.to_bytes(),
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                return Err(Error::BodyTooLarge { limit })
            }
            Err(e) => {
                return Err(Error::MalformedBody(format!(
                    "could not read the body: {e}"
                )))
            }
        };
        ctx.request_bytes = bytes.len();
        Ok(bytes)
    }

    /// Phase 4 — parse the JSON and extract the text that will reach the model.
    fn parse(
        &self,
        ctx: &mut Ctx,
        op: Operation,
        bytes: &Bytes,
    ) -> Result<Option<Extracted>, Error> {
        let Some(api) = api_of(op) else {
            return Ok(None);
        };
        let ex = extract::extract(api, bytes).map_err(|e| Error::MalformedBody(e.to_string()))?;
        ctx.model = ex.model.clone();
        ctx.stream = ex.stream;
        ctx.max_tokens = ex.max_tokens;
        Ok(Some(ex))
    }

    /// Phase 5 — pick the upstream from configuration only: model map, then family default.
    fn select_upstream(&self, ctx: &mut Ctx, op: Operation) -> Result<usize, Error> {
        let cfg = &self.shared.config;
        let family_default = match op.family() {
            Family::OpenAi => cfg.routing.openai,
            Family::Anthropic => cfg.routing.anthropic,
        };
        let wants_anthropic = op.family() == Family::Anthropic;
        let chosen = match cfg.routing.upstream_for(ctx.model.as_deref()) {
            Some(r) if cfg.upstreams[r.upstream].kind.is_anthropic() == wants_anthropic => {
                Some(r.upstream)
            }
            Some(r) => {
                return Err(Error::ModelNotAllowed {
                    model: ctx.model.clone().unwrap_or_default(),
                    reason: format!(
                        "it is served by upstream `{}`, which does not speak this API",
                        cfg.upstreams[r.upstream].name
                    ),
                })
            }
            None if !cfg.routing.allow_unlisted_models && op != Operation::Models => {
                return Err(Error::ModelNotAllowed {
                    model: ctx.model.clone().unwrap_or_else(|| "(none)".into()),
                    reason: "it is not on the gateway's model allow-list".into(),
                })
            }
            None => family_default,
        };
        let idx = chosen.ok_or(Error::NoUpstream {
            api: op.family().as_str(),
        })?;
        if matches!(ctx.credential, UpstreamCredential::None) {
            if let Some(k) = &cfg.upstreams[idx].api_key {
                ctx.credential = UpstreamCredential::Key(k.clone());
            }
        }
        ctx.upstream = Some(idx);
        Ok(idx)
    }

    /// Phase 6 — classify the extracted text. (No-op until the classifier is wired.)
    fn classify(&self, _ctx: &mut Ctx, _extracted: Option<&Extracted>) -> Scan {
        Scan
    }

    /// Phase 7 — evaluate the policy. (Allows until the policy core is wired.)
    fn decide(&self, _ctx: &mut Ctx, _scan: &Scan) -> Verdict {
        Verdict::Allow
    }

    /// Phase 8 — apply the verdict: forward untouched, rewrite, or refuse.
    fn enforce(&self, _ctx: &mut Ctx, verdict: Verdict, bytes: Bytes) -> Result<Bytes, Error> {
        match verdict {
            Verdict::Allow => Ok(bytes),
        }
    }

    /// Phase 9 — make the decision record durable before anything leaves the proxy.
    async fn commit_decision(&self, ctx: &mut Ctx) -> Result<(), Error> {
        if self.shared.is_shutting_down() {
            return Err(Error::ShuttingDown);
        }
        ctx.decision_committed = true;
        Ok(())
    }

    /// Phase 10 — send the (original or rewritten) bytes to the configured upstream.
    async fn forward(
        &self,
        ctx: &mut Ctx,
        parts: &Parts,
        idx: usize,
        op: Operation,
        bytes: Bytes,
    ) -> Result<Response<Incoming>, Error> {
        let up = &self.shared.upstreams[idx];
        let uri = up.url(op, ctx.model.as_deref(), parts.uri.query())?;
        let headers = up.headers(
            &parts.headers,
            &ctx.credential,
            &self.shared.strip_headers,
            &ctx.trace.header(),
            &ctx.request_id,
        );
        let mut builder = Request::builder().method(parts.method.clone()).uri(uri);
        if let Some(h) = builder.headers_mut() {
            *h = headers;
            if op.has_body() {
                h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            }
        }
        let req = builder
            .body(Full::new(bytes))
            .map_err(|e| Error::Internal(format!("building upstream request: {e}")))?;
        up.send(req).await
    }

    /// Phase 11 — stream the upstream's answer back; the record phase runs when it ends.
    fn respond(&self, ctx: &mut Ctx, resp: Response<Incoming>) -> Response<ProxyBody> {
        let (mut parts, incoming) = resp.into_parts();
        respond::strip_hop_by_hop(&mut parts.headers);
        ctx.status = Some(parts.status.as_u16());
        let idle = ctx
            .upstream
            .map(|i| self.shared.upstreams[i].config.idle_timeout)
            .unwrap_or_default();
        let summary = OutcomeCtx::take(ctx);
        let shared = self.shared.clone();
        let observed = Observed::new(
            incoming,
            Box::new(NoInspection),
            idle,
            ctx.started,
            Box::new(move |stats, _inspector| Pipeline { shared }.record_outcome(summary, stats)),
        );
        Response::from_parts(parts, observed.boxed_unsync())
    }

    /// Phase 12 (error path) — the last phase: log and record calls that ended in an error.
    fn record(&self, ctx: &mut Ctx, err: Option<&Error>, stats: Option<BodyStats>) {
        let summary = OutcomeCtx::take(ctx);
        let stats = stats.unwrap_or(BodyStats {
            end: StreamEnd::Complete,
            bytes: 0,
            first_byte: None,
        });
        if let Some(e) = err {
            tracing::event!(target: "aimsgate::access", tracing::Level::DEBUG, code = e.code(), "refused or failed");
        }
        self.record_outcome(summary, stats);
    }

    /// Phase 12 — the last phase: the access log line and (once wired) the outcome record.
    fn record_outcome(&self, o: OutcomeCtx, stats: BodyStats) {
        let upstream = o
            .upstream
            .map(|i| self.shared.upstreams[i].config.name.as_str())
            .unwrap_or("-");
        tracing::info!(
            target: "aimsgate::access",
            decision_id = %o.decision_id,
            request_id = %o.request_id,
            trace_id = %o.trace_id,
            principal = %o.principal.as_deref().unwrap_or("-"),
            op = o.op.map(Operation::as_str).unwrap_or("-"),
            upstream,
            model = %o.model.as_deref().unwrap_or("-"),
            status = o.status.unwrap_or(0),
            error = o.error_code.unwrap_or("-"),
            stream = o.stream,
            end = ?stats.end,
            bytes = stats.bytes,
            latency_us = o.started.elapsed().as_micros() as u64,
            "call"
        );
    }
}

/// What the record phase needs after the context is gone (streamed bodies outlive `handle`).
#[derive(Debug)]
pub struct OutcomeCtx {
    pub decision_id: String,
    pub request_id: String,
    pub trace_id: String,
    pub principal: Option<String>,
    pub op: Option<Operation>,
    pub upstream: Option<usize>,
    pub model: Option<String>,
    pub status: Option<u16>,
    pub error_code: Option<&'static str>,
    pub stream: bool,
    pub started: Instant,
}

impl OutcomeCtx {
    fn take(ctx: &Ctx) -> Self {
        Self {
            decision_id: ctx.decision_id.clone(),
            request_id: ctx.request_id.clone(),
            trace_id: ctx.trace.trace_id_hex(),
            principal: ctx.principal.as_ref().map(|p| p.id.clone()),
            op: ctx.op,
            upstream: ctx.upstream,
            model: ctx.model.clone(),
            status: ctx.status,
            error_code: ctx.error_code,
            stream: ctx.stream,
            started: ctx.started,
        }
    }
}

/// The classifier's view of a request (filled once the classifier is wired).
#[derive(Debug, Default)]
pub struct Scan;

/// What enforcement must do.
#[derive(Debug)]
pub enum Verdict {
    Allow,
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
