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
    /// Set once the decision record is durable (or recorded as not needed).
    pub decision_committed: bool,
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
        ctx.family = op.family();
        ctx.op = Some(op);
        Ok(op)
    }

    /// Phase 2 — bind the caller to a principal; nothing goes upstream without one.
    fn identify(&self, ctx: &mut Ctx, conn: &ConnInfo, parts: &Parts) -> Result<(), Error> {
        let h = &parts.headers;
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        // A repeated credential or identity header is ambiguous (one copy binds the identity,
        // another may be read upstream): refused in every mode.
        let trusted = self.shared.trusted_header.as_ref();
        let identity_headers = ["authorization", "x-api-key"]
            .into_iter()
            .chain(trusted.map(|(id, _)| id.as_str()))
            .chain(trusted.and_then(|(_, g)| g.as_deref()));
        for name in identity_headers {
            if h.get_all(name).iter().nth(1).is_some() {
                return Err(Error::Unauthenticated(format!(
                    "the request carries more than one `{name}` header; send exactly one credential"
                )));
            }
        }
        let (trusted_identity, trusted_groups) = match trusted {
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
            UpstreamAuth::Inject { key_ref } => {
                if !self.shared.config.keys.contains_key(&key_ref) {
                    return Err(Error::Internal(format!(
                        "provider key set `{key_ref}` is not configured"
                    )));
                }
                // Which key of the set is injected depends on the upstream: select_upstream.
                ctx.key_set = Some(key_ref);
                UpstreamCredential::None
            }
            UpstreamAuth::Default => UpstreamCredential::None,
        };
        ctx.ai_system_header = self.ai_system_header(h)?;
        ctx.principal = Some(identified.principal);
        Ok(())
    }

    /// The `x-aimsgate-ai-system` header, validated before anything can store it: one value, an
    /// inventory id (1-128 of `A-Z a-z 0-9 - _ .`), and nothing the classifier flags (a
    /// credential pasted there must not reach the evidence as a system name).
    fn ai_system_header(&self, h: &HeaderMap) -> Result<Option<String>, Error> {
        const NAME: &str = "x-aimsgate-ai-system";
        let mut values = h.get_all(NAME).iter();
        let Some(v) = values.next() else {
            return Ok(None);
        };
        let bad = |reason: &str| Error::BadHeader {
            header: NAME,
            reason: reason.to_owned(),
        };
        if values.next().is_some() {
            return Err(bad("send it at most once"));
        }
        let v = v.to_str().map_err(|_| bad("it must be ASCII"))?.trim();
        if v.is_empty() {
            return Ok(None);
        }
        let is_id = v.len() <= 128
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !is_id {
            return Err(bad(
                "it must be an AI system id from the inventory (1-128 of A-Z a-z 0-9 - _ .)",
            ));
        }
        if let Some(f) = self.shared.classifier.load().classify(v).items.first() {
            return Err(bad(&format!(
                "its value contains data of class {}, not an AI system id",
                f.class.as_str()
            )));
        }
        Ok(Some(v.to_owned()))
    }

    /// Phase 3 — read the whole request body, bounded in size, time and memory: bytes are charged
    /// to the connection's and the process's in-flight body budgets as they arrive (see
    /// [`super::budget`]); a route that takes no body refuses one (400) and forwards nothing.
    async fn read_body(
        &self,
        ctx: &mut Ctx,
        parts: &Parts,
        body: Incoming,
    ) -> Result<Bytes, Error> {
        let server = &self.shared.config.server;
        let limit = server.max_body_bytes;
        let timeout = server.body_read_timeout;
        let timed_out = |_| Error::BodyTimeout {
            secs: timeout.as_secs(),
        };
        let length = parts.headers.get(http::header::CONTENT_LENGTH);
        if let Some(op) = ctx.op.filter(|op| !op.has_body()) {
            // Anything but an absent or zero Content-Length is a body (or a lie about one).
            let declared_nonzero = length.is_some_and(|v| v.as_bytes() != b"0");
            return match tokio::time::timeout(timeout, body::refuse_any(body, declared_nonzero))
                .await
                .map_err(timed_out)?
            {
                Ok(()) => Ok(Bytes::new()),
                Err(body::ReadError::Transport(e)) => Err(Error::MalformedBody(format!(
                    "could not read the body: {e}"
                ))),
                Err(_) => Err(Error::BodyNotAllowed { route: op.as_str() }),
            };
        }
        let declared = length
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Error::BodyTooLarge { limit });
        }
        let budgets = parts.extensions.get::<super::budget::BodyBudgets>();
        let read = body::read_request(body, limit, declared, budgets);
        let bytes = match tokio::time::timeout(timeout, read)
            .await
            .map_err(timed_out)?
        {
            Ok(b) => b,
            Err(body::ReadError::TooLarge | body::ReadError::NotAllowed) => {
                return Err(Error::BodyTooLarge { limit })
            }
            Err(body::ReadError::Budget(scope)) => {
                return Err(Error::BodyBudgetExhausted {
                    per_connection: scope == super::budget::Scope::Connection,
                })
            }
            Err(body::ReadError::Transport(e)) => {
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
        ctx.api = Some(api);
        let opts = extract::ExtractOptions {
            unknown_shapes: self.shared.config.classify.unknown_shapes,
        };
        let ex = extract::extract_with(api, bytes, opts).map_err(|e| match e {
            extract::ExtractError::UnknownShape { .. } => Error::UnknownShape(e.to_string()),
            e => Error::MalformedBody(e.to_string()),
        })?;
        ctx.model = ex.model.clone();
        ctx.stream = ex.stream;
        ctx.max_tokens = ex.max_tokens;
        Ok(Some(ex))
    }

    /// A caller's `x-request-id` is kept only when it is an id: bounded printable ASCII (checked
    /// in [`Ctx::new`]) in which the classifier finds nothing. Otherwise the call gets a
    /// generated id, so a secret pasted there reaches no log, trace or evidence record.
    fn vet_request_id(&self, ctx: &mut Ctx, headers: &HeaderMap) {
        if !headers.contains_key("x-request-id") {
            return;
        }
        let flagged = !self
            .shared
            .classifier
            .load()
            .classify(&ctx.request_id)
            .items
            .is_empty();
        if flagged {
            ctx.request_id = uuid::Uuid::new_v4().to_string();
        }
    }

    /// Phase 4b — the `model` must be a model name ([`caller::model_syntax`]) in which the
    /// classifier finds nothing, before logs, metrics or evidence can hold it; else 400, and the
    /// value is dropped from the call's record.
    fn vet_model(&self, ctx: &mut Ctx) -> Result<(), Error> {
        let Some(model) = ctx.model.take() else {
            return Ok(());
        };
        let bad = |reason: String| Error::BadField {
            field: "model",
            reason,
        };
        caller::model_syntax(&model).map_err(|r| bad(r.to_owned()))?;
        if let Some(f) = self.shared.classifier.load().classify(&model).items.first() {
            return Err(bad(format!(
                "it contains data of class {}, not a model name",
                f.class.as_str()
            )));
        }
        ctx.model = Some(model);
        Ok(())
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
        ctx.upstream = Some(idx);
        ctx.upstream_name = Some(cfg.upstreams[idx].name.clone());
        ctx.upstream_kind = Some(cfg.upstreams[idx].kind.as_str());
        ctx.credential = self.upstream_credential(ctx, idx)?;
        Ok(idx)
    }

    /// The credential sent to upstream `idx`: a provider key only ever goes to the upstream it is
    /// bound to. A caller whose credential maps keys, none of them for this upstream, gets the
    /// upstream's own configured key, or is refused when there is none.
    fn upstream_credential(&self, ctx: &Ctx, idx: usize) -> Result<UpstreamCredential, Error> {
        let cfg = &self.shared.config;
        let own = cfg.upstreams[idx].api_key.clone();
        match (&ctx.credential, &ctx.key_set) {
            (UpstreamCredential::None, Some(set)) => {
                match cfg.keys.get(set).and_then(|s| s.for_upstream(idx)) {
                    Some(k) => Ok(UpstreamCredential::Key(k.clone())),
                    None => match own {
                        Some(k) => Ok(UpstreamCredential::Key(k)),
                        None => Err(Error::Refused {
                            rule: CREDENTIAL_BINDING_RULE.to_owned(),
                            message: format!(
                                "this call goes to upstream `{}`, and the caller's credential maps no provider key for it (provider keys are only ever injected into the upstream they are bound to)",
                                cfg.upstreams[idx].name
                            ),
                            fix: "use a model or route served by an upstream your key is bound to, or ask the gateway operator to bind a key for this upstream to your credential".to_owned(),
                        }),
                    },
                }
            }
            (UpstreamCredential::None, None) => {
                Ok(own.map_or(UpstreamCredential::None, UpstreamCredential::Key))
            }
            (other, _) => Ok(other.clone()),
        }
    }

    /// Phase 6 — classify every piece of text that will reach the model. The segments are
    /// classified as the parts of one request: a value split across two messages or content
    /// parts is found, counted once, and its piece in every part is redacted.
    fn classify(&self, ctx: &mut Ctx, extracted: Option<&Extracted>) -> Scan {
        let Some(ex) = extracted else {
            return Scan::default();
        };
        let classifier = self.shared.classifier.load_full();
        ctx.unscanned_bytes += ex.skipped_binary_bytes as u64;
        let parts: Vec<&str> = ex.segments.iter().map(|s| s.text.as_str()).collect();
        // The conversation's text (messages, content parts, inputs, tool calls and results) is
        // scanned as one text across each boundary, so a value split between two parts is
        // found. Keys, numbers and bookkeeping values are scanned each on its own: glued between
        // prose parts they would only lengthen the tokens a split value sits in.
        let prose: Vec<usize> = ex
            .segments
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(s.literal, Literal::Str | Literal::Base64) && s.kind != SegmentKind::Other
            })
            .map(|(i, _)| i)
            .collect();
        let prose_text: Vec<&str> = prose.iter().map(|&i| parts[i]).collect();
        let found = classifier.classify_parts(&prose_text);
        let mut per_segment: Vec<Vec<Finding>> = (0..parts.len()).map(|_| Vec::new()).collect();
        let mut values: Vec<(Class, String)> = Vec::new();
        let fingerprinting = self.shared.evidence.fingerprint(b"").is_some();
        for v in found.values {
            // The value as the model reads it: its pieces joined (normalised below).
            let text: String = if fingerprinting {
                v.pieces
                    .iter()
                    .filter_map(|(p, r)| prose_text.get(*p).and_then(|t| t.get(r.clone())))
                    .collect()
            } else {
                String::new()
            };
            values.push((v.class, text));
        }
        for (k, f) in found.parts.into_iter().enumerate() {
            ctx.unscanned_bytes += f.unscanned_bytes as u64;
            if let Some(slot) = prose.get(k).and_then(|&i| per_segment.get_mut(i)) {
                *slot = f.items;
            }
        }
        for (i, text) in parts.iter().enumerate() {
            if prose.binary_search(&i).is_ok() {
                continue;
            }
            let f = classifier.classify(text);
            ctx.unscanned_bytes += f.unscanned_bytes as u64;
            for item in &f.items {
                let v = if fingerprinting {
                    text.get(item.start..item.end)
                        .unwrap_or_default()
                        .to_owned()
                } else {
                    String::new()
                };
                values.push((item.class.clone(), v));
            }
            per_segment[i] = f.items;
        }
        let mut scan = Scan {
            per_segment,
            counts: Vec::new(),
        };
        for (class, text) in values {
            if fingerprinting {
                // Normalised, so the same value obfuscated differently fingerprints the same.
                if let Some(hmac) = self
                    .shared
                    .evidence
                    .fingerprint(classify::normalize(&text).as_bytes())
                {
                    ctx.fingerprints.push(ValueFingerprint {
                        class: class.as_str().to_owned(),
                        hmac_sha256: hmac,
                    });
                }
            }
            match scan.counts.iter_mut().find(|(c, _)| *c == class) {
                Some((_, n)) => *n = n.saturating_add(1),
                None => scan.counts.push((class, 1)),
            }
        }
        scan.counts.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        scan
    }

    /// Phase 7 — bind the AI system and evaluate the policy (pure) for this call's facts.
    fn decide(&self, ctx: &mut Ctx, scan: &Scan) -> Result<(), Error> {
        let bundle = self.shared.policy.load_full();
        let p = ctx
            .principal
            .as_ref()
            .ok_or_else(|| Error::Internal("decide before identify".into()))?;
        let binding = policy::bind_system(
            &bundle,
            &p.id,
            &p.groups,
            p.ai_system.as_deref(),
            ctx.ai_system_header.as_deref(),
        );
        ctx.ai_system_refused = binding.refused_header.clone();
        let classes: Vec<(&str, u32)> = scan.counts.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        let facts = Facts {
            principal: &p.id,
            auth_method: p.kind.as_str(),
            groups: &p.groups,
            ai_system: binding.system(),
            upstream: ctx.upstream_name.as_deref().unwrap_or_default(),
            model: ctx.model.as_deref(),
            operation: ctx.op.map(Operation::as_str).unwrap_or_default(),
            classes: &classes,
            stream: ctx.stream,
            max_tokens: ctx.max_tokens,
            unscanned_bytes: ctx.unscanned_bytes,
        };
        let decision = policy::evaluate(&bundle, &facts);
        if self.shared.config.classify.scan_responses {
            ctx.output = Some(output_mode(&policy::output_plan(&bundle, &facts)));
        }
        ctx.decision = Some(decision);
        ctx.bundle = Some(bundle);
        Ok(())
    }

    /// Phase 8 — apply the decision: forward untouched, redact in the body actually sent, or refuse.
    fn enforce(
        &self,
        ctx: &mut Ctx,
        scan: &Scan,
        extracted: Option<&Extracted>,
        bytes: Bytes,
    ) -> Result<Bytes, Error> {
        let effect = ctx
            .decision
            .as_ref()
            .map(|d| d.effect.clone())
            .unwrap_or(Effect::Allow);
        let actions = |pick: &dyn Fn(&str) -> ClassAction| -> Vec<(String, u32, ClassAction)> {
            scan.counts
                .iter()
                .map(|(c, n)| (c.as_str().to_owned(), *n, pick(c.as_str())))
                .collect()
        };
        match effect {
            Effect::Allow | Effect::Review => {
                ctx.class_actions = actions(&|_| ClassAction::Allowed);
                Ok(bytes)
            }
            Effect::Block { message, fix } => {
                ctx.class_actions = actions(&|_| ClassAction::Blocked);
                let rule = ctx
                    .decision
                    .as_ref()
                    .and_then(|d| d.rules.first())
                    .map(|r| r.id.to_string())
                    .unwrap_or_else(|| "default".into());
                Err(Error::Refused { rule, message, fix })
            }
            Effect::Redact { classes } => {
                let select = |c: &str| classes.iter().any(|p| p.matches(c));
                ctx.class_actions = actions(&|c| record::class_action(select(c), false));
                let Some(ex) = extracted else {
                    return Ok(bytes);
                };
                let mut redactor = Redactor::new();
                let mut edits = Vec::new();
                for (seg, items) in ex.segments.iter().zip(&scan.per_segment) {
                    let hits: Vec<Finding> = items
                        .iter()
                        .filter(|f| select(f.class.as_str()))
                        .cloned()
                        .collect();
                    if !hits.is_empty() {
                        edits.push(Edit {
                            raw: seg.raw.clone(),
                            text: redactor.redact(&seg.text, &hits, &select),
                        });
                    }
                }
                if edits.is_empty() {
                    return Ok(bytes);
                }
                let out = extract::rewrite(&bytes, &edits)
                    .map_err(|e| Error::Internal(format!("redaction failed: {e}")))?;
                Ok(Bytes::from(out))
            }
        }
    }

    /// Phase 9 — commit the decision record before anything leaves the proxy: durable in `sync`
    /// mode, queued (written and fsync'd within the interval) in `async` mode.
    async fn commit_decision(&self, ctx: &mut Ctx) -> Result<(), Error> {
        if self.shared.is_shutting_down() {
            return Err(Error::ShuttingDown);
        }
        let appending = Instant::now();
        let appended = self
            .shared
            .evidence
            .commit(record::decision(ctx, 0, None))
            .await;
        self.shared
            .metrics
            .evidence_append
            .observe(appending.elapsed().as_secs_f64());
        match appended {
            Ok(_) => {
                ctx.decision_committed = true;
                Ok(())
            }
            Err(e) if self.shared.config.evidence.fail_open => {
                self.shared.metrics.fail_open_forwards.inc();
                tracing::error!(error = %e, decision_id = %ctx.decision_id, "evidence log not writable; forwarding anyway (fail_open = true)");
                ctx.decision_committed = true;
                Ok(())
            }
            Err(e) => {
                self.shared.metrics.fail_closed_refusals.inc();
                tracing::error!(error = %e, "evidence log not writable; refusing the call (fail closed)");
                Err(Error::EvidenceUnavailable)
            }
        }
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
        ctx.forwarded_after = Some(ctx.started.elapsed());
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
            } else {
                // A bodiless call goes without body framing of the caller's (read_body refused
                // any body), whatever the header forwarding lets through.
                h.remove(http::header::CONTENT_LENGTH);
                h.remove(http::header::TRANSFER_ENCODING);
            }
        }
        let req = builder
            .body(Full::new(bytes))
            .map_err(|e| Error::Internal(format!("building upstream request: {e}")))?;
        up.send(req).await
    }

    /// Phase 11 — stream the upstream's answer back under inspection; the record phase runs
    /// when it ends. Under a block or redact output rule, a non-streamed answer (any status) is
    /// read whole first, and an event stream releases only inspected events.
    async fn respond(
        &self,
        ctx: &mut Ctx,
        resp: Response<Incoming>,
    ) -> Result<Response<ProxyBody>, Error> {
        let (mut parts, incoming) = resp.into_parts();
        respond::strip_hop_by_hop(&mut parts.headers);
        ctx.status = Some(parts.status.as_u16());
        let idle = ctx
            .upstream
            .map(|i| self.shared.upstreams[i].config.idle_timeout)
            .unwrap_or_default();
        let content = inspect::ContentKind::of(parts.headers.get(http::header::CONTENT_TYPE));
        let output = ctx.output.clone();
        let classifier = output.as_ref().map(|_| self.shared.classifier.load_full());
        let mode = output.unwrap_or_else(OutputMode::observe);
        let enforcing = classifier.is_some() && mode.enforcing();
        let inspector: Box<dyn Inspector> = match (ctx.api, content) {
            (Some(api), inspect::ContentKind::EventStream) => {
                if enforcing {
                    parts.headers.remove(http::header::CONTENT_LENGTH);
                }
                Box::new(SseInspector::new(api, classifier, mode))
            }
            (Some(api), content) if enforcing => {
                return self
                    .respond_buffered(ctx, parts, incoming, api, content, mode)
                    .await
            }
            (api, _) => Box::new(JsonObserver::new(api, classifier, mode)),
        };
        let summary = OutcomeCtx::take(ctx);
        let shared = self.shared.clone();
        let observed = Observed::new(
            incoming,
            inspector,
            idle,
            ctx.started,
            Box::new(move |stats, inspector| {
                let report = inspector.report();
                Pipeline { shared }.record_outcome(summary, stats, report)
            }),
        );
        Ok(Response::from_parts(parts, observed.boxed_unsync()))
    }

    /// Read a whole non-streamed answer, then redact it or withhold it per the output rules.
    /// A withheld answer becomes the refusal here (its outcome is recorded once, with what the
    /// inspection found), not an error for the record phase.
    async fn respond_buffered(
        &self,
        ctx: &mut Ctx,
        mut parts: http::response::Parts,
        incoming: Incoming,
        api: Api,
        content: inspect::ContentKind,
        mode: OutputMode,
    ) -> Result<Response<ProxyBody>, Error> {
        let idle = ctx
            .upstream
            .map(|i| self.shared.upstreams[i].config.idle_timeout)
            .unwrap_or_default();
        let upstream = ctx.upstream_name.clone().unwrap_or_default();
        let body =
            match tokio::time::timeout(idle, Limited::new(incoming, 16 * 1024 * 1024).collect())
                .await
            {
                Ok(Ok(c)) => c.to_bytes(),
                Ok(Err(e)) => {
                    return Err(Error::UpstreamUnreachable {
                        upstream,
                        reason: format!("answer could not be read: {e}"),
                    })
                }
                Err(_) => {
                    return Err(Error::UpstreamTimeout {
                        upstream,
                        secs: idle.as_secs(),
                    })
                }
            };
        let mut report = InspectReport::default();
        let started = ctx.started;
        let enforcing = Instant::now();
        let stats = |end| BodyStats {
            end,
            bytes: body.len() as u64,
            first_byte: Some(started.elapsed()),
        };
        let answer = inspect::Answer {
            api,
            success: parts.status.is_success(),
            content,
            body: &body,
        };
        let verdict = inspect::enforce_buffered(
            &answer,
            &self.shared.classifier.load_full(),
            &mode,
            &mut report,
        );
        ctx.output_enforcement = enforcing.elapsed();
        let out = match verdict {
            inspect::Buffered::Withhold(why) => {
                let err = match why {
                    inspect::Withheld::Blocked { rule, class } => Error::Refused {
                        rule,
                        message: format!("the model's answer contained data of a class ({class}) this AI system may not return"),
                        fix: "ask for an answer that does not include that data, or have the output rule reviewed".into(),
                    },
                    inspect::Withheld::Uninspectable { rule, why } => Error::Refused {
                        rule,
                        message: format!("the upstream's answer could not be inspected ({why}), and this output rule requires every answer to be inspected"),
                        fix: "check that the upstream answers in this API's JSON or event-stream format, or have the output rule reviewed".into(),
                    },
                };
                let resp = respond::error_response(ctx, &err);
                let mut o = OutcomeCtx::take(ctx);
                o.status = Some(resp.status().as_u16());
                self.record_outcome(o, stats(StreamEnd::Blocked), report);
                return Ok(resp);
            }
            inspect::Buffered::Rewritten(b) => Bytes::from(b),
            inspect::Buffered::Unchanged => body.clone(),
        };
        parts.headers.remove(http::header::CONTENT_LENGTH);
        self.record_outcome(OutcomeCtx::take(ctx), stats(StreamEnd::Complete), report);
        Ok(Response::from_parts(parts, body::full(out)))
    }

    /// Phase 12 (error path) — the last phase for calls refused or failed before or while
    /// forwarding: the decision record (durable before the response is sent) and the log line.
    async fn record(&self, ctx: &mut Ctx, err: Option<&Error>) {
        if !ctx.decision_committed {
            let status = ctx.status.unwrap_or(0);
            if let Err(e) = self
                .shared
                .evidence
                .append(record::decision(ctx, status, err))
                .await
            {
                tracing::error!(error = %e, decision_id = %ctx.decision_id, "could not record the refusal in the evidence log");
            }
            let stats = BodyStats {
                end: StreamEnd::Complete,
                bytes: 0,
                first_byte: None,
            };
            self.observe(OutcomeCtx::take(ctx), &stats, None);
        } else {
            // Forwarded, then failed (upstream down or slow, answer withheld): the outcome says so.
            let stats = BodyStats {
                end: StreamEnd::UpstreamError,
                bytes: 0,
                first_byte: None,
            };
            let mut o = OutcomeCtx::take(ctx);
            o.upstream_status = None;
            self.record_outcome(o, stats, InspectReport::default());
        }
    }

    /// Phase 12 — the last phase of a forwarded call: the outcome record and the log line.
    fn record_outcome(&self, o: OutcomeCtx, stats: BodyStats, report: InspectReport) {
        let payload = record::outcome(&o, &stats, &report);
        self.observe(o, &stats, Some(&report));
        // Nobody waits for an outcome: queue it without a task, unless the queue is full.
        let Err(payload) = self.shared.evidence.submit(payload) else {
            return;
        };
        let log = self.shared.evidence.clone();
        let append = async move {
            if let Err(e) = log.append(payload).await {
                tracing::error!(error = %e, "could not record a call outcome in the evidence log");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(append);
            }
            Err(_) => tracing::error!("no runtime to record a call outcome"),
        }
    }
}

