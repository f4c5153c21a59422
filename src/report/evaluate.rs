//! The evaluation half of [`Collector::finish`](super::Collector::finish): objectives measured
//! against their thresholds (this period and the previous one), the per-system view joined with
//! the inventory, controls operating against nonconformities, the review workflow, the process
//! anomalies, the audit sample (without proofs: `build` adds them) and the 9.3 review inputs.
//! Pure: the policy texts come in already read.
use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::MIN_RETENTION_DAYS;
use crate::policy::{Bundle, Metric, Objective};

use super::accumulate::{ActivationSeen, Eval};
use super::anomalies::{self, flag};
use super::figures::*;
use super::policies::{Text, Texts};
use super::reviews::PeriodReviews;
use super::sample::METHOD;
use super::systems::{Measure, SystemAcc};
use super::time::{rfc3339, TimeRange};
use super::weekly::ix;

/// What the evaluation reads besides its own state.
pub struct Input<'a> {
    pub nodes: &'a [NodeStatus],
    pub texts: &'a Texts,
    pub range: TimeRange,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub events: &'a [EventRow],
    pub fail_open_started: u64,
    /// Decisions per policy content hash in the period.
    pub hashes: &'a BTreeMap<String, u64>,
}

/// The evaluation figures.
#[derive(Default)]
pub struct Output {
    pub policy: PolicySource,
    pub objectives: Vec<ObjectiveFigures>,
    pub systems: Vec<SystemFigures>,
    pub conformity: Conformity,
    pub reviews: ReviewFigures,
    pub anomalies: Vec<Anomaly>,
    pub sample: SampleFigures,
    pub review_inputs: ReviewInputs,
    /// Objective ids per Annex A control.
    pub control_objectives: BTreeMap<String, Vec<String>>,
}

