//! The ISO/IEC 42001 Clause 9 (performance evaluation) report: figures an auditor reads, built
//! from one or several nodes' verified evidence logs.
//!
//! [`build`] verifies each data dir against the auditor's trust root (or, without one, the
//! keys beside it, said loudly), compares the nodes (duplicate origins, forks), reads its
//! checkpointed records (through the self-verifying export), and merges them into one
//! [`Figures`] value; [`html::render`] turns figures into one self-contained HTML page (inline
//! CSS and SVG, no scripts, no fetches) and `serde_json` gives the same figures as data.
//! A log that does not verify is still read when possible, but the report says so on every
//! page and in [`Figures::verified`]; deciding the exit code is the CLI's.
//!
//! Owns: the figure definitions (`figures`), their computation (`collect`, `buckets`,
//! `samples`, `in_flight`, `systems`, `reviews`, `weekly`, `anomalies`, `sample`, `evaluate`),
//! reading the nodes (`node`) and the policy texts archived beside them (`policies`), the
//! Annex A titles (`annex_a`), the time zone (`zone`) and the page (`html`, `svg`).
//! Deliberately does not write evidence, read configuration, or ever see prompt text or
//! credentials (records hold none); labels are AI systems, models, upstreams, rules, data
//! classes and Annex A controls.
use std::path::PathBuf;

mod accumulate;
mod annex_a;
mod anomalies;
mod buckets;
mod collect;
mod evaluate;
pub mod figures;
pub mod html;
mod in_flight;
mod labels;
pub mod last;
mod markup;
mod node;
mod policies;
mod reviews;
mod sample;
mod samples;
mod svg;
mod systems;
mod time;
mod weekly;
pub mod zone;

pub use accumulate::Settings;
pub use collect::{Collector, NOTES};
pub use figures::Figures;
pub use sample::DEFAULT_SIZE as DEFAULT_SAMPLE;
pub use time::{parse_time, rfc3339, Bound, ReportError, TimeRange};

/// What to report on.
#[derive(Clone, Debug, Default)]
pub struct ReportRequest {
    /// Time zone of the page and of the weeks.
    pub zone: zone::Zone,
    /// Seed of the 9.2 audit sample (printed in the report).
    pub sample_seed: String,
    /// Size of the audit sample (0: none).
    pub sample: u64,
    /// Quiet time after which a gap between records is flagged (nanoseconds; 0: never).
    pub max_gap: i64,
    /// The auditor's copy of the policy bundle (`--policy DIR`, shown as given), used when
    /// the text is not archived beside the log.
    pub policy: Option<(String, std::sync::Arc<crate::policy::Bundle>)>,
    /// The last report (`--previous-report`, see [`last::parse`]), for the 9.3 changes.
    pub previous_report: Option<Box<Figures>>,
    /// Data dirs, one per node; each is verified with its own keys.
    pub data_dirs: Vec<PathBuf>,
    /// Time range.
    pub range: TimeRange,
    /// Report time (unix nanoseconds), shown in the report.
    pub generated_at: i64,
    /// The auditor's trust root (`None`: the keys beside each log, flagged in the report).
    pub trust: Option<crate::evidence::TrustRoot>,
}

/// Verifies and reads every node, and computes the figures.
pub fn build(req: &ReportRequest) -> Result<Figures, ReportError> {
    if req.data_dirs.is_empty() {
        return Err(ReportError::Args("give at least one --data-dir".into()));
    }
    if let (Some(s), Some(u)) = (req.range.since, req.range.until) {
        if u <= s {
            return Err(ReportError::Args(format!(
                "the range is empty: --until ({}) is not after --since ({})",
                rfc3339(u),
                rfc3339(s)
            )));
        }
    }
    let settings = Settings {
        previous: previous_period(req.range, req.generated_at),
        zone: req.zone.clone(),
        seed: req.sample_seed.clone(),
        sample: req.sample,
        max_gap: req.max_gap,
        generated_at: req.generated_at,
    };
    let mut c = Collector::with(req.range, settings);
    let nodes = node::read_all(&req.data_dirs, req.trust.clone(), &mut c);
    let texts = policies::read(&req.data_dirs, &c.policy_hashes(), req.policy.clone());
    let mut f = c.finish_with(nodes, rfc3339(req.generated_at), &texts);
    f.trust = trust(req.trust.as_ref(), &f.nodes);
    prove_sample(&mut f.sample, &req.data_dirs);
    f.review_inputs.since_last_report =
        req.previous_report.as_deref().map(|l| last::compare(&f, l));
    Ok(f)
}

/// The period of the same length just before `range` (needs a `--since`; the end defaults to
/// the report time).
fn previous_period(range: TimeRange, generated_at: i64) -> Option<TimeRange> {
    let since = range.since?;
    let until = range.until.unwrap_or(generated_at);
    let len = until.checked_sub(since).filter(|l| *l > 0)?;
    Some(TimeRange {
        since: Some(since.saturating_sub(len)),
        until: Some(since),
    })
}

/// What the logs were verified against.
fn trust(
    root: Option<&crate::evidence::TrustRoot>,
    nodes: &[figures::NodeStatus],
) -> figures::TrustFigures {
    use crate::evidence::TrustSource;
    let source = match root.map(|r| (&r.source, r.keys.len(), r.policy.is_some())) {
        Some((TrustSource::PublicKey(f), n, _)) => {
            format!("public key file {f} ({n} key(s)) given by the auditor")
        }
        Some((TrustSource::Policy(f), n, _)) => format!(
            "tlog-policy {f} ({n} log key(s), with its witnesses and quorum) given by the auditor"
        ),
        _ => "none given: the keys found beside each log were trusted (UNPINNED)".into(),
    };
    figures::TrustFigures {
        pinned: !nodes.is_empty() && nodes.iter().all(|n| !n.trusted_data_dir_keys),
        source,
        keys: nodes
            .iter()
            .flat_map(|n| n.keys.iter().map(move |k| format!("{}: {k}", n.log_id)))
            .collect(),
    }
}

/// Adds each sampled decision's inclusion proof (one read per log).
fn prove_sample(s: &mut figures::SampleFigures, dirs: &[PathBuf]) {
    for d in dirs {
        let name = d.display().to_string();
        let idx: Vec<usize> = (0..s.rows.len())
            .filter(|i| s.rows[*i].node == name)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let ids: Vec<&str> = idx
            .iter()
            .map(|i| s.rows[*i].decision_id.as_str())
            .collect();
        match crate::evidence::prove_all(d, &ids) {
            Ok(proofs) => {
                for (i, p) in idx.into_iter().zip(proofs) {
                    match p {
                        Ok(p) => s.rows[i].proof = Some(p),
                        Err(e) => s.rows[i].proof_error = Some(e.to_string()),
                    }
                }
            }
            Err(e) => {
                for i in idx {
                    s.rows[i].proof_error = Some(format!("the log could not be read: {e}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
