//! The per-record half of the performance evaluation: per-system figures and objective
//! measures (for the period and the previous period of the same length), flagged calls and
//! review dispositions, policy activations (whenever they were made: the policy in force at
//! the period's start may have been activated long before), the weekly trends, the anomaly
//! watch and the audit sample, fed by the collector; `evaluate` turns it into figures.
use crate::evidence::proto::{
    event_record::Event, ClassAction, DecisionRecord, Disposition as RawDisposition, Effect,
    EventRecord, OutcomeRecord,
};

use super::anomalies::Watch;
use super::in_flight::InFlight;
use super::labels::{effect_label, or_none};
use super::reviews::{Disposition, Reviews};
use super::sample::{Drawn, Sampler};
use super::systems::Systems;
use super::time::TimeRange;
use super::weekly::{ix, Weekly};
use super::zone::Zone;

/// What the evaluation needs besides the period.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The previous period of the same length (`None`: no comparison).
    pub previous: Option<TimeRange>,
    /// Time zone of the weeks and the page.
    pub zone: Zone,
    /// Seed of the audit sample.
    pub seed: String,
    /// Sample size.
    pub sample: u64,
    /// Longest quiet time before a gap is flagged (nanoseconds; 0: never).
    pub max_gap: i64,
    /// Report time (unix nanoseconds).
    pub generated_at: i64,
}

/// A policy activation seen anywhere in a log.
#[derive(Clone, Debug, Default)]
pub struct ActivationSeen {
    /// When.
    pub time: i64,
    /// Log id.
    pub log_id: String,
    /// Node index.
    pub node: usize,
    /// Bundle id.
    pub bundle_id: String,
    /// Version.
    pub version: String,
    /// Content hash.
    pub hash: String,
    /// Approver.
    pub approved_by: String,
    /// Change reference.
    pub change_ref: String,
}

/// The evaluation state; see the module doc.
#[derive(Debug, Default)]
pub struct Eval {
    pub settings: Settings,
    pub node: usize,
    pub systems: Systems,
    pub reviews: Reviews,
    pub sampler: Sampler,
    pub watch: Watch,
    pub weekly: Weekly,
    pub activations: Vec<ActivationSeen>,
    /// Decisions with a refusal, unapproved use or unregistered system, per period.
    pub nonconforming: [u64; 2],
    /// Evaluated decisions per period.
    pub evaluated: [u64; 2],
    /// Refusals, unapproved use, unregistered calls per period.
    pub refused: [u64; 2],
    pub unapproved: [u64; 2],
    pub unregistered: [u64; 2],
    /// Decisions per period.
    pub decisions: [u64; 2],
    /// Records of any kind in the previous period (none: the log did not cover it).
    pub prev_records: u64,
    /// Redacted calls and redacted findings (requests and answers) per period.
    pub redacted_calls: [u64; 2],
    pub redacted_findings: [u64; 2],
    calls: InFlight<(u32, u8)>,
}

/// What the collector already worked out about a decision.
pub struct Facts {
    pub evaluated: bool,
    pub flagged: bool,
    pub unapproved: bool,
}

impl Eval {
    /// A fresh evaluation.
    pub fn new(settings: Settings) -> Self {
        Self {
            sampler: Sampler::new(&settings.seed, settings.sample),
            watch: Watch::new(
                settings.max_gap,
                settings.generated_at,
                settings.zone.clone(),
            ),
            weekly: Weekly::new(settings.zone.clone()),
            settings,
            ..Self::default()
        }
    }

    /// Events that count whenever they were recorded.
    pub fn any_time_event(&mut self, t: i64, log_id: &str, e: &EventRecord) {
        match &e.event {
            Some(Event::PolicyActivation(p)) => self.activations.push(ActivationSeen {
                time: t,
                log_id: log_id.to_owned(),
                node: self.node,
                bundle_id: p.bundle_id.clone(),
                version: p.version.clone(),
                hash: p.new_content_hash.clone(),
                approved_by: p.approved_by.clone(),
                change_ref: p.change_ref.clone(),
            }),
            Some(Event::ReviewDisposition(r)) => {
                let d = match RawDisposition::try_from(r.disposition) {
                    Ok(RawDisposition::Accepted) => Disposition::Accepted,
                    Ok(RawDisposition::Rejected) => Disposition::Rejected,
                    Ok(RawDisposition::Escalated) => Disposition::Escalated,
                    _ => return,
                };
                self.reviews.disposition(&r.decision_id, t, d);
            }
            _ => {}
        }
    }

