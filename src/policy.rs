//! The AIMS policy core: load and validate a policy bundle (AI system inventory, request rules,
//! output rules), bind calls to AI systems, and evaluate one call's facts to a [`Decision`].
//!
//! Owns: the bundle format (documented in `policies/README.md`), validation with file/line/key
//! errors, the content hash, the precedence of effects, monitor mode, `explain` and the bundle
//! test-case runner. Pure: the only I/O is [`load_dir`] reading a directory. It deliberately does
//! not watch files, swap bundles at runtime, log, or know HTTP — the proxy does that — and it does
//! not classify text: classes arrive as names in [`Facts`].
//!
//! Precedence when several enforced rules match: **block > redact > review > allow**; redact
//! classes are unioned; a review rule still flags a redacted call. When no enforced rule matches,
//! the bundle's default effect applies. Monitor-mode rules (per rule, or all rules when the bundle
//! sets `monitor = true`) are evaluated and reported in [`Decision::monitored`] and
//! [`Decision::would_have`] without changing [`Decision::effect`].

mod cond;
mod error;
mod eval;
mod explain;
mod glob;
mod inventory;
mod load;
mod objective;
mod raw;
pub mod testing;
#[cfg(test)]
mod tests;

pub use crate::taxonomy::OutputAction;
pub use error::LoadError;
pub use eval::{evaluate, output_plan, OutputEntry, OutputPlan};
pub use explain::{class_outputs, explain, ClassOutput, Explanation, RuleTrace};
pub use inventory::{bind_system, Binding, BindingSource, RiskTier, System};
/// The ids a rule may cite; the report's Annex A table is tested against them.
#[cfg(test)]
pub(crate) use load::controls::is_annex_a;
pub use load::{
    content_hash, load_dir, load_dir_with, load_files, load_files_with, LoadContext, BUNDLE_FILES,
    UNAPPROVED_MODEL, UNAPPROVED_UPSTREAM,
};
pub use objective::{Metric, Objective, Threshold};

use crate::taxonomy::{ClassCount, ClassPattern};
use std::collections::HashMap;
use std::sync::Arc;

/// A loaded, validated, immutable policy bundle. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Bundle {
    /// Organisation dictionaries `(name, terms)`; each is the data class `custom.<name>`.
    dictionaries: Vec<(String, Vec<String>)>,
    id: String,
    version: String,
    description: String,
    hash: String,
    approved_by: Option<String>,
    change_ref: Option<String>,
    /// The policy files as loaded `(name, contents)`, for archiving beside the evidence.
    files: Arc<[(String, String)]>,
    objectives: Vec<Objective>,
    monitor: bool,
    default: Rule,
    systems: Vec<System>,
    index: HashMap<Arc<str>, usize>,
    rules: Vec<Rule>,
    outputs: Vec<OutputRule>,
    /// Distinct class selectors used by conditions and redact rules; the first 64 get a bit.
    selectors: Vec<ClassPattern>,
    /// A rule condition reads `limit_used`.
    uses_limits: bool,
}

impl Bundle {
    /// Organisation dictionaries from `dictionaries.toml`: `(name, terms)`, class `custom.<name>`.
    pub fn dictionaries(&self) -> &[(String, Vec<String>)] {
        &self.dictionaries
    }

    /// Does a rule read `limit_used` (so the proxy must compute budget shares per call)?
    pub fn uses_limit_facts(&self) -> bool {
        self.uses_limits
    }

    /// Bundle id from `bundle.toml`.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Bundle version from `bundle.toml`.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// Bundle description from `bundle.toml`.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Lowercase hex SHA-256 over the bundle's policy files (see [`load::content_hash`]).
    pub fn content_hash(&self) -> &str {
        &self.hash
    }
    /// `approved_by` from `bundle.toml`: who approved this version.
    pub fn approved_by(&self) -> Option<&str> {
        self.approved_by.as_deref()
    }
    /// `change_ref` from `bundle.toml`: the change record that approved it.
    pub fn change_ref(&self) -> Option<&str> {
        self.change_ref.as_deref()
    }
    /// The policy files the bundle was loaded from, `(name, contents)` (without `tests.toml`);
    /// their [`load::content_hash`] is [`Bundle::content_hash`].
    pub fn files(&self) -> &[(String, String)] {
        &self.files
    }
    /// The AIMS objectives from `objectives.toml`, in file order.
    pub fn objectives(&self) -> &[Objective] {
        &self.objectives
    }
    /// Is the whole bundle in monitor mode (nothing enforced)?
    pub fn monitor(&self) -> bool {
        self.monitor
    }
    /// The AI system inventory, in file order.
    pub fn systems(&self) -> &[System] {
        &self.systems
    }
    /// Look up a registered system by id.
    pub fn system(&self, id: &str) -> Option<&System> {
        self.index.get(id).and_then(|&i| self.systems.get(i))
    }
    /// Number of request rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }
    /// Number of request rules in monitor mode (all of them in a monitor-mode bundle).
    pub fn monitor_rule_count(&self) -> usize {
        self.rules.iter().filter(|r| r.monitor).count()
    }
    /// Number of output rules.
    pub fn output_rule_count(&self) -> usize {
        self.outputs.len()
    }
    /// Ids of the request rules, in file order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| &*r.rref.id)
    }
    /// The effect applied when no enforced rule matches.
    pub fn default_effect(&self) -> Effect {
        self.default.effect.to_effect()
    }
}

