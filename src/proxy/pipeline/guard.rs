//! Guardrail mode's phases: the same identify → parse → classify → decide → admit → enforce →
//! commit sequence a proxied call runs, driven by another gateway's guardrail hook instead of a
//! client's request, and the answer side (whole answers and event streams) ending in the same
//! last phase. Nothing is forwarded from here: the calling gateway forwards, with what this
//! returns.
//!
//! Owns how a gateway's assertions (its end user, that user's teams, an AI system or a model)
//! become the call's principal and AI-system selection. The wire contracts (LiteLLM, Portkey,
//! Envoy ext_proc) are [`crate::proxy::guardrail`]'s; the rules are the policy's.

use super::*;
use crate::proxy::call::GuardOrigin;

/// What the calling gateway says about a guarded call, beyond its own credential.
#[derive(Debug, Default, Clone)]
pub struct Asserted {
    /// The end user the gateway authenticated (its user id, key alias or metadata).
    pub user: Option<String>,
    /// The end user's teams or groups at the gateway.
    pub groups: Vec<String>,
    /// The AI system the gateway names for the call (like `x-aimsgate-ai-system`).
    pub ai_system: Option<String>,
    /// The model, when the request body does not name it (a Gemini route's path).
    pub model: Option<String>,
}

/// What the guard did to a request or an answer it let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guarded {
    /// Unchanged: the gateway sends what it has.
    Unchanged,
    /// Redacted: the gateway sends this body instead.
    Rewritten(Bytes),
}

#[cfg(test)]
mod tests;

/// Longest asserted user id or group name kept.
const MAX_ASSERTED: usize = 256;

impl Pipeline {
    /// A guarded call as it arrives from `origin`'s hook.
    pub fn guard_call(&self, conn: &ConnInfo, headers: &HeaderMap, origin: GuardOrigin) -> Call {
        let mut call = Call::new(conn, headers, self.shared.active.load_full());
        self.vet_request_id(&mut call, headers);
        call.guard = Some(origin);
        call
    }

    /// Phase 1 for a guarded call whose gateway hands over the route (ext_proc): the same
    /// route table, so the same operations are guarded and the same are refused.
    pub fn guard_route(
        &self,
        call: &mut Call,
        method: &str,
        path_and_query: &str,
    ) -> Result<Operation, Error> {
        let unknown = || Error::UnknownRoute {
            method: method.chars().take(16).collect(),
            path: path_and_query.chars().take(200).collect(),
        };
        let uri: http::Uri = path_and_query.parse().map_err(|_| unknown())?;
        let method = http::Method::from_bytes(method.as_bytes()).map_err(|_| unknown())?;
        self.route(call, &method, &uri)
    }

    /// Phase 2 for a guarded call whose gateway hands over the request headers first
    /// (ext_proc): a caller without a valid credential is refused before its body is sent.
    pub fn guard_identify(
        &self,
        call: &mut Call,
        conn: &ConnInfo,
        headers: &HeaderMap,
    ) -> Result<(), Error> {
        self.identify(call, conn, headers)
    }

