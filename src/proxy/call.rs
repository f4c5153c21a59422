//! The owned context of one call, [`Call`]: everything the phases learn, from arrival to the
//! last byte of the answer, including the fields the outcome record and the telemetry need.
//!
//! One value per call. The phases take it by `&mut`; the last phase
//! ([`Pipeline::finish`](super::pipeline::Pipeline)) takes it by value, so it runs exactly once
//! for every call — refused, failed, answered whole or streamed (a streamed answer's body owns
//! the `Call` until it ends). A leaf: plain data and small derived views; it runs no phase.
//!
//! Holds no prompt text and no credential (the upstream credential is the configured key to
//! inject, never the caller's).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::HeaderMap;

use super::active::Active;
use super::caller;
use super::inspect::OutputMode;
use super::outcome::ClassTally;
use super::trace::TraceContext;
use super::upstream::UpstreamCredential;
use crate::evidence::proto::ValueFingerprint;
use crate::identity::Principal;
use crate::policy::{Bundle, Decision, System};
use crate::providers::extract::Api;
use crate::providers::{self, Family, Operation};
use crate::telemetry::otel::CallSpan;

/// Facts about one TCP/TLS connection, shared by its requests.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub client_cert: Option<Arc<Vec<u8>>>,
    pub tls: bool,
    /// The connection's slot in the listener's drain tracker (`None` outside a listener).
    pub drain: Option<DrainGuard>,
}

/// A share of one connection's slot in the listener's connection limit, which is also the
/// drain tracker: the slot comes back when the connection and every call still finishing on
/// it are done, so shutdown waits for a last phase that runs after its answer was sent.
#[derive(Debug, Clone)]
pub struct DrainGuard(#[allow(dead_code)] Arc<tokio::sync::OwnedSemaphorePermit>);

impl DrainGuard {
    pub fn new(permit: tokio::sync::OwnedSemaphorePermit) -> Self {
        Self(Arc::new(permit))
    }
}

/// Where the call's decision record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRecord {
    /// Not written yet: the last phase writes it (the call was refused or failed first).
    Pending,
    /// Durable (or queued, in `async` mode) before the call was forwarded.
    Committed,
    /// Its write failed and the log keeps it to write later, or `fail_open` forwarded without
    /// it: no second decision record; the outcome record says how the call ended.
    Kept,
}

/// Everything the phases learn about one call.
#[derive(Debug)]
pub struct Call {
    pub decision_id: String,
    pub request_id: String,
    pub trace: TraceContext,
    pub started: Instant,
    pub received_at: SystemTime,
    pub peer: SocketAddr,
    /// The error shape and auth conventions of the route (from the SDK headers until routed).
    pub family: Family,
    pub op: Option<Operation>,
    pub api: Option<Api>,
    /// The policy, inventory and classifier generation this call runs under, loaded once.
    pub active: Arc<Active>,
    pub principal: Option<Principal>,
    pub credential: UpstreamCredential,
    /// The `[keys]` set the credential maps to (each key bound to its own upstream).
    pub key_set: Option<String>,
    pub upstream: Option<usize>,
    pub upstream_name: Option<String>,
    pub upstream_kind: Option<&'static str>,
    pub model: Option<String>,
    /// The model the caller asked for, when a routing rule sent the call to `model` instead.
    pub routed_from: Option<String>,
    pub stream: bool,
    pub max_tokens: Option<u64>,
    pub request_bytes: usize,
    pub ai_system_header: Option<String>,
    /// A header selection of an AI system that was not honoured (kept for the decision record).
    pub ai_system_refused: Option<String>,
    pub decision: Option<Decision>,
    pub output: Option<OutputMode>,
    /// Request side: per data class, count and what was done with it.
    pub class_actions: Vec<ClassTally>,
    pub unscanned_bytes: u64,
    pub fingerprints: Vec<ValueFingerprint>,
    pub decision_record: DecisionRecord,
    /// The decision record's index in the evidence log (the caller's receipt).
    pub log_index: Option<u64>,
    /// The status the caller got.
    pub status: Option<u16>,
    /// The upstream's status, when an answer arrived and was relayed or inspected.
    pub upstream_status: Option<u16>,
    /// Upstream attempts that did not answer (retries, failover), for the outcome record.
    pub hops: Vec<crate::evidence::proto::UpstreamHop>,
    /// The upstream that answered, when failover moved the call off the selected one.
    pub answered_by: Option<String>,
    /// The used shares of the `[[limits]]` budgets that apply (the policy's `limit_used` facts;
    /// empty unless the bundle reads them).
    pub limit_usage: Vec<(String, f64)>,
    /// The token windows this call is charged to when it ends (`[[limits]]`).
    pub limit_charge: crate::proxy::limits::Charge,
    /// Set when the shared limits store did not answer and its fail mode decided.
    pub limits_fail_mode: Option<crate::config::FailMode>,
    pub error_code: Option<&'static str>,
    /// The OpenTelemetry span of this call, when traces are exported.
    pub span: Option<CallSpan>,
    /// Time from arrival until the request left for the upstream.
    pub forwarded_after: Option<Duration>,
    /// Time spent enforcing output rules on a whole (non-streamed) answer.
    pub output_enforcement: Duration,
    /// Holds the connection's drain slot until the call's last phase has run.
    pub drain: Option<DrainGuard>,
    /// Set when another gateway asked aimsgate to guard this call (guardrail mode).
    pub guard: Option<GuardOrigin>,
}

