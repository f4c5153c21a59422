//! Phases 10 and 11: forward the (possibly redacted) request to the selected upstream — with
//! retries and failover when configured — and relay its answer, streamed or whole, through the
//! output inspection.
//!
//! Builds no URL or credential itself ([`crate::proxy::upstream`] does), holds no output rules,
//! and judges answers for retry with [`crate::proxy::retry`].

use super::*;
use crate::evidence::proto::UpstreamHop;
use crate::proxy::retry;

impl Pipeline {
    /// Phase 10 — send the (original or rewritten) bytes to the configured upstream. An answer
    /// another attempt may fix (connect error, 429, 5xx; see [`retry`]) is retried on the same
    /// upstream after a backoff, or moved to the next of its `fallbacks` the call may use, up to
    /// `[routing.retry] max_attempts` and within the retry budget; every attempt that did not
    /// answer is kept for the outcome record. Nothing has reached the client yet, so no
    /// relayed byte is ever sent twice.
    pub(super) async fn forward(
        &self,
        call: &mut Call,
        parts: &Parts,
        idx: usize,
        op: Operation,
        bytes: Bytes,
    ) -> Result<Response<Incoming>, Error> {
        call.forwarded_after = Some(call.started.elapsed());
        let settings = &self.shared.config.routing.retry;
        if settings.max_attempts < 2 {
            // Retries off (the default): one attempt, no plan, no budget to keep.
            let call = &*call;
            return self
                .send_once(call, parts, idx, op, bytes, &call.credential)
                .await;
        }
        self.shared.retry_budget.earn(settings.budget_ratio);
        let plan = self.failover_plan(call, idx);
        let (mut pos, mut same_retries) = (0usize, 0u32);
        for attempt in 1..=settings.max_attempts {
            let (up_idx, credential) = plan[pos % plan.len()].clone();
            let t0 = Instant::now();
            let result = self
                .send_once(call, parts, up_idx, op, bytes.clone(), &credential)
                .await;
            let failed = match &result {
                Ok(resp) => retry::judge_answer(resp.status(), resp.headers()),
                Err(e) => retry::judge_error(e),
            };
            let next = plan[(pos + 1) % plan.len()].0;
            let wait = match &failed {
                None => None,
                Some(_) if attempt == settings.max_attempts => None,
                Some(f) if next == up_idx => {
                    retry::wait_before(settings, same_retries + 1, f.retry_after)
                }
                Some(_) => Some(Duration::ZERO),
            };
            let (Some(f), Some(wait)) = (failed, wait) else {
                if up_idx != idx {
                    call.upstream = Some(up_idx);
                    call.answered_by = Some(self.shared.upstreams[up_idx].config.name.clone());
                }
                return result;
            };
            if !self.shared.retry_budget.spend() {
                return result;
            }
            let upstream = self.shared.upstreams[up_idx].config.name.clone();
            self.shared
                .metrics
                .upstream_retries
                .get_or_create(&crate::telemetry::metrics::RetryLabels {
                    upstream: upstream.clone(),
                    reason: f.reason.clone(),
                })
                .inc();
            call.hops.push(UpstreamHop {
                upstream,
                status: u32::from(f.status),
                reason: f.reason,
                elapsed_us: t0.elapsed().as_micros() as u64,
                wait_us: wait.as_micros() as u64,
            });
            // The unused answer's body is dropped unread (its connection is not reused).
            drop(result);
            if next == up_idx {
                same_retries += 1;
            } else {
                same_retries = 0;
            }
            tokio::time::sleep(wait).await;
            pos += 1;
        }
        Err(Error::Internal("no upstream attempt was made".into()))
    }