/// The built-in baseline bundle (`policies/baseline`), embedded at compile time.
pub fn baseline() -> Result<Bundle, LoadError> {
    load_files(&baseline_files())
}

/// The embedded baseline's files, as `(file name, contents)`.
pub fn baseline_files() -> Vec<(String, String)> {
    macro_rules! f {
        ($name:literal) => {
            (
                $name.to_owned(),
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/policies/baseline/",
                    $name
                ))
                .to_owned(),
            )
        };
    }
    vec![
        f!("bundle.toml"),
        f!("systems.toml"),
        f!("rules.toml"),
        f!("output.toml"),
        f!("objectives.toml"),
    ]
}

/// The embedded baseline's own test cases (`policies/baseline/tests.toml`).
pub const BASELINE_TESTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/policies/baseline/tests.toml"
));

/// Everything evaluation needs to know about one call. Classes are [`ClassCount`]s by name.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Principal id from identity.
    pub principal: &'a str,
    /// How the principal authenticated (`api_key`, `jwt`, `mtls`, `header`).
    pub auth_method: &'a str,
    /// The principal's groups.
    pub groups: &'a [String],
    /// The bound AI system ([`Binding::system`]); `None` or an unknown id means unregistered.
    pub ai_system: Option<&'a str>,
    /// The configured upstream (provider route) name.
    pub upstream: &'a str,
    /// Requested model, when the request names one.
    pub model: Option<&'a str>,
    /// `chat`, `responses`, `embeddings`, `completions`, `messages`, `count_tokens`, `models`.
    pub operation: &'a str,
    /// Data classes found in the request, with counts.
    pub classes: &'a [ClassCount<&'a str>],
    /// Streaming requested.
    pub stream: bool,
    /// `max_tokens` (or equivalent) requested.
    pub max_tokens: Option<u64>,
    /// Bytes of request text that were not scanned (over the scan limit, undecodable).
    pub unscanned_bytes: u64,
    /// The used share of each `[[limits]]` token or money budget that applies to the call
    /// (by limit id; the fullest of its keys), when the bundle's rules ask
    /// ([`Bundle::uses_limit_facts`]).
    pub limits: &'a [(&'a str, f64)],
}

/// The operations a rule may name in `operation = ...`.
pub const OPERATIONS: &[&str] = &[
    "chat",
    "responses",
    "embeddings",
    "completions",
    "messages",
    "count_tokens",
    "models",
    "generate_content",
    "stream_generate_content",
    "gemini_count_tokens",
    "embed_content",
    "batch_embed_contents",
    "converse",
    "converse_stream",
    "invoke_model",
    "invoke_model_stream",
];

/// A reference to the rule that decided, with its Annex A controls. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// Rule id (`default` for the bundle default).
    pub id: Arc<str>,
    /// ISO/IEC 42001 Annex A control ids, e.g. `A.7.4`.
    pub controls: Arc<[String]>,
}

/// What happens to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Forward untouched.
    Allow,
    /// Forward with every finding of these classes redacted.
    Redact {
        /// Class selectors to redact (union of all deciding rules, deduplicated, in rule order).
        classes: Vec<ClassPattern>,
    },
    /// Refuse the call.
    Block {
        /// What the caller is told.
        message: String,
        /// How the caller can fix the request.
        fix: String,
    },
    /// Forward untouched, flagged for human review in evidence and metrics.
    Review,
}

/// An [`Effect`] without its payload. The variant order is the precedence (derived `Ord`):
/// `Allow < Review < Redact < Block`, so the winning effect of several is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EffectKind {
    /// Forward untouched.
    Allow,
    /// Forward untouched, flagged for review.
    Review,
    /// Forward with redactions.
    Redact,
    /// Refuse the call.
    Block,
}

