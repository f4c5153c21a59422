//! `[guardrail]` at run time: [`GuardrailSettings`], validated from
//! [`super::raw::RawGuardrail`] by `validate/guardrail.rs`. Plain data; the guardrail listener
//! and its contracts are [`crate::proxy::guardrail`]'s.

use std::net::SocketAddr;
use std::time::Duration;

/// aimsgate as the guardrail service of another gateway.
#[derive(Debug, Clone)]
pub struct GuardrailSettings {
    pub listen: SocketAddr,
    /// A guardrail failure lets the call through (true) or refuses it (false, the default).
    pub fail_open: bool,
    pub pending_ttl: Duration,
    pub max_pending: usize,
    /// `(model pattern, AI system)`, first match wins.
    pub systems: Vec<(String, String)>,
}

impl GuardrailSettings {
    /// The AI system `model` maps to, if any.
    pub fn system_for(&self, model: Option<&str>) -> Option<&str> {
        let model = model?;
        self.systems
            .iter()
            .find(|(p, _)| super::pattern_matches(p, model))
            .map(|(_, s)| s.as_str())
    }
}
