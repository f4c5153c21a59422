//! The request pipeline: one function per phase, in order, with one owned [`Call`] carried
//! through.
//!
//! ```text
//!  route ─▶ identify ─▶ read_body ─▶ parse ─▶ select_upstream ─▶ classify ─▶ decide (─▶ reroute ─▶ decide) ─▶ admit ─▶ enforce
//!                                                                                       │
//!  finish (exactly once: outcome evidence, telemetry) ◀── respond ◀── forward ◀── commit_decision
//! ```
//!
//! `route` runs first because it fixes the provider family, and so the error shape every later
//! refusal is written in (a 401 for an Anthropic route reads like Anthropic's own). The phases
//! take the call by `&mut`; an error from any of them goes to [`Pipeline::fail`], which makes
//! the provider-shaped response in the one place errors become responses
//! ([`super::respond::error_response`]). The last phase, [`Pipeline::finish`], takes the call
//! by value: it runs exactly once per call, when the answer is complete — at once for refusals,
//! failures and whole answers, from the body wrapper when a relayed answer ends.
//! The phases only wire the cores; they hold no patterns and no policy rules.
//!
//! This file holds the driver ([`Pipeline::handle`]) and `route`; the phases live beside it, one
//! file per group: `identify` (caller and its headers), `request` (body, parse, model),
//! `select` (upstream and credential), `scan` (classification), `decide` (policy, enforcement,
//! decision record), `answer` (forward, relay), `finish` (the last phase) and `guard` (the same
//! phases driven by another gateway in guardrail mode, see [`crate::proxy::guardrail`]).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::body::{self, Inspector, Observed, ProxyBody};
use super::call::{Call, ConnInfo, DecisionRecord};
use super::inspect::{self, JsonObserver, OutputMode, SseInspector};
use super::outcome::{self, BodyStats, ClassTally, InspectReport, StreamEnd};
use super::shared::Shared;
use super::upstream::UpstreamCredential;
use super::{caller, record, respond};
use crate::classify::{self, Class, Classifier, Finding, Redactor};
use crate::config::UpstreamKind;
use crate::error::Error;
use crate::evidence::proto::{ClassAction, ValueFingerprint};
use crate::identity::{Credentials, UpstreamAuth};
use crate::policy::{self, Effect, Facts};
use crate::providers::extract::{self, Api, Edit, Extracted, Literal, SegmentKind};
use crate::providers::{self, Operation};

/// The rule named when a call would need a provider key its credential is not bound to.
pub const CREDENTIAL_BINDING_RULE: &str = "gateway.upstream-credential-binding";

/// The pipeline driver: the shared state plus the phases.
#[derive(Clone)]
pub struct Pipeline {
    pub shared: Arc<Shared>,
}

mod answer;
mod decide;
mod finish;
pub mod guard;
mod identify;
mod limit;
mod request;
mod scan;
mod scanned;
mod select;

#[cfg(test)]
pub(crate) mod tests;

pub use scanned::Scan;

impl Pipeline {
    /// Run one call through every phase; never fails (errors become provider-shaped responses).
    pub async fn handle(&self, conn: &ConnInfo, req: Request<Incoming>) -> Response<ProxyBody> {
        let mut call = Call::new(conn, req.headers(), self.shared.active.load_full());
        self.vet_request_id(&mut call, req.headers());
        if let Some(traces) = &self.shared.traces {
            let t = &mut call.trace;
            let parent = t.parent_span_id.map(|p| (t.trace_id, p, t.sampled));
            let (span, trace_id, span_id) = traces.begin(parent, call.received_at);
            t.trace_id = trace_id;
            t.span_id = span_id;
            call.span = Some(span);
        }
        match self.run(&mut call, conn, req).await {
            Ok(answer) => self.respond(call, answer).await,
            Err(err) => self.fail(call, err).await,
        }
    }

    /// Every phase up to the upstream's answer (status and headers).
    async fn run(
        &self,
        call: &mut Call,
        conn: &ConnInfo,
        req: Request<Incoming>,
    ) -> Result<Response<Incoming>, Error> {
        let (parts, body) = req.into_parts();
        let op = self.route(call, &parts.method, &parts.uri)?;
        self.identify(call, conn, &parts.headers)?;
        let bytes = self.read_body(call, &parts, body).await?;
        let extracted = self.parse(call, op, &bytes)?;
        self.vet_model(call)?;
        let upstream = self.select_upstream(call, op)?;
        let scan = self.classify(call, extracted.as_ref());
        self.read_limit_usage(call).await;
        self.decide(call, &scan)?;
        self.admit(call).await?;
        let bytes = self.enforce(call, &scan, extracted.as_ref(), bytes)?;
        let bytes = self.apply_route(call, bytes)?;
        // The extracted text and findings are not needed past enforcement: free them before
        // waiting on the evidence commit and the upstream, so a waiting call holds only its body.
        drop(scan);
        drop(extracted);
        self.commit_decision(call).await?;
        self.forward(call, &parts, upstream, op, bytes).await
    }

    /// Phase 1 — match the route; fixes the operation, its API and the error shape.
    fn route(
        &self,
        call: &mut Call,
        method: &http::Method,
        uri: &http::Uri,
    ) -> Result<Operation, Error> {
        let op = providers::route(method.as_str(), uri.path())?;
        // `call.family` holds the SDK-header hint from `Call::new` (it shapes a 404 too).
        call.family = op.family(call.family);
        call.op = Some(op);
        call.api = op.api();
        if let Some(g) = providers::gemini::parse_path(uri.path()) {
            vet_gemini_query(op, uri.query())?;
            // The Gemini APIs name the model in the path (checked there: `gemini::is_id`).
            call.model = Some(g.model.to_owned());
        }
        if let Some(b) = providers::bedrock::parse_path(uri.path()) {
            // Bedrock names the model in the path too, percent-decoded and checked there
            // (`bedrock::is_model_id`).
            call.model = Some(b.model);
        }
        Ok(op)
    }
}

/// A Gemini call's query string: an API key in the URL is refused (it would sit in every
/// access log between the caller and aimsgate; the SDKs send `x-goog-api-key`), and a stream must
/// ask for server-sent events (`alt=sse`), the framing aimsgate inspects.
fn vet_gemini_query(op: Operation, query: Option<&str>) -> Result<(), Error> {
    let pairs = || {
        query
            .unwrap_or_default()
            .split('&')
            .map(|p| p.split_once('=').unwrap_or((p, "")))
    };
    if pairs().any(|(k, _)| k == "key") {
        return Err(Error::Unauthenticated(
            "an API key in the URL (`?key=`) is not accepted; send it in the `x-goog-api-key` header".into(),
        ));
    }
    if op.streams_by_route() && !pairs().any(|(k, v)| k == "alt" && v == "sse") {
        return Err(Error::BadField {
            field: "alt",
            reason: "aimsgate relays Gemini streams as server-sent events: call streamGenerateContent with `?alt=sse` (the Google Gen AI SDKs do)".into(),
        });
    }
    Ok(())
}

/// A response for requests that never reach the pipeline proper (used by tests and the demo).
pub fn plain(status: http::StatusCode, text: &'static str) -> Response<ProxyBody> {
    let mut r = Response::new(body::full(text));
    *r.status_mut() = status;
    r
}
