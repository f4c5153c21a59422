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
//! Owns: the figure definitions (`figures`), their computation (`collect`, `buckets`, `samples`, `in_flight`), reading
//! the nodes (`node`) and the page (`html`, `svg`). Deliberately does not write evidence,
//! read configuration or policy files, or ever see prompt text or credentials (records hold
//! none); labels are AI systems, models, upstreams, rules, data classes and Annex A controls.
use std::path::PathBuf;

mod annex_a;
mod buckets;
mod collect;
pub mod figures;
pub mod html;
mod in_flight;
mod markup;
mod node;
mod samples;
mod svg;
mod time;

pub use collect::{Collector, NOTES};
pub use figures::Figures;
pub use time::{parse_time, rfc3339, Bound, ReportError, TimeRange};

/// What to report on.
#[derive(Clone, Debug, Default)]
pub struct ReportRequest {
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
    let mut c = Collector::new(req.range);
    let nodes = node::read_all(&req.data_dirs, req.trust.clone(), &mut c);
    Ok(c.finish(nodes, rfc3339(req.generated_at)))
}

#[cfg(test)]
mod tests;