    /// The upstreams a call may be sent to, in order, each with its credential: the selected
    /// one, then those of its `fallbacks` that the call's AI system is approved for and that the
    /// call holds a credential for. A caller's own key (pass-through) never goes to another
    /// upstream than the one it was sent for, and an unregistered system has no approvals to
    /// fail over on.
    fn failover_plan(&self, call: &Call, idx: usize) -> Vec<(usize, UpstreamCredential)> {
        let mut plan = vec![(idx, call.credential.clone())];
        let cfg = &self.shared.config;
        let Some(system) = call.registered_system() else {
            return plan;
        };
        for &j in cfg
            .routing
            .fallbacks
            .get(idx)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let up = &cfg.upstreams[j];
            if !system.allows_upstream(&up.name) {
                continue;
            }
            let own = up.api_key.clone().map(UpstreamCredential::Key);
            let credential = match (&call.credential, &call.key_set) {
                (UpstreamCredential::PassThrough, _) => None,
                (_, Some(set)) => cfg
                    .keys
                    .get(set)
                    .and_then(|s| s.for_upstream(j))
                    .map(|k| UpstreamCredential::Key(k.clone()))
                    .or(own),
                (_, None) => Some(own.unwrap_or(UpstreamCredential::None)),
            };
            if let Some(c) = credential {
                plan.push((j, c));
            }
        }
        plan
    }

    /// One attempt at upstream `idx` with `credential`.
    async fn send_once(
        &self,
        call: &Call,
        parts: &Parts,
        idx: usize,
        op: Operation,
        bytes: Bytes,
        credential: &UpstreamCredential,
    ) -> Result<Response<Incoming>, Error> {
        let up = &self.shared.upstreams[idx];
        let uri = up.url(op, call.model.as_deref(), parts.uri.query())?;
        let headers = up.headers(
            &parts.headers,
            credential,
            &self.shared.strip_headers,
            &call.trace.header(),
            &call.request_id,
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
        let mut req = builder
            .body(Full::new(bytes.clone()))
            .map_err(|e| Error::Internal(format!("building upstream request: {e}")))?;
        up.finish_request(&mut req, &bytes, credential).await?;
        up.send(req).await
    }

    /// Phase 11 — relay the upstream's answer under inspection; the call ends (the last
    /// phase runs) when the relayed body ends. Under a block or redact output rule, a
    /// non-streamed answer (any status) is read whole first, and an event stream releases only
    /// inspected events.
    pub(super) async fn respond(
        &self,
        mut call: Call,
        resp: Response<Incoming>,
    ) -> Response<ProxyBody> {
        let (mut parts, incoming) = resp.into_parts();
        respond::strip_hop_by_hop(&mut parts.headers);
        call.status = Some(parts.status.as_u16());
        call.upstream_status = call.status;
        let idle = self.idle_timeout(&call);
        let content = inspect::ContentKind::of(parts.headers.get(http::header::CONTENT_TYPE));
        let output = call.output.take();
        let classifier = output.as_ref().map(|_| call.active.classifier.clone());
        let mode = output.unwrap_or_else(OutputMode::observe);
        let enforcing = classifier.is_some() && mode.enforcing();
        let inspector: Box<dyn Inspector> = match (call.api, content) {
            (Some(api), inspect::ContentKind::EventStream) => {
                if enforcing {
                    parts.headers.remove(http::header::CONTENT_LENGTH);
                }
                Box::new(SseInspector::new(api, classifier, mode))
            }
            (Some(api), inspect::ContentKind::AwsEventStream) => {
                if enforcing {
                    parts.headers.remove(http::header::CONTENT_LENGTH);
                }
                Box::new(SseInspector::event_stream(api, classifier, mode))
            }
            (Some(api), content) if enforcing => {
                let answer = Whole {
                    parts,
                    incoming,
                    api,
                    content,
                    mode,
                };
                return self.respond_buffered(call, answer).await;
            }
            (api, _) => Box::new(JsonObserver::new(api, classifier, mode)),
        };
        respond::stamp(&call, &mut parts.headers);
        let started = call.started;
        let pipeline = self.clone();
        let observed = Observed::new(
            incoming,
            inspector,
            idle,
            started,
            Box::new(move |stats, mut inspector| {
                // The answer's last bytes are about to be written: its report (parse and
                // classify the whole answer) and the last phase run in their own task, after
                // the write instead of before it. The call holds its connection's drain slot,
                // so shutdown still waits for them.
                let last = move || {
                    let report = inspector.report();
                    pipeline.finish(call, stats, Some(report));
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) => drop(rt.spawn(async move { last() })),
                    Err(_) => last(),
                }
            }),
        );
        Response::from_parts(parts, observed.boxed_unsync())
    }

    fn idle_timeout(&self, call: &Call) -> Duration {
        call.upstream
            .map(|i| self.shared.upstreams[i].config.idle_timeout)
            .unwrap_or_default()
    }

    /// Read a whole non-streamed answer, then redact it or withhold it per the output rules.
    /// A withheld answer becomes the refusal here: the call ends with what the inspection found
    /// (its outcome record says `output_blocked`).
    async fn respond_buffered(&self, mut call: Call, whole: Whole) -> Response<ProxyBody> {
        let Whole {
            mut parts,
            incoming,
            api,
            content,
            mode,
        } = whole;
        let idle = self.idle_timeout(&call);
        let upstream = call.upstream_name.clone().unwrap_or_default();
        let read = tokio::time::timeout(idle, Limited::new(incoming, 16 * 1024 * 1024).collect());
        let body = match read.await {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e)) => {
                let err = Error::UpstreamUnreachable {
                    upstream,
                    reason: format!("answer could not be read: {e}"),
                };
                return self.fail(call, err).await;
            }
            Err(_) => {
                let err = Error::UpstreamTimeout {
                    upstream,
                    secs: idle.as_secs(),
                };
                return self.fail(call, err).await;
            }
        };
        let mut report = InspectReport::default();
        let enforcing = Instant::now();
        let stats = BodyStats {
            end: StreamEnd::Complete,
            bytes: body.len() as u64,
            first_byte: Some(call.started.elapsed()),
        };
        let answer = inspect::Answer {
            api,
            success: parts.status.is_success(),
            content,
            body: &body,
        };
        let verdict =
            inspect::enforce_buffered(&answer, &call.active.classifier, &mode, &mut report);
        call.output_enforcement = enforcing.elapsed();
        let out = match verdict {
            inspect::Buffered::Withhold(why) => {
                let err = withheld(why);
                let mut resp = respond::error_response(call.family, &err);
                call.status = Some(resp.status().as_u16());
                respond::stamp(&call, resp.headers_mut());
                let stats = BodyStats {
                    end: StreamEnd::Blocked,
                    ..stats
                };
                self.finish(call, stats, Some(report));
                return resp;
            }
            inspect::Buffered::Rewritten(b) => Bytes::from(b),
            inspect::Buffered::Unchanged => body.clone(),
        };
        parts.headers.remove(http::header::CONTENT_LENGTH);
        respond::stamp(&call, &mut parts.headers);
        self.finish(call, stats, Some(report));
        Response::from_parts(parts, body::full(out))
    }
}

/// A non-streamed answer to be read whole under an enforcing output rule.
struct Whole {
    parts: http::response::Parts,
    incoming: Incoming,
    api: Api,
    content: inspect::ContentKind,
    mode: OutputMode,
}

/// The refusal a withheld answer becomes.
pub(super) fn withheld(why: inspect::Withheld) -> Error {
    match why {
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
    }
}