    /// An in-period record's place in the log's timeline (for the anomaly watch).
    pub fn timeline(&mut self, t: i64, e: Option<&EventRecord>) {
        let start = match e.and_then(|e| e.event.as_ref()) {
            Some(Event::LogStart(_)) => Some("log_start"),
            Some(Event::Recovery(_)) => Some("recovery"),
            _ => None,
        };
        self.watch.record(self.node, t, start);
    }

    /// A decision of period `p` (0: the period, 1: the previous one).
    pub fn decision(
        &mut self,
        p: usize,
        t: i64,
        seq: u64,
        log_id: &str,
        d: &DecisionRecord,
        f: &Facts,
    ) {
        let effect = Effect::try_from(d.effect).ok();
        let sys = self.systems.intern(&or_none(&d.ai_system_id));
        let refused = f.evaluated && effect == Some(Effect::Block);
        let unregistered = f.evaluated && !d.ai_system_registered;
        let forwarded = d.http_status == 0 && effect != Some(Effect::Block);
        let nonconforming = refused || f.unapproved || unregistered;
        let q = p.min(1);
        self.decisions[q] += 1;
        self.evaluated[q] += u64::from(f.evaluated);
        self.refused[q] += u64::from(refused);
        self.unapproved[q] += u64::from(f.unapproved);
        self.unregistered[q] += u64::from(unregistered);
        self.nonconforming[q] += u64::from(nonconforming);
        let redacted: u64 = d
            .findings
            .iter()
            .filter(|f| f.action == ClassAction::Redacted as i32)
            .map(|f| u64::from(f.count))
            .sum();
        self.redacted_findings[q] += redacted;
        let redacted_call = forwarded && effect == Some(Effect::Redact);
        self.redacted_calls[q] += u64::from(redacted_call);
        if f.flagged {
            self.reviews
                .flagged(q, &d.decision_id, t, sys, nonconforming);
        }
        if forwarded {
            self.calls.insert(&d.decision_id, (sys, q as u8));
        }
        let Some(s) = self.systems.get_mut(sys) else {
            return;
        };
        let m = &mut s.measure[q];
        m.decisions += 1;
        m.refused += u64::from(refused);
        m.unapproved += u64::from(f.unapproved);
        m.unregistered += u64::from(unregistered);
        if forwarded {
            for c in &d.findings {
                let left = c.action != ClassAction::Redacted as i32
                    && c.action != ClassAction::Blocked as i32;
                if left {
                    *m.forwarded_findings.entry(c.class.clone()).or_default() += u64::from(c.count);
                }
            }
        }
        if q != 0 {
            return;
        }
        s.registered = d.ai_system_registered;
        if !d.ai_system_risk_tier.is_empty() {
            d.ai_system_risk_tier.clone_into(&mut s.risk_tier);
        }
        s.decisions += 1;
        s.mix.add(effect, f.flagged);
        s.unapproved += u64::from(f.unapproved);
        for c in &d.findings {
            s.class(&c.class, u64::from(c.count));
        }
        s.model(&or_none(&d.requested_model));
        if forwarded {
            s.supplier(&format!(
                "{} / {}",
                or_none(&d.provider),
                or_none(&d.upstream)
            ));
        }
        let w = &mut self.weekly;
        if redacted_call {
            w.add(t, ix::REDACTED_CALLS, 1);
        }
        if redacted > 0 {
            w.add(t, ix::REDACTED_FINDINGS, redacted);
        }
        if refused {
            w.add(t, ix::REFUSED, 1);
        }
        if f.unapproved {
            w.add(t, ix::UNAPPROVED, 1);
        }
        if unregistered {
            w.add(t, ix::UNREGISTERED, 1);
        }
        if let Some(rank) = self.sampler.candidate(&d.decision_id) {
            self.sampler.offer(Drawn {
                rank,
                decision_id: d.decision_id.clone(),
                node: self.node,
                log_id: log_id.to_owned(),
                seq,
                time: t,
                ai_system: or_none(&d.ai_system_id).into_owned(),
                effect: effect_label(d.effect),
            });
        }
    }

    /// An outcome of period `p`.
    pub fn outcome(&mut self, t: i64, o: &OutcomeRecord, failed: bool) {
        let redacted: u64 = o
            .output_findings
            .iter()
            .filter(|f| f.action == ClassAction::Redacted as i32)
            .map(|f| u64::from(f.count))
            .sum();
        let Some((sys, q)) = self.calls.take(&o.decision_id) else {
            return;
        };
        let q = usize::from(q);
        if q == 0 && redacted > 0 {
            self.redacted_findings[0] += redacted;
            self.weekly.add(t, ix::REDACTED_FINDINGS, redacted);
        }
        if let Some(s) = self.systems.get_mut(sys) {
            let m = &mut s.measure[q];
            m.forwarded += 1;
            m.failed += u64::from(failed);
            m.latency.record(o.latency_us);
        }
    }
}
