//! [`Collector::finish`]: the accumulated counts and samples → [`Figures`]: rates,
//! sorted tables (largest first; Annex A controls in document order) and the display buckets.
use std::collections::{BTreeMap, BTreeSet};

use super::super::annex_a::CONTROLS;
use super::super::evaluate::{evaluate, Input};
use super::super::figures::*;
use super::super::policies::Texts;
use super::super::time::rfc3339;
use super::{ratio, Collector, NOTES};

/// Sorted largest first, then by label.
fn counts(m: BTreeMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(label, count)| Count { label, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    v
}

/// Every Annex A control in document order, with its title, what the log can evidence of it,
/// the decisions whose deciding rules cite it and the objectives citing it.
fn annex_a(
    mut m: BTreeMap<String, (u64, BTreeSet<String>)>,
    objectives: &BTreeMap<String, Vec<String>>,
) -> Vec<ControlFigures> {
    let mut v: Vec<ControlFigures> = CONTROLS
        .iter()
        .map(|c| {
            let (decisions, rules) = m.remove(c.id).unwrap_or_default();
            ControlFigures {
                control: c.id.to_owned(),
                title: c.title.to_owned(),
                coverage: c.coverage.as_str().to_owned(),
                evidenced_by: c.evidenced_by.to_owned(),
                ask_for: c.ask_for.to_owned(),
                objectives: objectives.get(c.id).cloned().unwrap_or_default(),
                decisions,
                rules: rules.into_iter().collect(),
            }
        })
        .collect();
    // Ids outside Annex A cannot be cited (the policy loader refuses them); a record that
    // names one anyway is still counted, under its own id.
    v.extend(
        m.into_iter()
            .map(|(control, (decisions, rules))| ControlFigures {
                title: "(not an ISO/IEC 42001 Annex A control)".into(),
                coverage: "none".into(),
                objectives: objectives.get(&control).cloned().unwrap_or_default(),
                control,
                decisions,
                rules: rules.into_iter().collect(),
                ..ControlFigures::default()
            }),
    );
    v
}

impl Collector {
    /// The content hashes of the policies that decided calls or were activated (any time):
    /// the archives `build` reads.
    pub fn policy_hashes(&self) -> BTreeSet<String> {
        let mut v: BTreeSet<String> = self.policies.keys().map(|k| k.2.clone()).collect();
        v.extend(self.eval.activations.iter().map(|a| a.hash.clone()));
        v.remove("");
        v
    }

    /// The figures, with the nodes' integrity table and the report time, without policy text.
    pub fn finish(self, nodes: Vec<NodeStatus>, generated_at: String) -> Figures {
        self.finish_with(nodes, generated_at, &Texts::default())
    }

    /// The figures, with the policy texts read for [`policy_hashes`](Self::policy_hashes).
    pub fn finish_with(
        self,
        nodes: Vec<NodeStatus>,
        generated_at: String,
        texts: &Texts,
    ) -> Figures {
        let mut hashes: BTreeMap<String, u64> = BTreeMap::new();
        for ((_, _, h), p) in &self.policies {
            if !h.is_empty() {
                *hashes.entry(h.clone()).or_default() += p.decisions;
            }
        }
        let time_zone = self.eval.settings.zone.name().to_owned();
        let ev = evaluate(
            self.eval,
            &Input {
                nodes: &nodes,
                texts,
                range: self.range,
                first: self.first,
                last: self.last,
                events: &self.event_rows,
                fail_open_started: self.fail_open_started,
                hashes: &hashes,
            },
        );
        let start = self.range.since.or(self.first).unwrap_or(0);
        let end = self
            .range
            .until
            .or(self.last.map(|l| l.saturating_add(1)))
            .unwrap_or(start);
        let secs = |n: i64| n.div_euclid(1_000_000_000);
        let b = self.timeline.finish(secs(start), secs(end - 1) + 1);
        let [by_system, by_model, by_upstream, by_effect] = b.series;
        let mut totals = self.totals;
        totals.violation_rate = ratio(totals.violations, totals.evaluated);
        let policies = self
            .policies
            .into_iter()
            .map(|((bundle_id, version, content_hash), p)| PolicyFigures {
                bundle_id,
                version,
                content_hash,
                decisions: p.decisions,
                violation_rate: ratio(p.violations, p.evaluated),
                mix: p.mix,
            })
            .collect();
        let mut rules: Vec<RuleFigures> = self.rules.into_values().collect();
        rules.sort_by(|a, b| {
            b.decisions
                .cmp(&a.decisions)
                .then_with(|| a.rule_id.cmp(&b.rule_id))
        });
        let mut by_upstream_lat: Vec<Percentiles> = self
            .upstreams
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(u, s)| s.percentiles(u))
            .collect();
        if !self.latency_unknown.is_empty() {
            by_upstream_lat.push(
                self.latency_unknown
                    .percentiles("(decision not read: outside the period, or over the cap)"),
            );
        }
        let mut errors = self.errors;
        errors.upstream_error_rate = ratio(self.failed, errors.forwarded);
        errors.error_kinds = counts(self.error_kinds);
        errors.answered_statuses = counts(self.answered);
        errors.error_rate = ratio(totals.mix.error, totals.decisions);
        let mut unapproved = self.unapproved;
        unapproved.rules = counts(self.unapproved_rules);
        unapproved.models = counts(self.unapproved_models);
        let verified = !nodes.is_empty() && nodes.iter().all(|n| n.verified);
        Figures {
            format: FORMAT.to_owned(),
            generated_at,
            time_zone,
            period: Period {
                since: self.range.since.map(rfc3339),
                until: self.range.until.map(rfc3339),
                first_record: self.first.map(rfc3339),
                last_record: self.last.map(rfc3339),
            },
            verified,
            nodes,
            totals,
            volume: Volume {
                bucket_seconds: b.width,
                buckets: b
                    .starts
                    .iter()
                    .map(|s| rfc3339(s.saturating_mul(1_000_000_000)))
                    .collect(),
                by_system,
                by_model,
                by_upstream,
                by_effect,
            },
            policies,
            data_classes: self
                .classes
                .into_iter()
                .map(|(class, c)| ClassFigures { class, ..c })
                .collect(),
            rules,
            refusals: counts(self.refusals),
            flagged: counts(self.flagged),
            monitor: self
                .monitor
                .into_iter()
                .map(|((rule_id, would_have), count)| MonitorFigures {
                    rule_id,
                    would_have,
                    count,
                })
                .collect(),
            unregistered_systems: counts(self.unregistered),
            unapproved_models: unapproved,
            latency: Latency {
                total: self.latency.percentiles("all"),
                first_byte: self.first_bytes.percentiles("all"),
                by_upstream: by_upstream_lat,
            },
            errors,
            tokens: self.tokens,
            annex_a: annex_a(self.controls, &ev.control_objectives),
            events: EventFigures {
                counts: counts(self.event_counts),
                rows: self.event_rows,
                fail_open_started: self.fail_open_started,
            },
            trust: TrustFigures::default(),
            policy: ev.policy,
            objectives: ev.objectives,
            systems: ev.systems,
            conformity: ev.conformity,
            reviews: ev.reviews,
            anomalies: ev.anomalies,
            sample: ev.sample,
            review_inputs: ev.review_inputs,
            notes: NOTES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}
