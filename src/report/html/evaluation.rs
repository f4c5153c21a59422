//! The performance-evaluation sections of the page: anomalies (near the top, so nothing is
//! missed), 9.1 objectives, the AI systems with their risk tier, controls operating against
//! nonconformities with weekly trends, the review workflow, 9.3 review inputs and the 9.2
//! audit-sample annex with the trust root and the proofs. Times are shown in the report's zone.
use std::fmt::Write as _;

use super::super::figures::*;
use super::super::markup::escape;
use super::super::svg;
use super::super::zone::Zone;
use super::cells::{mix_cells, pct, table};

/// A measured value with its unit.
fn value(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "no data".into(),
        Some(v) if unit == "ratio" => pct(v),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => {
            format!("{v:.0} {unit}").trim_end().to_owned()
        }
        Some(v) => format!("{v:.2} {unit}").trim_end().to_owned(),
    }
}

fn status(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "NOT MET",
        None => "no data",
    }
}

pub(in crate::report::html) fn anomalies(out: &mut String, f: &Figures) {
    out.push_str(r#"<h2 id="h-anomalies">Anomalies</h2>"#);
    if f.anomalies.is_empty() {
        out.push_str(r#"<p class="pass" id="no-anomalies">No anomaly found: no unverified log, time gap, restart, clock step, future record, short retention, missing checkpoint, open review, unapproved activation or unarchived policy.</p>"#);
        return;
    }
    let high = f.anomalies.iter().filter(|a| a.severity == "high").count();
    let _ = write!(
        out,
        r#"<p class="{}">{} anomal{} found ({high} high: the evidence may be incomplete or wrong; the others are process gaps).</p>"#,
        if high > 0 { "fail" } else { "muted" },
        f.anomalies.len(),
        if f.anomalies.len() == 1 { "y" } else { "ies" }
    );
    let rows: Vec<Vec<String>> = f
        .anomalies
        .iter()
        .map(|a| {
            vec![
                a.severity.clone(),
                a.kind.clone(),
                a.node.clone(),
                a.detail.clone(),
            ]
        })
        .collect();
    table(
        out,
        "anomalies",
        &["severity", "anomaly", "node", "detail"],
        &rows,
    );
}

pub(in crate::report::html) fn objectives(out: &mut String, f: &Figures, zone: &Zone) {
    out.push_str(r#"<h2 id="h-objectives">9.1 Objectives</h2>"#);
    let p = &f.policy;
    if p.source == "none" {
        let _ = write!(
            out,
            r#"<p class="fail" id="policy-source">Objectives not measured: {}</p>"#,
            escape(&p.detail)
        );
    } else {
        let _ = write!(
            out,
            r#"<p class="meta" id="policy-source">Objectives of policy {} {} (content hash <code>{}</code>): {}. Approved by: {}; change reference: {}.</p>"#,
            escape(&p.bundle_id),
            escape(&p.version),
            escape(&p.content_hash),
            escape(&p.detail),
            escape(if p.approved_by.is_empty() {
                "not recorded"
            } else {
                &p.approved_by
            }),
            escape(if p.change_ref.is_empty() {
                "not recorded"
            } else {
                &p.change_ref
            }),
        );
    }
    let met = f.objectives.iter().filter(|o| o.met == Some(true)).count();
    let _ = write!(
        out,
        r#"<p id="objectives-summary">{met} of {} objective measurement(s) met; previous period: {}.</p>"#,
        f.objectives.len(),
        match (
            &f.review_inputs.previous_period,
            &f.review_inputs.previous_uncovered
        ) {
            (Some((s, u)), _) => format!("{} to {}", zone.human_rfc3339(s), zone.human_rfc3339(u)),
            (None, Some(_)) => "not covered by the logs".into(),
            (None, None) =>
                "none (give --since to compare with the period of the same length before it)".into(),
        }
    );
    let rows: Vec<Vec<String>> = f
        .objectives
        .iter()
        .map(|o| {
            vec![
                format!("{} — {}", o.id, o.title),
                o.ai_system.clone().unwrap_or_else(|| "all calls".into()),
                o.controls.join(", "),
                format!(
                    "{} {}",
                    o.threshold,
                    if o.unit == "ratio" { "" } else { &o.unit }
                )
                .trim_end()
                .to_owned(),
                value(o.measured, &o.unit),
                status(o.met).to_owned(),
                value(o.previous, &o.unit),
                status(o.previous_met).to_owned(),
            ]
        })
        .collect();
    table(
        out,
        "objectives",
        &[
            "objective",
            "AI system",
            "controls",
            "threshold",
            "measured",
            "status",
            "previous period",
            "previous status",
        ],
        &rows,
    );
}

pub(in crate::report::html) fn systems(out: &mut String, f: &Figures) {
    out.push_str(r#"<h2 id="h-systems">AI systems</h2><p class="meta">Every AI system that made calls in the period, highest risk tier first. Owner, intended use and impact assessment come from the inventory of the policy above.</p>"#);
    let top = |c: &[Count]| {
        c.iter()
            .take(5)
            .map(|c| format!("{} ({})", c.label, c.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows: Vec<Vec<String>> = f
        .systems
        .iter()
        .map(|s| {
            let mix: Vec<String> = ["allow", "redact", "block", "review", "error", "flagged"]
                .iter()
                .zip(mix_cells(&s.mix))
                .filter(|(_, n)| n != "0")
                .map(|(l, n)| format!("{n} {l}"))
                .collect();
            vec![
                s.id.clone(),
                if s.registered {
                    "registered".into()
                } else {
                    "NOT IN INVENTORY".into()
                },
                s.risk_tier.clone(),
                if s.owner.is_empty() {
                    "—".into()
                } else {
                    s.owner.clone()
                },
                if s.impact_assessment.is_empty() {
                    "—".into()
                } else {
                    s.impact_assessment.clone()
                },
                s.decisions.to_string(),
                mix.join(", "),
                top(&s.classes),
                top(&s.models),
                top(&s.suppliers),
                s.unapproved_use.to_string(),
                s.open_reviews.to_string(),
            ]
        })
        .collect();
    table(
        out,
        "systems",
        &[
            "AI system",
            "inventory",
            "risk tier",
            "owner",
            "impact assessment",
            "decisions",
            "decision mix",
            "data classes",
            "models",
            "suppliers",
            "unapproved use",
            "open reviews",
        ],
        &rows,
    );
    for s in f
        .systems
        .iter()
        .filter(|s| matches!(s.risk_tier.as_str(), "prohibited" | "high"))
    {
        let _ = write!(
            out,
            r#"<p class="fail risk">{} is a {}-risk system{}: {} call(s) in the period.</p>"#,
            escape(&s.id),
            escape(&s.risk_tier),
            if s.risk_tier == "prohibited" {
                " that must not be used"
            } else {
                " (impact assessment and human oversight required)"
            },
            s.decisions
        );
    }
}

pub(in crate::report::html) fn conformity(out: &mut String, f: &Figures, zone: &Zone) {
    let c = &f.conformity;
    out.push_str(r#"<h2 id="h-conformity">Controls operating and nonconformities</h2>"#);
    let _ = write!(
        out,
        r#"<p id="conformity-summary">Controls operating: {} call(s) forwarded with redactions, {} finding(s) redacted. Nonconformities: {} call(s) ({} of the evaluated calls) — {} refused by policy, {} unapproved use, {} from unregistered AI systems, {} flagged for review and not disposed.</p>"#,
        c.redacted_calls,
        c.redacted_findings,
        c.nonconforming_calls,
        pct(c.nonconformity_rate),
        c.refusals,
        c.unapproved_use,
        c.unregistered,
        c.undisposed_reviews
    );
    let weeks: Vec<String> = c.weeks.iter().map(|w| zone.date_rfc3339(w)).collect();
    out.push_str("<h3>Nonconformities per week</h3>");
    out.push_str(&svg::stacked_bars(
        "chart-nonconformities",
        "Nonconformities per week",
        &weeks,
        604_800,
        &c.nonconformities,
        None,
    ));
    let mut head = vec!["week starting".to_owned()];
    head.extend(
        c.operating
            .iter()
            .chain(&c.nonconformities)
            .map(|s| s.label.clone()),
    );
    let rows: Vec<Vec<String>> = weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut r = vec![w.clone()];
            r.extend(
                c.operating
                    .iter()
                    .chain(&c.nonconformities)
                    .map(|s| s.counts.get(i).copied().unwrap_or(0).to_string()),
            );
            r
        })
        .collect();
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    table(out, "weekly", &head, &rows);
}

pub(in crate::report::html) fn reviews(out: &mut String, f: &Figures, zone: &Zone) {
    let r = &f.reviews;
    let days = |d: Option<f64>| d.map_or("—".into(), |d| format!("{d:.1} d"));
    out.push_str(r#"<h2 id="h-reviews">Reviews</h2>"#);
    let _ = write!(
        out,
        r#"<p id="reviews-summary">{} call(s) flagged for review: {} closed ({} accepted, {} rejected), {} open ({} escalated). Oldest open: {}; disposal time median {}, longest {}. {} disposition record(s) read, {} for calls outside this report.</p>"#,
        r.flagged,
        r.closed,
        r.accepted,
        r.rejected,
        r.open,
        r.escalated,
        days(r.oldest_open_days),
        days(r.median_disposal_days),
        days(r.max_disposal_days),
        r.dispositions,
        r.dispositions_elsewhere
    );
    let rows: Vec<Vec<String>> = r
        .open_list
        .iter()
        .map(|o| {
            vec![
                o.decision_id.clone(),
                zone.human_rfc3339(&o.time),
                o.ai_system.clone(),
                format!("{:.1}", o.age_days),
                if o.escalated {
                    "escalated".into()
                } else {
                    "none".into()
                },
            ]
        })
        .collect();
    table(
        out,
        "open-reviews",
        &[
            "decision id",
            "decided",
            "AI system",
            "age (days)",
            "disposition so far",
        ],
        &rows,
    );
}

pub(in crate::report::html) fn review_inputs(out: &mut String, f: &Figures, zone: &Zone) {
    let r = &f.review_inputs;
    out.push_str(r#"<h2 id="h-review-inputs">9.3 Management review inputs</h2>"#);
    let _ = write!(
        out,
        r#"<p class="meta">Generated from the evidence. Compared with {}.</p>"#,
        match (&r.previous_period, &r.previous_uncovered) {
            (Some((s, u)), _) => format!("the previous period of the same length ({} to {})", zone.human_rfc3339(s), zone.human_rfc3339(u)),
            (None, Some((s, u))) => format!("no previous period: the logs hold no record from {} to {} (before the log began, or pruned)", zone.human_rfc3339(s), zone.human_rfc3339(u)),
            (None, None) => "no previous period (give --since to compare with the period of the same length before it)".into(),
        }
    );
    let num = |v: f64, rate: bool| if rate { pct(v) } else { format!("{v:.0}") };
    let rows: Vec<Vec<String>> = r
        .changes
        .iter()
        .map(|c| {
            let rate = c.figure.ends_with("rate");
            let delta = c.previous.map_or("—".into(), |p| {
                let d = c.current - p;
                if rate {
                    format!("{:+.1} pts", d * 100.0)
                } else {
                    format!("{d:+.0}")
                }
            });
            vec![
                c.figure.clone(),
                c.previous.map_or("—".into(), |p| num(p, rate)),
                num(c.current, rate),
                delta,
            ]
        })
        .collect();
    table(
        out,
        "changes",
        &["figure", "previous period", "this period", "change"],
        &rows,
    );
    let _ = write!(
        out,
        r#"<p id="objectives-not-met">Objectives not met: {}.</p>"#,
        if r.objectives_not_met.is_empty() {
            "none".to_owned()
        } else {
            escape(&r.objectives_not_met.join(", "))
        }
    );
    if let Some(l) = &r.since_last_report {
        since_last(out, l, zone);
    }
    out.push_str("<h3>Policy changes</h3>");
    let rows: Vec<Vec<String>> = r
        .activations
        .iter()
        .map(|a| {
            vec![
                zone.human_rfc3339(&a.time),
                a.log_id.clone(),
                format!("{} {}", a.bundle_id, a.version),
                a.content_hash.chars().take(16).collect::<String>() + "…",
                if a.approved_by.is_empty() {
                    "NOT RECORDED".into()
                } else {
                    a.approved_by.clone()
                },
                if a.change_ref.is_empty() {
                    "—".into()
                } else {
                    a.change_ref.clone()
                },
                if a.archived {
                    "archived".into()
                } else {
                    "NOT ARCHIVED".into()
                },
            ]
        })
        .collect();
    table(
        out,
        "activations",
        &[
            "activated",
            "log",
            "bundle",
            "content hash",
            "approved by",
            "change",
            "text",
        ],
        &rows,
    );
    out.push_str("<h3>Key rotations, retention and fail-mode changes</h3>");
    let rows: Vec<Vec<String>> = r
        .other_changes
        .iter()
        .map(|e| {
            vec![
                zone.human_rfc3339(&e.time),
                e.log_id.clone(),
                e.kind.clone(),
                e.detail.clone(),
            ]
        })
        .collect();
    table(
        out,
        "other-changes",
        &["time", "log", "change", "detail"],
        &rows,
    );
}

pub(in crate::report::html) fn sample(out: &mut String, f: &Figures, zone: &Zone) {
    let s = &f.sample;
    out.push_str(r#"<h2 id="h-sample">Annex: 9.2 audit sample</h2>"#);
    let _ = write!(
        out,
        r#"<p id="trust-root">Trust root: {}.{}</p>"#,
        escape(&f.trust.source),
        if f.trust.keys.is_empty() {
            String::new()
        } else {
            format!(" Signing keys: {}.", escape(&f.trust.keys.join("; ")))
        }
    );
    let _ = write!(
        out,
        r#"<p id="sample-seed">{} of {} decisions sampled with seed <code>{}</code>. Method: {} Draw it again with <code>aimsgate report --sample {} --sample-seed {}</code> over the same logs and period; export the proofs with <code>--proof-dir DIR</code> and check each with <code>aimsgate verify --proof DIR/FILE --public-key KEY</code>.</p>"#,
        s.rows.len(),
        s.population,
        escape(&s.seed),
        escape(&s.method),
        s.requested,
        escape(&s.seed)
    );
    let rows: Vec<Vec<String>> = s
        .rows
        .iter()
        .map(|r| {
            vec![
                r.decision_id.clone(),
                r.log_id.clone(),
                r.seq.to_string(),
                zone.human_rfc3339(&r.time),
                r.ai_system.clone(),
                r.effect.clone(),
                match (&r.proof, &r.proof_error) {
                    (Some(_), _) => r.proof_file.clone(),
                    (None, Some(e)) => format!("no proof: {e}"),
                    (None, None) => "no proof".into(),
                },
            ]
        })
        .collect();
    table(
        out,
        "sample",
        &[
            "decision id",
            "log",
            "seq",
            "decided",
            "AI system",
            "effect",
            "proof file",
        ],
        &rows,
    );
    out.push_str(r#"<div class="proofs">"#);
    for r in &s.rows {
        if let Some(p) = &r.proof {
            let _ = write!(
                out,
                r#"<details class="proof"><summary>{}</summary><pre>{}</pre></details>"#,
                escape(&r.proof_file),
                escape(p)
            );
        }
    }
    out.push_str("</div>");
}

fn since_last(out: &mut String, l: &LastReport, zone: &Zone) {
    let _ = write!(
        out,
        r#"<h3 id="since-last-report">Since the last report (built {}, period {} to {})</h3>"#,
        escape(&zone.human_rfc3339(&l.generated_at)),
        escape(
            &l.period
                .0
                .as_deref()
                .map_or("the log's start".into(), |t| zone.human_rfc3339(t))
        ),
        escape(
            &l.period
                .1
                .as_deref()
                .map_or("its end".into(), |t| zone.human_rfc3339(t))
        ),
    );
    let rows: Vec<Vec<String>> = l
        .changes
        .iter()
        .map(|c| {
            let rate = c.figure.ends_with("rate");
            let f = |v: f64| if rate { pct(v) } else { format!("{v:.0}") };
            vec![
                c.figure.clone(),
                c.previous.map_or("—".into(), f),
                f(c.current),
            ]
        })
        .collect();
    table(
        out,
        "since-last-changes",
        &["figure", "last report", "this report"],
        &rows,
    );
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join("; ")
        }
    };
    let _ = write!(
        out,
        r#"<p>Objectives changed: {}. New anomalies: {}. Anomalies gone: {}. Policy activations since: {}.</p>"#,
        escape(&list(&l.objectives_changed)),
        escape(&list(&l.new_anomalies)),
        escape(&list(&l.resolved_anomalies)),
        escape(&list(
            &l.activations_since
                .iter()
                .map(|a| format!(
                    "{} {} at {}",
                    a.bundle_id,
                    a.version,
                    zone.human_rfc3339(&a.time)
                ))
                .collect::<Vec<_>>()
        )),
    );
}