    /// The request side of a guarded call, every phase from identify to the durable decision
    /// record. `headers` carry the credential (the gateway's own, or for ext_proc the client's),
    /// `body` is the provider request as the gateway would send it. An `Err` is a refusal or a
    /// failure for [`Pipeline::fail`].
    pub async fn guard_request(
        &self,
        call: &mut Call,
        conn: &ConnInfo,
        headers: &HeaderMap,
        op: Operation,
        asserted: &Asserted,
        body: Bytes,
    ) -> Result<Guarded, Error> {
        call.family = op.family(call.family);
        call.op = Some(op);
        call.api = op.api();
        if call.principal.is_none() {
            self.identify(call, conn, headers)?;
        }
        self.assert_caller(call, asserted)?;
        let limit = self.shared.config.server.max_body_bytes;
        if body.len() > limit {
            return Err(Error::BodyTooLarge { limit });
        }
        call.request_bytes = body.len();
        let extracted = self.parse(call, op, &body)?;
        if call.model.is_none() {
            call.model.clone_from(&asserted.model);
        }
        self.vet_model(call)?;
        if call.ai_system_header.is_none() {
            let by_model = self
                .shared
                .config
                .guardrail
                .as_ref()
                .and_then(|g| g.system_for(call.model.as_deref()));
            call.ai_system_header = asserted
                .ai_system
                .clone()
                .or_else(|| by_model.map(str::to_owned));
        }
        // The gateway holds the provider keys: none of aimsgate's is bound or sent.
        call.key_set = None;
        call.credential = UpstreamCredential::None;
        // The supplier the policy and the evidence see: the upstream aimsgate's own routing
        // names for this model (the same approvals apply as to a proxied call).
        self.select_upstream(call, op)?;
        call.credential = UpstreamCredential::None;
        let scan = self.classify(call, extracted.as_ref());
        self.read_limit_usage(call).await;
        self.decide(call, &scan)?;
        self.admit(call).await?;
        let sent = self.enforce(call, &scan, extracted.as_ref(), body.clone())?;
        let sent = self.apply_route(call, sent)?;
        drop(scan);
        drop(extracted);
        self.commit_decision(call).await?;
        call.forwarded_after = Some(call.started.elapsed());
        Ok(
            if sent.as_ptr() == body.as_ptr() && sent.len() == body.len() {
                Guarded::Unchanged
            } else {
                Guarded::Rewritten(sent)
            },
        )
    }

    /// The gateway's end user becomes the principal, in the gateway credential's namespace
    /// (`<gateway principal>/<user>`, groups likewise), so no gateway can assert a principal or
    /// group another credential owns. The credential's fingerprint and method stay the
    /// gateway's: that is what authenticated.
    fn assert_caller(&self, call: &mut Call, asserted: &Asserted) -> Result<(), Error> {
        let Some(p) = call.principal.as_mut() else {
            return Err(Error::Internal("assert before identify".into()));
        };
        let vet = |what: &'static str, v: &str| -> Result<String, Error> {
            let v = v.trim();
            let printable = v.bytes().all(|b| (0x21..0x7f).contains(&b));
            if v.is_empty() || v.len() > MAX_ASSERTED || !printable {
                return Err(Error::BadField {
                    field: what,
                    reason: format!(
                        "the gateway's {what} must be 1-{MAX_ASSERTED} printable ASCII characters without spaces"
                    ),
                });
            }
            let secret = call
                .active
                .classifier
                .classify(v)
                .items
                .iter()
                .any(|f| f.class.as_str().starts_with("secret."));
            if secret {
                return Err(Error::BadField {
                    field: what,
                    reason: format!("the gateway's {what} looks like a credential"),
                });
            }
            Ok(v.to_owned())
        };
        let gateway = p.id.clone();
        if let Some(user) = asserted.user.as_deref().filter(|u| !u.trim().is_empty()) {
            p.id = format!("{gateway}/{}", vet("user", user)?);
        }
        for g in asserted.groups.iter().filter(|g| !g.trim().is_empty()) {
            let g = format!("{gateway}/{}", vet("group", g)?);
            if !p.groups.contains(&g) {
                p.groups.push(g);
            }
        }
        Ok(())
    }

    /// The answer side of a guarded call whose whole answer the gateway hands over: inspected
    /// under the call's output rules, then the last phase. `Err` is a withheld answer, already
    /// recorded (the gateway must not send it).
    pub fn guard_answer(
        &self,
        mut call: Call,
        status: u16,
        content: inspect::ContentKind,
        body: Bytes,
    ) -> Result<Guarded, Error> {
        call.status = Some(status);
        call.upstream_status = Some(status);
        let stats = BodyStats {
            end: StreamEnd::Complete,
            bytes: body.len() as u64,
            first_byte: Some(call.started.elapsed()),
        };
        let output = call.output.take();
        let (Some(api), Some(mode)) = (call.api, output) else {
            let mut observer = JsonObserver::new(call.api, None, OutputMode::observe());
            let _ = observer.on_chunk(body);
            let report = observer.report();
            self.finish(call, stats, Some(report));
            return Ok(Guarded::Unchanged);
        };
        if !mode.enforcing() {
            let classifier = Some(call.active.classifier.clone());
            let mut observer = JsonObserver::new(Some(api), classifier, mode);
            let _ = observer.on_chunk(body);
            let report = observer.report();
            self.finish(call, stats, Some(report));
            return Ok(Guarded::Unchanged);
        }
        let mut report = InspectReport::default();
        let enforcing = Instant::now();
        let answer = inspect::Answer {
            api,
            success: (200..300).contains(&status),
            content,
            body: &body,
        };
        let verdict =
            inspect::enforce_buffered(&answer, &call.active.classifier, &mode, &mut report);
        call.output_enforcement = enforcing.elapsed();
        let out = match verdict {
            inspect::Buffered::Withhold(why) => {
                let err = super::answer::withheld(why);
                call.status = Some(respond::error_response(call.family, &err).status().as_u16());
                let stats = BodyStats {
                    end: StreamEnd::Blocked,
                    ..stats
                };
                self.finish(call, stats, Some(report));
                return Err(err);
            }
            inspect::Buffered::Rewritten(b) => Guarded::Rewritten(Bytes::from(b)),
            inspect::Buffered::Unchanged => Guarded::Unchanged,
        };
        self.finish(call, stats, Some(report));
        Ok(out)
    }

    /// The answer side of a guarded call whose answer streams through the gateway in chunks
    /// (an event stream under ext_proc): each chunk is inspected as the proxy inspects a relayed
    /// stream; the last phase runs when [`GuardStream::end`] is called or the stream is dropped.
    pub fn guard_stream(&self, mut call: Call, status: u16) -> GuardStream {
        call.status = Some(status);
        call.upstream_status = Some(status);
        let output = call.output.take();
        let classifier = output.as_ref().map(|_| call.active.classifier.clone());
        let mode = output.unwrap_or_else(OutputMode::observe);
        let inspector: Box<dyn Inspector> = match call.api {
            Some(api) => Box::new(SseInspector::new(api, classifier, mode)),
            None => Box::new(body::NoInspection),
        };
        GuardStream {
            pipeline: self.clone(),
            call: Some(call),
            inspector,
            bytes: 0,
            first_byte: None,
        }
    }

    /// A guarded call that ends without its answer being seen (the gateway asked for no answer
    /// check, or never sent it): the last phase, with what is known.
    pub fn guard_end(&self, call: Call, end: StreamEnd) {
        self.finish(call, BodyStats::none(end), None);
    }
}

