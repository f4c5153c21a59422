//! Records → [`Figures`]: one pass over decision, outcome and event records (of one or several
//! nodes, in any order), keeping counts, the per-bucket timeline and latency samples, then
//! [`Collector::finish`] turns them into figures. Pure: no I/O, no clock; reading and verifying
//! the logs is `node`'s. Uses only the record fields (see the notes in [`NOTES`] for figures
//! the records do not carry).
use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::proto::{
    record::Kind, ClassAction, DecisionRecord, Effect, OutcomeRecord, Record,
};

use super::buckets::Timeline;
use super::in_flight::InFlight;
use super::samples::Samples;

mod events;
mod finish;

use super::accumulate::{Eval, Facts, Settings};
pub use super::labels::effect_label;
use super::labels::or_none;

use super::figures::*;
use super::time::TimeRange;

/// How some figures are derived, and what the records cannot show; shown in every report.
pub const NOTES: &[&str] = &[
    "Controls operating = calls forwarded with redactions and the findings redacted: the data-protection rules doing what the policy says. They are not nonconformities.",
    "Nonconformities = calls refused by policy, calls to a model or upstream the registered AI system is not approved for, calls from AI systems the inventory does not know, and calls flagged for review without an accepted or rejected disposition when the report was built; a call is counted once however many apply.",
    "Flagged calls = effect review, plus calls where a review rule fired beside a stronger effect such as a redaction. A review is closed by the first accepted or rejected disposition recorded with `aimsgate review`; an escalation leaves it open.",
    "Objectives are measured over the period and over the period of the same length before it (given --since); latency percentiles are nearest-rank from histograms with three significant digits (at most 0.1% above the exact value).",
    "Latency and upstream statuses come from outcome records (forwarded calls only); latency is measured by aimsgate from request start to the end of the response.",
    "The retention period is known from the log's retention events; records newer than the latest signed checkpoint are left out of the figures.",
];

/// Rule-id fragments that mark unapproved-model rules (see [`NOTES`]).
const UNAPPROVED_RULE_MARKS: [&str; 3] = [
    "unapproved-model",
    "unapproved-upstream",
    "unapproved-supplier",
];

/// Accumulates records; see the module doc.
#[derive(Debug, Default)]
pub struct Collector {
    range: TimeRange,
    first: Option<i64>,
    last: Option<i64>,
    timeline: Timeline,
    totals: Totals,
    policies: BTreeMap<(String, String, String), PolicyAcc>,
    classes: BTreeMap<String, ClassFigures>,
    rules: BTreeMap<String, RuleFigures>,
    refusals: BTreeMap<String, u64>,
    flagged: BTreeMap<String, u64>,
    monitor: BTreeMap<(String, String), u64>,
    unregistered: BTreeMap<String, u64>,
    unapproved: UnapprovedModels,
    unapproved_rules: BTreeMap<String, u64>,
    unapproved_models: BTreeMap<String, u64>,
    /// Upstreams of forwarded decisions, in order of first sight, with their outcomes' latency.
    upstreams: Vec<(String, Samples)>,
    upstream_of: InFlight,
    latency: Samples,
    latency_unknown: Samples,
    first_bytes: Samples,
    errors: ErrorFigures,
    failed: u64,
    error_kinds: BTreeMap<String, u64>,
    answered: BTreeMap<String, u64>,
    tokens: Tokens,
    controls: BTreeMap<String, (u64, BTreeSet<String>)>,
    event_counts: BTreeMap<String, u64>,
    event_rows: Vec<EventRow>,
    fail_open_started: u64,
    eval: Eval,
}

#[derive(Debug, Default)]
struct PolicyAcc {
    decisions: u64,
    evaluated: u64,
    violations: u64,
    mix: EffectMix,
}

fn bump(m: &mut BTreeMap<String, u64>, k: &str) {
    *m.entry(k.to_owned()).or_default() += 1;
}

fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Whether the upstream gave no answer or the answer broke off.
fn broken(o: &OutcomeRecord) -> bool {
    o.upstream_status == 0 || o.error_kind.starts_with("upstream")
}

/// Whether the call failed upstream (no answer, broken answer, or 5xx).
fn failed(o: &OutcomeRecord) -> bool {
    broken(o) || o.upstream_status >= 500
}

