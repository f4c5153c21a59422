//! The on-disk shape of a bundle: serde structs that mirror the TOML files one to one.
//!
//! Every struct denies unknown keys, and values that later validation must point at are
//! [`Spanned`] so errors can name the line. No validation happens here: [`super::load`] turns these
//! into the compiled, checked types the evaluator uses.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// `bundle.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBundle {
    pub id: Spanned<String>,
    pub version: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub monitor: bool,
    pub default: Option<RawDefault>,
    /// `[inventory]`: how calls outside a system's approvals are treated.
    pub inventory: Option<RawInventoryPolicy>,
    /// Who approved this version (recorded with every activation).
    pub approved_by: Option<String>,
    /// The change record that approved it (ticket, change request).
    pub change_ref: Option<String>,
}

/// `[inventory]` in `bundle.toml`: `block` (the default) or `review`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInventoryPolicy {
    /// A registered system calling a model its entry does not approve.
    pub unapproved_model: Option<Spanned<String>>,
    /// A registered system calling an upstream its entry does not approve.
    pub unapproved_upstream: Option<Spanned<String>>,
}

/// `[default]` in `bundle.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDefault {
    pub effect: Spanned<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
    #[serde(default)]
    pub controls: Vec<Spanned<String>>,
}

/// `systems.toml`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSystems {
    #[serde(default)]
    pub system: Vec<RawSystem>,
}

/// One `[[system]]` inventory entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSystem {
    pub id: Spanned<String>,
    pub name: String,
    pub owner: String,
    pub purpose: String,
    pub risk_tier: Spanned<String>,
    pub impact_assessment: Option<String>,
    pub upstreams: Option<Vec<Spanned<String>>>,
    pub models: Option<Vec<Spanned<String>>>,
    pub principals: Option<Vec<Spanned<String>>>,
    pub groups: Option<Vec<Spanned<String>>>,
    pub data_classes: Option<Vec<Spanned<String>>>,
}

/// `rules.toml`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRules {
    #[serde(default)]
    pub rule: Vec<RawRule>,
}

/// One `[[rule]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: Spanned<String>,
    pub description: String,
    pub controls: Spanned<Vec<Spanned<String>>>,
    pub effect: Spanned<String>,
    #[serde(default)]
    pub monitor: bool,
    pub message: Option<String>,
    pub fix: Option<String>,
    pub classes: Option<Vec<Spanned<String>>>,
    /// An `allow` or `review` rule may send the call to this model instead (e.g. a cheaper one
    /// once a budget is mostly spent).
    pub route_model: Option<Spanned<String>>,
    pub when: Option<Spanned<RawCond>>,
}

/// `output.toml`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutputs {
    #[serde(default)]
    pub output: Vec<RawOutput>,
}

/// One `[[output]]` rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutput {
    pub id: Spanned<String>,
    pub description: String,
    pub controls: Spanned<Vec<Spanned<String>>>,
    pub classes: Spanned<Vec<Spanned<String>>>,
    pub action: Spanned<String>,
    #[serde(default)]
    pub monitor: bool,
    pub when: Option<Spanned<RawCond>>,
}

/// A condition table. Several keys in one table must all hold.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCond {
    pub all: Option<Vec<Spanned<RawCond>>>,
    pub any: Option<Vec<Spanned<RawCond>>>,
    pub not: Option<Box<Spanned<RawCond>>>,
    pub principal: Option<Spanned<StrList>>,
    pub group: Option<Spanned<StrList>>,
    pub auth_method: Option<Spanned<StrList>>,
    pub ai_system: Option<Spanned<StrList>>,
    pub risk_tier: Option<Spanned<StrList>>,
    pub upstream: Option<Spanned<StrList>>,
    pub model: Option<Spanned<StrList>>,
    pub operation: Option<Spanned<StrList>>,
    pub class: Option<Spanned<StrList>>,
    pub class_count: Option<Spanned<RawCount>>,
    pub system_registered: Option<bool>,
    pub model_approved: Option<bool>,
    pub upstream_approved: Option<bool>,
    pub classes_approved: Option<bool>,
    pub stream: Option<bool>,
    pub unscanned: Option<bool>,
    pub max_tokens_set: Option<bool>,
    pub max_tokens_over: Option<u64>,
    pub limit_used: Option<Spanned<RawLimitUse>>,
}

