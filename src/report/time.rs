//! Report time handling and errors: [`TimeRange`], [`Bound`], [`parse_time`], [`rfc3339`] and
//! [`ReportError`].
//!
//! A leaf shared by the report's parent and its children (`collect`, `node`), so none of them
//! imports the other for these; re-exported from [`crate::report`]. Owns no figures.

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
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
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