/// A decision's evaluated, flagged and unapproved-use facts. Unapproved use is the recorded
/// `model_approved` / `upstream_approved` fact of a registered system (an unregistered one has
/// no approvals to check: it is counted as unregistered), or, where the record carries no such
/// fact, a deciding rule whose id marks unapproved models or suppliers.
fn facts(d: &DecisionRecord) -> Facts {
    let effect = Effect::try_from(d.effect).ok();
    let flagged = effect == Some(Effect::Review)
        || d.review_flagged
        || (effect == Some(Effect::Redact) && d.reason.contains("flagged for review"));
    let recorded = d.ai_system_registered
        && (d.model_approved == Some(false) || d.upstream_approved == Some(false));
    let by_rule = d.model_approved.is_none()
        && d.matched_rules
            .iter()
            .any(|m| UNAPPROVED_RULE_MARKS.iter().any(|k| m.rule_id.contains(k)));
    Facts {
        evaluated: !d.matched_rules.is_empty(),
        flagged,
        unapproved: recorded || by_rule,
    }
}

impl Collector {
    /// A collector for records inside `range`, with default evaluation settings.
    pub fn new(range: TimeRange) -> Self {
        Self::with(range, Settings::default())
    }

    /// A collector for records inside `range`.
    pub fn with(range: TimeRange, settings: Settings) -> Self {
        Self {
            range,
            eval: Eval::new(settings),
            ..Self::default()
        }
    }

    /// The records that follow come from node `i` (its data dir is `name`).
    pub fn node(&mut self, i: usize, name: &str) {
        self.eval.node = i;
        self.eval.watch.node(i, name);
    }

    /// Adds one record; returns whether it was inside the time range.
    pub fn add(&mut self, r: &Record) -> bool {
        let t = r.time_unix_nanos;
        if let Some(Kind::Event(e)) = &r.kind {
            self.eval.any_time_event(t, &r.log_id, e);
        }
        if !self.range.contains(t) {
            if self.eval.settings.previous.is_some_and(|p| p.contains(t)) {
                self.eval.prev_records += 1;
                match &r.kind {
                    Some(Kind::Decision(d)) => {
                        let f = facts(d);
                        self.eval.decision(1, t, r.seq, &r.log_id, d, &f);
                    }
                    Some(Kind::Outcome(o)) => self.eval.outcome(t, o, failed(o)),
                    _ => {}
                }
            }
            return false;
        }
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        match &r.kind {
            Some(Kind::Decision(d)) => {
                self.eval.timeline(t, None);
                let f = self.decision(t, d);
                self.eval.decision(0, t, r.seq, &r.log_id, d, &f);
            }
            Some(Kind::Outcome(o)) => {
                self.eval.timeline(t, None);
                self.outcome(o);
                self.eval.outcome(t, o, failed(o));
            }
            Some(Kind::Event(e)) => {
                self.eval.timeline(t, Some(e));
                self.event(t, &r.log_id, e);
            }
            None => {}
        }
        true
    }