/// `limit_used = { limit = "team-spend", at_least = 0.8 }`: the share of a `[[limits]]` token or
/// money budget the call's keys have used in the current window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimitUse {
    pub limit: String,
    pub at_least: f64,
}

/// `class_count = { class = "pii.*", at_least = 5 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCount {
    pub class: String,
    pub at_least: u32,
}

/// A string or a list of strings (`model = "gpt-4o*"` or `model = ["gpt-4o*", "o3*"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StrList(pub Vec<String>);

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrList, E> {
                Ok(StrList(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(StrList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `tests.toml`: the bundle's own test cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCases {
    #[serde(default)]
    pub case: Vec<RawCase>,
}

/// One `[[case]]`: facts in, expected decision out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCase {
    pub name: String,
    #[serde(default = "default_principal")]
    pub principal: String,
    #[serde(default = "default_auth")]
    pub auth_method: String,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Bind directly to this system id (skips [`super::bind_system`]).
    pub system: Option<String>,
    /// Bind through [`super::bind_system`] with this credential mapping...
    pub key_system: Option<String>,
    /// ...and this `x-aimsgate-ai-system` header.
    pub header: Option<String>,
    #[serde(default = "default_upstream")]
    pub upstream: String,
    pub model: Option<String>,
    #[serde(default = "default_operation")]
    pub operation: String,
    #[serde(default)]
    pub classes: std::collections::BTreeMap<String, u32>,
    #[serde(default)]
    pub stream: bool,
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub unscanned_bytes: u64,
    /// Budget shares used, by limit id (`limits = { team-spend = 0.9 }`).
    #[serde(default)]
    pub limits: std::collections::BTreeMap<String, f64>,
    pub expect: String,
    /// The model a routing rule sends the call to.
    pub expect_route: Option<String>,
    pub expect_rules: Option<Vec<String>>,
    pub expect_redact: Option<Vec<String>>,
    pub expect_review: Option<bool>,
    pub expect_monitored: Option<Vec<String>>,
    pub expect_would_have: Option<String>,
    pub expect_system: Option<String>,
    pub expect_output: Option<std::collections::BTreeMap<String, String>>,
}

fn default_principal() -> String {
    "test-principal".to_owned()
}
fn default_auth() -> String {
    "api_key".to_owned()
}
fn default_upstream() -> String {
    "openai".to_owned()
}
fn default_operation() -> String {
    "chat".to_owned()
}

/// `dictionaries.toml`: organisation term lists, each matched as the class `custom.<name>`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDictionaries {
    #[serde(default)]
    pub dictionary: Vec<RawDictionary>,
}

/// One `[[dictionary]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDictionary {
    pub name: Spanned<String>,
    pub terms: Vec<String>,
}

/// `objectives.toml`: the AIMS objectives (ISO/IEC 42001 6.2) the Clause 9 report measures.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObjectives {
    #[serde(default)]
    pub objective: Vec<RawObjective>,
}

/// One `[[objective]]`: a metric and its threshold, for all calls or for listed AI systems.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObjective {
    pub id: Spanned<String>,
    pub title: String,
    pub metric: Spanned<String>,
    /// Met when the measured value is at most this.
    pub max: Option<Spanned<f64>>,
    /// Met when the measured value is at least this.
    pub min: Option<Spanned<f64>>,
    /// `findings_forwarded` only: the classes counted (default `secret.*`).
    pub classes: Option<Vec<Spanned<String>>>,
    /// Measured per listed system; absent: over all calls.
    pub ai_systems: Option<Vec<Spanned<String>>>,
    pub controls: Spanned<Vec<Spanned<String>>>,
}