/// An answer streaming through a guarded call, chunk by chunk.
pub struct GuardStream {
    pipeline: Pipeline,
    call: Option<Call>,
    inspector: Box<dyn Inspector>,
    bytes: u64,
    first_byte: Option<Duration>,
}

impl GuardStream {
    /// Inspect one chunk of the answer: what the gateway sends in its place.
    pub fn chunk(&mut self, chunk: Bytes) -> body::Inspected {
        if self.first_byte.is_none() {
            self.first_byte = self.call.as_ref().map(|c| c.started.elapsed());
        }
        self.bytes += chunk.len() as u64;
        self.inspector.on_chunk(chunk)
    }

    /// The stream ended (`Complete`, or `Blocked` after an [`body::Inspected::Stop`]): the
    /// inspector's held-back bytes, if any, to send last.
    pub fn end(mut self, end: StreamEnd) -> Option<Bytes> {
        let tail = match end {
            StreamEnd::Complete => self.inspector.on_end(),
            _ => None,
        };
        self.close(end);
        tail
    }

    fn close(&mut self, end: StreamEnd) {
        if let Some(call) = self.call.take() {
            let stats = BodyStats {
                end,
                bytes: self.bytes,
                first_byte: self.first_byte,
            };
            let report = self.inspector.report();
            self.pipeline.finish(call, stats, Some(report));
        }
    }
}

impl Drop for GuardStream {
    fn drop(&mut self) {
        // The gateway went away mid-answer.
        self.close(StreamEnd::ClientGone);
    }
}