impl EffectKind {
    /// Every kind, weakest first.
    pub const ALL: [Self; 4] = [Self::Allow, Self::Review, Self::Redact, Self::Block];

    /// `allow`, `review`, `redact` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Review => "review",
            Self::Redact => "redact",
            Self::Block => "block",
        }
    }

    /// The kind named `s` (the inverse of [`as_str`](Self::as_str)).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EffectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Effect {
    /// Short name: `allow`, `redact`, `block`, `review` (`self.effect_kind().as_str()`).
    pub fn kind(&self) -> &'static str {
        self.effect_kind().as_str()
    }

    /// The payload-free kind; compare kinds for precedence (`block > redact > review > allow`).
    pub fn effect_kind(&self) -> EffectKind {
        match self {
            Self::Allow => EffectKind::Allow,
            Self::Review => EffectKind::Review,
            Self::Redact { .. } => EffectKind::Redact,
            Self::Block { .. } => EffectKind::Block,
        }
    }

    /// Must a finding of `class` be redacted under this effect?
    pub fn redacts(&self, class: &str) -> bool {
        match self {
            Self::Redact { classes } => classes.iter().any(|p| p.matches(class)),
            _ => false,
        }
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Redact { classes } => {
                let c: Vec<String> = classes.iter().map(ToString::to_string).collect();
                write!(f, "redact({})", c.join(", "))
            }
            other => f.write_str(other.kind()),
        }
    }
}

/// The AI system a decision was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// Bound system id (or the unregistered name asked for).
    pub id: Option<Arc<str>>,
    /// Its risk tier (`Unknown` when unregistered).
    pub risk_tier: RiskTier,
    /// Is it in the inventory?
    pub registered: bool,
    /// Is the requested model / upstream approved for it (false when unregistered)?
    pub model_approved: bool,
    pub upstream_approved: bool,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The enforced effect.
    pub effect: Effect,
    /// True when a review rule matched, also when a stronger effect won (e.g. redact + review).
    pub review: bool,
    /// What each matched monitor-mode rule would have done.
    pub monitored: Vec<(RuleRef, Effect)>,
    /// The effect had every monitor-mode rule been enforced (equals `effect` without monitor rules).
    pub would_have: Effect,
    /// The rules that decided the enforced effect (the pseudo-rule `default` when none matched).
    pub rules: Vec<RuleRef>,
    /// Human-readable reason; names rules and classes, never data values.
    pub reason: String,
    /// The system the call was bound to.
    pub system: SystemInfo,
    /// The model an enforced allow or review rule sends the call to instead of the requested one.
    pub route_model: Option<String>,
}

/// What a rule does when it fires (compiled).
#[derive(Debug, Clone)]
pub(crate) enum RuleEffect {
    Allow,
    Redact(Vec<ClassPattern>),
    Block { message: String, fix: String },
    Review,
}

impl RuleEffect {
    pub(crate) fn to_effect(&self) -> Effect {
        match self {
            Self::Allow => Effect::Allow,
            Self::Redact(c) => Effect::Redact { classes: c.clone() },
            Self::Block { message, fix } => Effect::Block {
                message: message.clone(),
                fix: fix.clone(),
            },
            Self::Review => Effect::Review,
        }
    }
    /// The payload-free kind, ordered by precedence.
    pub(crate) fn kind(&self) -> EffectKind {
        match self {
            Self::Allow => EffectKind::Allow,
            Self::Review => EffectKind::Review,
            Self::Redact(_) => EffectKind::Redact,
            Self::Block { .. } => EffectKind::Block,
        }
    }
}

/// A compiled request rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub rref: RuleRef,
    pub description: String,
    pub effect: RuleEffect,
    pub monitor: bool,
    pub cond: cond::Cond,
    /// Bits of the redact classes in the selector table (0 = match directly).
    pub redact_mask: u64,
    /// Systems the condition can hold for, as inventory bits (`u64::MAX` = not system-bound).
    pub sys_mask: u64,
    /// An allow or review rule's model to send the call to instead.
    pub route_model: Option<String>,
}

/// A compiled output rule.
#[derive(Debug, Clone)]
pub(crate) struct OutputRule {
    pub rref: RuleRef,
    pub classes: Vec<ClassPattern>,
    pub action: OutputAction,
    pub monitor: bool,
    pub cond: cond::Cond,
}
