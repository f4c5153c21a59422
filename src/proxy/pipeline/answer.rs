//! Phases 10 and 11: forward the (possibly redacted) request to the selected upstream and
//! relay its answer, streamed or whole, through the output inspection.
//!
//! Builds no URL or credential itself ([`crate::proxy::upstream`] does) and holds no output rules.

use super::*;

impl Pipeline {
    /// Phase 10 — send the (original or rewritten) bytes to the configured upstream.
    pub(super) async fn forward(
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
    pub(super) async fn respond(
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
    pub(super) async fn respond_buffered(
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
}
