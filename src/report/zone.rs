//! The report's time zone: human-readable times ("2026-12-07 10:15:02 CET") and the week
//! boundaries of the trend tables, both in the zone the auditor asked for (`--tz`, an IANA name
//! such as `Europe/Berlin`, or `UTC`). The zone database is the system's (`/usr/share/zoneinfo`)
//! with a bundled copy as fallback, so a minimal container gives the same answer.
//!
//! Owns time-zone lookup and formatting; the figures keep RFC 3339 UTC strings (machine
//! readable), and only the page converts them. Knows nothing of records.
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::time::ReportError;

/// A resolved report time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Default for Zone {
    fn default() -> Self {
        Self::utc()
    }
}

impl Zone {
    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone named `name` (IANA name, `UTC`, or a fixed offset such as `+02:00`).
    pub fn parse(name: &str) -> Result<Self, ReportError> {
        let bad = |why: String| ReportError::Args(format!("--tz {name:?}: {why}"));
        if name.eq_ignore_ascii_case("utc") || name == "Z" {
            return Ok(Self::utc());
        }
        let tz = if name.starts_with(['+', '-']) {
            let off = fixed_offset(name).ok_or_else(|| bad("not an offset like +02:00".into()))?;
            TimeZone::fixed(off)
        } else {
            TimeZone::get(name).map_err(|e| {
                bad(format!(
                    "{e}; use an IANA time zone name such as Europe/Berlin, or UTC"
                ))
            })?
        };
        Ok(Self {
            name: name.to_owned(),
            tz,
        })
    }

    /// The name as given (`UTC` by default).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `2026-12-07 10:15:02 CET` for unix nanoseconds.
    pub fn human_nanos(&self, nanos: i64) -> String {
        match Timestamp::from_nanosecond(i128::from(nanos)) {
            Ok(ts) => self.human(ts),
            Err(_) => format!("{nanos} ns"),
        }
    }

    /// The same for an RFC 3339 string; anything else is returned unchanged.
    pub fn human_rfc3339(&self, s: &str) -> String {
        match s.parse::<Timestamp>() {
            Ok(ts) => self.human(ts),
            Err(_) => s.to_owned(),
        }
    }

    /// `2026-12-07` (the date in this zone) of an RFC 3339 string.
    pub fn date_rfc3339(&self, s: &str) -> String {
        match s.parse::<Timestamp>() {
            Ok(ts) => ts
                .to_zoned(self.tz.clone())
                .strftime("%Y-%m-%d")
                .to_string(),
            Err(_) => s.to_owned(),
        }
    }

    fn human(&self, ts: Timestamp) -> String {
        ts.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }

    /// The start (unix nanoseconds) of the week holding `nanos`: Monday 00:00 in this zone.
    pub fn week_start(&self, nanos: i64) -> i64 {
        let Ok(ts) = Timestamp::from_nanosecond(i128::from(nanos)) else {
            return nanos;
        };
        let z = ts.to_zoned(self.tz.clone());
        let back = i64::from(z.weekday().to_monday_zero_offset());
        z.start_of_day()
            .ok()
            .and_then(|d| d.checked_sub(back.days()).ok())
            .and_then(|d| d.start_of_day().ok())
            .map_or(nanos, |d| {
                i64::try_from(d.timestamp().as_nanosecond()).unwrap_or(nanos)
            })
    }

    /// The start of the week after the one starting at `start`.
    pub fn next_week(&self, start: i64) -> i64 {
        let next = Timestamp::from_nanosecond(i128::from(start))
            .ok()
            .map(|ts| ts.to_zoned(self.tz.clone()))
            .and_then(|z| z.checked_add(7.days()).ok())
            .and_then(|z| z.start_of_day().ok())
            .and_then(|z| i64::try_from(z.timestamp().as_nanosecond()).ok());
        // A week is never shorter than six days, whatever the zone's transitions.
        next.filter(|n| *n > start)
            .unwrap_or(start.saturating_add(7 * 86_400 * 1_000_000_000))
    }
}

fn fixed_offset(s: &str) -> Option<jiff::tz::Offset> {
    let sign: i32 = if s.starts_with('-') { -1 } else { 1 };
    let (h, m) = s.get(1..)?.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(s: &str) -> i64 {
        i64::try_from(s.parse::<Timestamp>().unwrap().as_nanosecond()).unwrap()
    }

    #[test]
    fn times_are_shown_in_the_chosen_zone() {
        let t = nanos("2026-12-07T09:15:02Z");
        assert_eq!(Zone::utc().human_nanos(t), "2026-12-07 09:15:02 UTC");
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.human_nanos(t), "2026-12-07 10:15:02 CET");
        assert_eq!(
            berlin.human_rfc3339("2026-07-01T00:30:00Z"),
            "2026-07-01 02:30:00 CEST"
        );
        let tokyo = Zone::parse("+09:00").unwrap();
        assert!(tokyo.human_nanos(t).starts_with("2026-12-07 18:15:02"));
        assert_eq!(berlin.human_rfc3339("not a time"), "not a time");
    }

    #[test]
    fn unknown_zones_are_refused_with_a_hint() {
        let e = Zone::parse("Mars/Olympus").unwrap_err().to_string();
        assert!(e.contains("IANA"), "{e}");
        assert!(Zone::parse("+25:00").is_err());
    }

    #[test]
    fn weeks_start_on_monday_midnight_in_the_zone() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // Sunday 2026-12-06 23:30 UTC is Monday 00:30 in Berlin.
        let w = berlin.week_start(nanos("2026-12-06T23:30:00Z"));
        assert_eq!(w, nanos("2026-12-06T23:00:00Z"));
        let z = Timestamp::from_nanosecond(i128::from(w))
            .unwrap()
            .to_zoned(TimeZone::get("Europe/Berlin").unwrap());
        assert_eq!(z.weekday(), jiff::civil::Weekday::Monday);
        // In UTC the same instant is still in the week before.
        assert_eq!(
            Zone::utc().week_start(nanos("2026-12-06T23:30:00Z")),
            nanos("2026-11-30T00:00:00Z")
        );
        // A week across the end of summer time is 7 days and one hour long.
        let start = berlin.week_start(nanos("2026-10-21T12:00:00Z"));
        assert_eq!(
            berlin.next_week(start) - start,
            (7 * 24 + 1) * 3600 * 1_000_000_000
        );
    }
}
