//! `[guardrail]` as written: aimsgate as the guardrail service other gateways call (LiteLLM's
//! generic guardrail API, Portkey's webhook guardrail, Envoy's external processing). Validated
//! by `validate/guardrail.rs`; only the file format lives here.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuardrail {
    /// The guardrail listener (`serve --guardrail-listen` wins): HTTP/1.1 and HTTP/2 for the
    /// webhook contracts, gRPC (HTTP/2) for Envoy's ext_proc, on one port. Off when unset.
    pub listen: Option<String>,
    /// What a guardrail failure (evidence log not writable, an internal error) answers: `false`
    /// (default) refuses the call, `true` lets it through unchanged and counts it.
    pub fail_open: Option<bool>,
    /// How long a request's decision waits for the gateway's answer check (post-call, response
    /// body) before its outcome is recorded without one (default `10m`).
    pub pending_ttl: Option<String>,
    /// Decisions waiting for their answer check at most (default 10000); the oldest is
    /// recorded and let go beyond it.
    pub max_pending: Option<usize>,
    /// The AI system a guarded call is bound to when neither the gateway's credential nor the
    /// call names one, by model (first match wins).
    #[serde(default)]
    pub systems: Vec<RawGuardSystem>,
}

/// `[[guardrail.systems]]`: a model (exact or `prefix*`) and the AI system it is part of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuardSystem {
    pub model: String,
    pub ai_system: String,
}