/// Which gateway asked aimsgate to guard a call, and from which of its hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardOrigin {
    pub gateway: &'static str,
    pub hook: &'static str,
}

impl Call {
    /// A call as it arrives: ids, trace, the SDK's family hint and the active generation.
    pub fn new(conn: &ConnInfo, headers: &HeaderMap, active: Arc<Active>) -> Self {
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
            family: providers::family_hint(
                anthropic_hint,
                headers.contains_key("x-goog-api-key") || headers.contains_key("x-goog-api-client"),
            ),
            op: None,
            api: None,
            active,
            principal: None,
            credential: UpstreamCredential::None,
            key_set: None,
            upstream: None,
            upstream_name: None,
            upstream_kind: None,
            model: None,
            routed_from: None,
            stream: false,
            max_tokens: None,
            request_bytes: 0,
            ai_system_header: None,
            ai_system_refused: None,
            decision: None,
            output: None,
            class_actions: Vec::new(),
            unscanned_bytes: 0,
            fingerprints: Vec::new(),
            decision_record: DecisionRecord::Pending,
            log_index: None,
            status: None,
            upstream_status: None,
            hops: Vec::new(),
            answered_by: None,
            limit_usage: Vec::new(),
            limit_charge: Vec::new(),
            limits_fail_mode: None,
            error_code: None,
            span: None,
            forwarded_after: None,
            output_enforcement: Duration::ZERO,
            drain: conn.drain.clone(),
            guard: None,
        }
    }

    /// The bundle the call was decided under; `None` before the policy ran.
    pub fn bundle(&self) -> Option<&Bundle> {
        self.decision.as_ref().map(|_| &*self.active.bundle)
    }

    /// The bound AI system's id, once decided.
    pub fn ai_system(&self) -> Option<&str> {
        self.decision.as_ref()?.system.id.as_deref()
    }

    /// The bound system's inventory entry, when it is registered.
    pub fn registered_system(&self) -> Option<&System> {
        self.bundle()?.system(self.ai_system()?)
    }

    /// The enforced effect's name, or `None` when no policy decision was made.
    pub fn effect(&self) -> Option<&'static str> {
        self.decision.as_ref().map(|d| d.effect.kind())
    }

    /// Was a decision record made durable (or kept) before the call left the proxy?
    pub fn forwarded_or_kept(&self) -> bool {
        self.decision_record != DecisionRecord::Pending
    }
}
