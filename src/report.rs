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

mod buckets;
mod collect;
pub mod figures;
pub mod html;
mod in_flight;
mod node;
mod samples;
mod svg;

pub use collect::{Collector, NOTES};
pub use figures::Figures;

/// Errors of the report's arguments (a node that cannot be read is reported in the figures).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A time argument did not parse.
    #[error("{0:?} is neither an RFC 3339 time (2026-01-31T09:00:00Z) nor a date (2026-01-31)")]
    Time(String),
    /// No data dir given, or the range is empty.
    #[error("{0}")]
    Args(String),
}

/// Records with `since <= time < until` (unix nanoseconds); `None` is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive start.
    pub since: Option<i64>,
    /// Exclusive end.
    pub until: Option<i64>,
}

impl TimeRange {
    /// Whether `t` is inside.
    pub fn contains(&self, t: i64) -> bool {
        self.since.map_or(true, |s| t >= s) && self.until.map_or(true, |u| t < u)
    }
}

/// Which end of the range a time argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// `--since`: a plain date means the start of that day.
    Since,
    /// `--until`: a plain date includes that whole day (the range ends at the next midnight).
    Until,
}

/// Parses an RFC 3339 time or a plain `YYYY-MM-DD` date (UTC) into unix nanoseconds.
pub fn parse_time(s: &str, bound: Bound) -> Result<i64, ReportError> {
    use time::format_description::well_known::Rfc3339;
    let bad = || ReportError::Time(s.to_owned());
    let nanos = match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => t.unix_timestamp_nanos(),
        Err(_) => {
            let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| bad())?;
            let d = match bound {
                Bound::Since => d,
                Bound::Until => d.next_day().ok_or_else(bad)?,
            };
            d.midnight().assume_utc().unix_timestamp_nanos()
        }
    };
    i64::try_from(nanos).map_err(|_| bad())
}

/// RFC 3339 (UTC) of unix nanoseconds; the raw number if out of range.
pub fn rfc3339(nanos: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{nanos}ns"))
}

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