/// What the record phase needs after the context is gone (streamed bodies outlive `handle`).
#[derive(Debug)]
pub struct OutcomeCtx {
    pub decision_id: String,
    pub request_id: String,
    pub trace: TraceContext,
    pub received_at: SystemTime,
    pub span: Option<CallSpan>,
    pub forwarded_after: Option<Duration>,
    pub output_enforcement: Duration,
    /// Request-side data classes, counts and actions.
    pub classes: Vec<(String, u32, ClassAction)>,
    pub rule_ids: Vec<String>,
    /// Monitor-mode rules and what they would have done.
    pub monitored: Vec<(String, &'static str)>,
    pub policy_version: Option<String>,
    pub principal: Option<String>,
    pub op: Option<Operation>,
    pub upstream: Option<usize>,
    pub model: Option<String>,
    pub status: Option<u16>,
    pub error_code: Option<&'static str>,
    pub stream: bool,
    pub started: Instant,
    pub ai_system: Option<String>,
    /// The bundle the call was decided under (for metric labels from configured names).
    pub bundle: Option<Arc<Bundle>>,
    pub effect: &'static str,
    /// The upstream's status, when an answer arrived.
    pub upstream_status: Option<u16>,
}

impl OutcomeCtx {
    fn take(ctx: &mut Ctx) -> Self {
        let d = ctx.decision.as_ref();
        Self {
            upstream_status: ctx.status,
            ai_system: d.and_then(|d| d.system.id.as_deref().map(str::to_owned)),
            effect: d.map(|d| d.effect.kind()).unwrap_or("-"),
            rule_ids: d
                .map(|d| d.rules.iter().map(|r| r.id.to_string()).collect())
                .unwrap_or_default(),
            monitored: d
                .map(|d| {
                    d.monitored
                        .iter()
                        .map(|(r, e)| (r.id.to_string(), e.kind()))
                        .collect()
                })
                .unwrap_or_default(),
            policy_version: ctx.bundle.as_deref().map(|b| b.version().to_owned()),
            bundle: ctx.bundle.clone(),
            classes: ctx.class_actions.clone(),
            received_at: ctx.received_at,
            span: ctx.span.take(),
            forwarded_after: ctx.forwarded_after,
            output_enforcement: ctx.output_enforcement,
            decision_id: ctx.decision_id.clone(),
            request_id: ctx.request_id.clone(),
            trace: ctx.trace.clone(),
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

/// The classifier's view of a request: findings per extracted segment, and counts per class.
#[derive(Debug, Default)]
pub struct Scan {
    pub per_segment: Vec<Vec<Finding>>,
    pub counts: Vec<(Class, u32)>,
}

/// Resolve the policy's output plan into this response's per-class actions: every enforced
/// output rule applies (block wins over redact for its classes); monitor-mode entries only observe.
fn output_mode(plan: &policy::OutputPlan) -> OutputMode {
    OutputMode::from_plan(plan)
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