    fn decision(&mut self, t: i64, d: &DecisionRecord) -> Facts {
        let effect = Effect::try_from(d.effect).ok();
        let label = effect_label(d.effect);
        let evaluated = !d.matched_rules.is_empty();
        let fx = facts(d);
        let flagged = fx.flagged;
        let violation = evaluated
            && matches!(
                effect,
                Some(Effect::Block | Effect::Redact | Effect::Review)
            );
        self.totals.decisions += 1;
        self.totals.evaluated += u64::from(evaluated);
        self.totals.violations += u64::from(violation);
        self.totals.mix.add(effect, flagged);
        let key = (
            or_none(&d.policy_bundle_id).into_owned(),
            d.policy_version.clone(),
            d.policy_content_hash.clone(),
        );
        let p = self.policies.entry(key).or_default();
        p.decisions += 1;
        p.evaluated += u64::from(evaluated);
        p.violations += u64::from(violation);
        p.mix.add(effect, flagged);
        let system = or_none(&d.ai_system_id);
        let model = or_none(&d.requested_model);
        let upstream = or_none(&d.upstream);
        self.timeline.add(
            t.div_euclid(1_000_000_000),
            [&system, &model, &upstream, &label],
        );
        for f in &d.findings {
            let c = self.classes.entry(f.class.clone()).or_default();
            c.requests += 1;
            c.found += u64::from(f.count);
            match ClassAction::try_from(f.action) {
                Ok(ClassAction::Redacted) => c.redacted += u64::from(f.count),
                Ok(ClassAction::Blocked) => c.blocked += u64::from(f.count),
                _ => c.allowed += u64::from(f.count),
            }
        }
        let mut controls = BTreeSet::new();
        for m in &d.matched_rules {
            let r = self
                .rules
                .entry(m.rule_id.clone())
                .or_insert_with(|| RuleFigures {
                    rule_id: m.rule_id.clone(),
                    controls: m.annex_a_controls.clone(),
                    ..RuleFigures::default()
                });
            r.decisions += 1;
            r.mix.add(effect, flagged);
            for c in &m.annex_a_controls {
                controls.insert(c.as_str());
                self.controls
                    .entry(c.clone())
                    .or_default()
                    .1
                    .insert(m.rule_id.clone());
            }
            if effect == Some(Effect::Block) {
                bump(&mut self.refusals, &m.rule_id);
            }
            if flagged {
                bump(&mut self.flagged, &m.rule_id);
            }
            if UNAPPROVED_RULE_MARKS.iter().any(|k| m.rule_id.contains(k)) {
                bump(&mut self.unapproved_rules, &m.rule_id);
            }
        }
        for c in controls {
            self.controls.entry(c.to_owned()).or_default().0 += 1;
        }
        for m in &d.monitor_effects {
            let k = (m.rule_id.clone(), effect_label(m.would_have));
            *self.monitor.entry(k).or_default() += 1;
        }
        if evaluated && !d.ai_system_registered {
            bump(&mut self.unregistered, &system);
        }
        let unapproved = fx.unapproved;
        let routing = d.reason.starts_with("model_not_allowed");
        self.unapproved.routing_refusals += u64::from(routing);
        self.unapproved.policy_matches += u64::from(unapproved);
        if routing || unapproved {
            bump(&mut self.unapproved_models, &model);
        }
        if d.http_status == 0 {
            let i = match self.upstreams.iter().position(|(u, _)| *u == upstream) {
                Some(i) => i,
                None => {
                    self.upstreams
                        .push((upstream.into_owned(), Samples::default()));
                    self.upstreams.len() - 1
                }
            };
            self.upstream_of.insert(&d.decision_id, i);
        } else {
            bump(&mut self.answered, &format!("HTTP {}", d.http_status));
            match d.http_status {
                400..=499 => self.errors.answered_4xx += 1,
                500..=599 => self.errors.answered_5xx += 1,
                _ => {}
            }
        }
        fx
    }

    /// Forwarded decisions read whose outcome has not been (what the collector holds per call).
    #[cfg(test)]
    pub(crate) fn calls_in_flight(&self) -> usize {
        self.upstream_of.len()
    }

    fn outcome(&mut self, o: &OutcomeRecord) {
        self.totals.outcomes += 1;
        let e = &mut self.errors;
        e.forwarded += 1;
        let broke = broken(o);
        match o.upstream_status {
            0 => e.upstream_failures += 1,
            100..=399 if broke => e.upstream_failures += 1,
            100..=399 => e.upstream_ok += 1,
            400..=499 => e.upstream_4xx += 1,
            _ => e.upstream_5xx += 1,
        }
        self.failed += u64::from(failed(o));
        if !o.error_kind.is_empty() {
            bump(&mut self.error_kinds, &o.error_kind);
        }
        self.latency.record(o.latency_us);
        let up = self.upstream_of.take(&o.decision_id);
        match up.and_then(|i| self.upstreams.get_mut(i)) {
            Some((_, s)) => s.record(o.latency_us),
            None => self.latency_unknown.record(o.latency_us),
        }
        if o.time_to_first_byte_us > 0 {
            self.first_bytes.record(o.time_to_first_byte_us);
        }
        if o.input_tokens.is_some() || o.output_tokens.is_some() {
            self.tokens.calls_with_usage += 1;
        }
        self.tokens.input += o.input_tokens.unwrap_or(0);
        self.tokens.output += o.output_tokens.unwrap_or(0);
        for f in &o.output_findings {
            let c = self.classes.entry(f.class.clone()).or_default();
            c.output_found += u64::from(f.count);
            match ClassAction::try_from(f.action) {
                Ok(ClassAction::Redacted) => c.output_redacted += u64::from(f.count),
                Ok(ClassAction::Blocked) => c.output_blocked += u64::from(f.count),
                _ => {}
            }
        }
    }
}