/// The bundle whose objectives and inventory the report uses, and where it came from.
fn choose<'a>(eval: &Eval, cx: &Input<'a>, end: i64) -> (Option<&'a Bundle>, PolicySource) {
    let describe = |b: &Bundle, source: &str, detail: String| PolicySource {
        content_hash: b.content_hash().to_owned(),
        bundle_id: b.id().to_owned(),
        version: b.version().to_owned(),
        source: source.to_owned(),
        approved_by: b.approved_by().unwrap_or_default().to_owned(),
        change_ref: b.change_ref().unwrap_or_default().to_owned(),
        detail,
    };
    if let Some((dir, b)) = &cx.texts.given {
        let used = cx.hashes.contains_key(b.content_hash());
        let detail = format!(
            "given with --policy {dir}; {}",
            if used {
                "it decided calls in this period"
            } else {
                "no call in this period was decided under this exact text (its content hash appears in no decision)"
            }
        );
        return (Some(b), describe(b, "--policy", detail));
    }
    let latest = eval
        .activations
        .iter()
        .filter(|a| a.time < end)
        .max_by_key(|a| a.time);
    let mut wanted: Vec<&str> = latest.map(|a| a.hash.as_str()).into_iter().collect();
    let mut by_use: Vec<(&String, &u64)> = cx.hashes.iter().collect();
    by_use.sort_by(|a, b| b.1.cmp(a.1));
    wanted.extend(by_use.iter().map(|(h, _)| h.as_str()));
    for h in &wanted {
        if let Some(b) = cx.texts.bundle(h) {
            let why = if latest.is_some_and(|a| a.hash == *h) {
                "the bundle active at the end of the period, read from the archive beside the log (re-hashed: it matches)"
            } else {
                "the most used archived bundle of the period (re-hashed: it matches); the one active at its end is not archived"
            };
            return (Some(b), describe(b, "archive", why.to_owned()));
        }
    }
    let detail = match wanted.first() {
        Some(h) => format!("the text of policy {h} is not archived beside the log (logs written before aimsgate archived policies, or the archive was removed); give --policy DIR to measure the objectives and show the inventory"),
        None => "no policy activation or evaluated decision in the logs".to_owned(),
    };
    (
        None,
        PolicySource {
            source: "none".into(),
            detail,
            ..PolicySource::default()
        },
    )
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The value of `o` over `systems` in period `q`; `reviews` gives the review metrics.
fn measure(
    o: &Objective,
    systems: &[&SystemAcc],
    q: usize,
    reviews: &PeriodReviews,
    scope: Option<u32>,
    eval: &Eval,
) -> Option<f64> {
    let ms: Vec<&Measure> = systems.iter().map(|s| &s.measure[q]).collect();
    let decisions: u64 = match scope {
        Some(_) => ms.iter().map(|m| m.decisions).sum(),
        None => eval.decisions[q],
    };
    let sum = |f: &dyn Fn(&Measure) -> u64| ms.iter().map(|m| f(m)).sum::<u64>();
    let count = |n: u64| (decisions > 0).then_some(n as f64);
    let latency = |p: f64| {
        let mut all = super::samples::Samples::default();
        for m in &ms {
            all.merge(&m.latency);
        }
        all.quantile_ms(p)
    };
    match o.metric {
        Metric::FindingsForwarded => count(sum(&|m| {
            m.forwarded_findings
                .iter()
                .filter(|(c, _)| o.counts_class(c))
                .map(|(_, n)| *n)
                .sum()
        })),
        Metric::RefusalRate => ratio(sum(&|m| m.refused), decisions),
        Metric::UnapprovedUse => count(sum(&|m| m.unapproved)),
        Metric::UnregisteredCalls => count(eval.unregistered[q]),
        Metric::LatencyP50Ms => latency(0.50),
        Metric::LatencyP95Ms => latency(0.95),
        Metric::LatencyP99Ms => latency(0.99),
        Metric::UpstreamErrorRate => ratio(sum(&|m| m.failed), sum(&|m| m.forwarded)),
        Metric::ReviewDisposalDays => {
            let days = match scope {
                Some(i) => reviews.by_system.get(&i).map(|s| s.1),
                None => reviews.max_days,
            };
            days.or(count(0))
        }
        Metric::OpenReviews => {
            let open = match scope {
                Some(i) => reviews.by_system.get(&i).map_or(0, |s| s.0),
                None => reviews.figures.open,
            };
            count(open)
        }
    }
}

fn objectives(
    b: &Bundle,
    eval: &Eval,
    reviews: &[PeriodReviews; 2],
    has_prev: bool,
) -> Vec<ObjectiveFigures> {
    let mut out = Vec::new();
    let all: Vec<&SystemAcc> = eval.systems.all().iter().collect();
    for o in b.objectives() {
        let scopes: Vec<Option<&str>> = if o.ai_systems.is_empty() {
            vec![None]
        } else {
            o.ai_systems.iter().map(|s| Some(s.as_ref())).collect()
        };
        for scope in scopes {
            let (systems, idx): (Vec<&SystemAcc>, Option<u32>) = match scope {
                None => (all.clone(), None),
                Some(id) => {
                    let i = eval
                        .systems
                        .all()
                        .iter()
                        .position(|s| s.id == id)
                        .and_then(|i| u32::try_from(i).ok());
                    (
                        eval.systems.find(id).into_iter().collect(),
                        Some(i.unwrap_or(u32::MAX)),
                    )
                }
            };
            let now = measure(o, &systems, 0, &reviews[0], idx, eval);
            let prev = has_prev
                .then(|| measure(o, &systems, 1, &reviews[1], idx, eval))
                .flatten();
            out.push(ObjectiveFigures {
                id: o.id.clone(),
                title: o.title.clone(),
                metric: o.metric.name().to_owned(),
                unit: o.metric.unit().to_owned(),
                threshold: o.threshold.describe(),
                ai_system: scope.map(str::to_owned),
                controls: o.controls.to_vec(),
                measured: now,
                met: o.met(now),
                previous: prev,
                previous_met: o.met(prev),
            });
        }
    }
    out
}

fn tier_rank(t: &str) -> u8 {
    match t {
        "prohibited" => 0,
        "high" => 1,
        "limited" => 2,
        "minimal" => 3,
        _ => 4,
    }
}

fn systems(
    eval: &Eval,
    b: Option<&Bundle>,
    texts: &Texts,
    reviews: &PeriodReviews,
) -> Vec<SystemFigures> {
    let mut v: Vec<SystemFigures> = eval
        .systems
        .all()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.decisions > 0)
        .map(|(i, s)| {
            let inv = b.and_then(|b| b.system(&s.id)).or_else(|| {
                texts.archived.values().find_map(|t| match t {
                    Text::Loaded(b) => b.system(&s.id),
                    Text::Bad(_) => None,
                })
            });
            let [classes, models, suppliers] = s.tables();
            let mut f = SystemFigures {
                id: s.id.clone(),
                registered: s.registered,
                risk_tier: s.risk_tier.clone(),
                decisions: s.decisions,
                mix: s.mix.clone(),
                classes,
                models,
                suppliers,
                unapproved_use: s.unapproved,
                open_reviews: u32::try_from(i)
                    .ok()
                    .and_then(|i| reviews.by_system.get(&i))
                    .map_or(0, |r| r.0),
                ..SystemFigures::default()
            };
            if let Some(sys) = inv {
                f.name.clone_from(&sys.name);
                f.owner.clone_from(&sys.owner);
                f.purpose.clone_from(&sys.purpose);
                f.impact_assessment = sys.impact_assessment.clone().unwrap_or_default();
                if f.risk_tier.is_empty() {
                    f.risk_tier = sys.risk_tier.as_str().to_owned();
                }
            }
            if f.risk_tier.is_empty() {
                f.risk_tier = "unknown".into();
            }
            f
        })
        .collect();
    v.sort_by(|a, b| {
        tier_rank(&a.risk_tier)
            .cmp(&tier_rank(&b.risk_tier))
            .then_with(|| b.decisions.cmp(&a.decisions))
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

fn activation_row(a: &ActivationSeen, texts: &Texts) -> Activation {
    Activation {
        time: rfc3339(a.time),
        log_id: a.log_id.clone(),
        bundle_id: a.bundle_id.clone(),
        version: a.version.clone(),
        content_hash: a.hash.clone(),
        approved_by: a.approved_by.clone(),
        change_ref: a.change_ref.clone(),
        archived: matches!(texts.archived.get(&a.hash), Some(Text::Loaded(_))),
    }
}

/// The evaluation figures; see the module doc.
pub fn evaluate(mut eval: Eval, cx: &Input<'_>) -> Output {
    let gen = eval.settings.generated_at;
    let start = cx.range.since.or(cx.first).unwrap_or(gen);
    let end = cx
        .range
        .until
        .unwrap_or_else(|| cx.last.map_or(gen, |l| l.saturating_add(1)));
    // A previous period the logs hold no record of is not compared (it was before the log
    // began, or it was pruned): its figures would read as zeros, not as unknown.
    let covered = eval.prev_records > 0;
    let prev = eval.settings.previous.filter(|_| covered);
    let name = |i: u32| {
        eval.systems
            .get(i)
            .map(|s| s.id.clone())
            .unwrap_or_default()
    };
    let reviews = [
        eval.reviews.finish(0, gen, &name),
        eval.reviews
            .finish(1, prev.and_then(|p| p.until).unwrap_or(start), &name),
    ];
    let (bundle, policy) = choose(&eval, cx, end);
    let objectives =
        bundle.map_or_else(Vec::new, |b| objectives(b, &eval, &reviews, prev.is_some()));
    let mut control_objectives: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in bundle.map(Bundle::objectives).unwrap_or_default() {
        for c in o.controls.iter() {
            control_objectives
                .entry(c.clone())
                .or_default()
                .push(o.id.clone());
        }
    }
    let systems = systems(&eval, bundle, cx.texts, &reviews[0]);

    // Controls operating against nonconformities.
    for t in &reviews[0].open_times {
        eval.weekly.add(*t, ix::UNDISPOSED, 1);
    }
    eval.weekly.span(start, end);
    let (weeks, operating) = eval
        .weekly
        .finish(&[ix::REDACTED_CALLS, ix::REDACTED_FINDINGS]);
    let (_, nonconformities) = eval.weekly.finish(&[
        ix::REFUSED,
        ix::UNAPPROVED,
        ix::UNREGISTERED,
        ix::UNDISPOSED,
    ]);
    let nonconforming = |q: usize| eval.nonconforming[q] + reviews[q].open_only;
    let conformity = Conformity {
        redacted_calls: eval.redacted_calls[0],
        redacted_findings: eval.redacted_findings[0],
        nonconforming_calls: nonconforming(0),
        nonconformity_rate: ratio(nonconforming(0), eval.evaluated[0]).unwrap_or(0.0),
        refusals: eval.refused[0],
        unapproved_use: eval.unapproved[0],
        unregistered: eval.unregistered[0],
        undisposed_reviews: reviews[0].figures.open,
        weeks,
        operating,
        nonconformities,
    };

    // Anomalies.
    let mut anomalies = std::mem::take(&mut eval.watch).finish();
    anomalies.extend(anomalies::node_flags(
        cx.nodes,
        MIN_RETENTION_DAYS,
        cx.range.since,
    ));
    let r = &reviews[0].figures;
    if r.open > 0 {
        anomalies.push(flag(
            "open_reviews",
            "medium",
            "",
            format!(
                "{} call(s) flagged for review have no accepted or rejected disposition (oldest open {:.1} days; {} escalated); record them with `aimsgate review`",
                r.open,
                r.oldest_open_days.unwrap_or(0.0),
                r.escalated
            ),
        ));
    }
    let in_period: Vec<&ActivationSeen> = eval
        .activations
        .iter()
        .filter(|a| cx.range.contains(a.time))
        .collect();
    for a in &in_period {
        if a.approved_by.is_empty() {
            anomalies.push(flag(
                "activation_without_approver",
                "medium",
                cx.nodes.get(a.node).map_or("", |n| n.data_dir.as_str()),
                format!(
                    "policy {} {} was activated at {} with no approver named in its bundle.toml (approved_by){}",
                    a.bundle_id,
                    a.version,
                    eval.settings.zone.human_nanos(a.time),
                    if a.change_ref.is_empty() { " and no change reference" } else { "" }
                ),
            ));
        }
    }
    let mut hashes: BTreeSet<&str> = cx.hashes.keys().map(String::as_str).collect();
    hashes.extend(in_period.iter().map(|a| a.hash.as_str()));
    for h in hashes.into_iter().filter(|h| !h.is_empty()) {
        let calls = cx.hashes.get(h).copied().unwrap_or(0);
        match cx.texts.archived.get(h) {
            Some(Text::Loaded(_)) => {}
            Some(Text::Bad(why)) => anomalies.push(flag(
                "policy_archive_mismatch",
                "high",
                "",
                format!("policy {h} (decided {calls} call(s)): {why}"),
            )),
            None if cx.texts.bundle(h).is_some() => {}
            None => anomalies.push(flag(
                "policy_not_archived",
                "medium",
                "",
                format!("the text of policy {h} (decided {calls} call(s) in the period) is not archived beside the log: an auditor cannot read the policy that decided them"),
            )),
        }
    }
    if cx.fail_open_started > 0 {
        anomalies.push(flag(
            "fail_open",
            "high",
            "",
            format!("{} fail-open period(s) began: calls may have been forwarded without evidence while the log was unavailable", cx.fail_open_started),
        ));
    }

    // The 9.2 sample.
    let seed = eval.settings.seed.clone();
    let requested = eval.settings.sample;
    let population = eval.sampler.population();
    let rows = std::mem::take(&mut eval.sampler)
        .finish()
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let safe: String = d
                .decision_id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(80)
                .collect();
            SampleRow {
                proof_file: format!("{:03}-{safe}.tlog-proof", i + 1),
                node: cx
                    .nodes
                    .get(d.node)
                    .map(|n| n.data_dir.clone())
                    .unwrap_or_default(),
                decision_id: d.decision_id,
                log_id: d.log_id,
                seq: d.seq,
                time: rfc3339(d.time),
                ai_system: d.ai_system,
                effect: d.effect,
                proof: None,
                proof_error: None,
            }
        })
        .collect();
    let sample = SampleFigures {
        seed,
        requested,
        population,
        method: METHOD.to_owned(),
        rows,
    };

    // 9.3 review inputs.
    let p = |q: usize| prev.map(|_| q);
    let figure = |name: &str, now: f64, before: Option<f64>| Change {
        figure: name.to_owned(),
        previous: before,
        current: now,
    };
    let prev_of = |v: [u64; 2]| p(1).map(|q| v[q] as f64);
    let met = |o: &[ObjectiveFigures], prev: bool| {
        o.iter()
            .filter(|o| {
                if prev {
                    o.previous_met == Some(true)
                } else {
                    o.met == Some(true)
                }
            })
            .count() as f64
    };
    let changes = vec![
        figure(
            "decisions",
            eval.decisions[0] as f64,
            prev_of(eval.decisions),
        ),
        figure(
            "redacted calls (controls operating)",
            eval.redacted_calls[0] as f64,
            prev_of(eval.redacted_calls),
        ),
        figure(
            "refused by policy",
            eval.refused[0] as f64,
            prev_of(eval.refused),
        ),
        figure(
            "unapproved use",
            eval.unapproved[0] as f64,
            prev_of(eval.unapproved),
        ),
        figure(
            "unregistered AI system calls",
            eval.unregistered[0] as f64,
            prev_of(eval.unregistered),
        ),
        figure(
            "calls flagged for review",
            r.flagged as f64,
            p(1).map(|_| reviews[1].figures.flagged as f64),
        ),
        figure(
            "open reviews",
            r.open as f64,
            p(1).map(|_| reviews[1].figures.open as f64),
        ),
        figure(
            "nonconformity rate",
            ratio(nonconforming(0), eval.evaluated[0]).unwrap_or(0.0),
            p(1).map(|_| ratio(nonconforming(1), eval.evaluated[1]).unwrap_or(0.0)),
        ),
        figure(
            "objectives met",
            met(&objectives, false),
            p(1).map(|_| met(&objectives, true)),
        ),
    ];
    let review_inputs = ReviewInputs {
        previous_period: prev.and_then(|p| Some((rfc3339(p.since?), rfc3339(p.until?)))),
        previous_uncovered: eval
            .settings
            .previous
            .filter(|_| !covered)
            .and_then(|p| Some((rfc3339(p.since?), rfc3339(p.until?)))),
        changes,
        objectives_not_met: objectives
            .iter()
            .filter(|o| o.met == Some(false))
            .map(|o| match &o.ai_system {
                Some(s) => format!("{} ({s})", o.id),
                None => o.id.clone(),
            })
            .collect(),
        activations: in_period
            .iter()
            .map(|a| activation_row(a, cx.texts))
            .collect(),
        other_changes: cx
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind.as_str(),
                    "key_rotation"
                        | "retention_policy"
                        | "retention_prune"
                        | "fail_mode"
                        | "format_upgrade"
                        | "recovery"
                )
            })
            .cloned()
            .collect(),
        since_last_report: None,
    };
    let mut reviews = reviews;
    Output {
        policy,
        objectives,
        systems,
        conformity,
        reviews: std::mem::take(&mut reviews[0].figures),
        anomalies,
        sample,
        review_inputs,
        control_objectives,
    }
}
