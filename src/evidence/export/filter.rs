//! [`ExportFilter`]: which records an export selects (time, log index, AI system, principal,
//! decision), and its one-line description for export headers.
//!
//! A leaf of `export`: shared by the exporter and the line format (`line`) without either
//! importing the other; re-exported as [`crate::evidence::ExportFilter`].

use super::render;

/// Which records to export.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFilter {
    /// Records at or after this time (unix nanos).
    pub since: Option<i64>,
    /// Records before this time (unix nanos).
    pub until: Option<i64>,
    /// Records from this log index on.
    #[serde(default)]
    pub from_seq: Option<u64>,
    /// Records up to and including this log index.
    #[serde(default)]
    pub to_seq: Option<u64>,
    /// Decision records of this AI system (and their outcomes).
    pub ai_system: Option<String>,
    /// Decision records of this principal (and their outcomes).
    pub principal: Option<String>,
    /// Decision records with this effect: allow, redact, block, review or error.
    pub decision: Option<String>,
}

impl ExportFilter {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// True when records of the window are selected by content (then some are omitted).
    pub fn selects_content(&self) -> bool {
        self.ai_system.is_some() || self.principal.is_some() || self.decision.is_some()
    }

    /// True when a record lies before the window.
    pub(crate) fn before(&self, seq: u64, time: i64) -> bool {
        self.from_seq.is_some_and(|f| seq < f) || self.since.is_some_and(|s| time < s)
    }

    /// True when a record lies after the window.
    pub(crate) fn after(&self, seq: u64, time: i64) -> bool {
        self.to_seq.is_some_and(|t| seq > t) || self.until.is_some_and(|u| time >= u)
    }

    /// A short description, e.g. `ai_system=support-bot since=2026-..`.
    pub fn describe(&self) -> String {
        let t = |n: i64| render::rfc3339_nanos(n);
        let mut parts = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        };
        add("since", self.since.map(t));
        add("until", self.until.map(t));
        add("from_seq", self.from_seq.map(|s| s.to_string()));
        add("to_seq", self.to_seq.map(|s| s.to_string()));
        add("ai_system", self.ai_system.clone());
        add("principal", self.principal.clone());
        add("decision", self.decision.clone());
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(" ")
        }
    }
}
