//! "What changed since the last report" for the 9.3 review inputs: the previous report's JSON
//! (`--previous-report FILE`, the same format) against this one — key figures, objectives whose
//! status changed, anomalies that are new or gone, policy activations after it was built. Pure;
//! reading the file is the CLI's.
use std::collections::BTreeSet;

use super::figures::{Change, Figures, LastReport, FORMAT};
use super::time::{parse_time, Bound, ReportError};

/// Parses a previous report (`--format json` output of this version).
pub fn parse(text: &str) -> Result<Figures, ReportError> {
    let f: Figures = serde_json::from_str(text)
        .map_err(|e| ReportError::Args(format!("--previous-report: not a report in JSON: {e}")))?;
    if f.format != FORMAT {
        return Err(ReportError::Args(format!(
            "--previous-report: format {:?}, expected {FORMAT:?}",
            f.format
        )));
    }
    Ok(f)
}

fn key(o: &super::figures::ObjectiveFigures) -> String {
    match &o.ai_system {
        Some(s) => format!("{} ({s})", o.id),
        None => o.id.clone(),
    }
}

fn status(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "not met",
        None => "no data",
    }
}

/// This report against `last`.
pub fn compare(now: &Figures, last: &Figures) -> LastReport {
    let figures = |f: &Figures| -> Vec<(&'static str, f64)> {
        vec![
            ("decisions", f.totals.decisions as f64),
            (
                "redacted calls (controls operating)",
                f.conformity.redacted_calls as f64,
            ),
            ("refused by policy", f.conformity.refusals as f64),
            ("unapproved use", f.conformity.unapproved_use as f64),
            (
                "unregistered AI system calls",
                f.conformity.unregistered as f64,
            ),
            ("calls flagged for review", f.reviews.flagged as f64),
            ("open reviews", f.reviews.open as f64),
            ("nonconformity rate", f.conformity.nonconformity_rate),
            ("anomalies", f.anomalies.len() as f64),
        ]
    };
    let changes = figures(now)
        .into_iter()
        .zip(figures(last))
        .map(|((name, current), (_, previous))| Change {
            figure: name.to_owned(),
            previous: Some(previous),
            current,
        })
        .collect();
    let objectives_changed = now
        .objectives
        .iter()
        .filter_map(|o| {
            let before = last.objectives.iter().find(|p| key(p) == key(o));
            match before {
                None => Some(format!("{}: new objective, {}", key(o), status(o.met))),
                Some(p) if p.met != o.met => {
                    Some(format!("{}: {} → {}", key(o), status(p.met), status(o.met)))
                }
                Some(_) => None,
            }
        })
        .chain(
            last.objectives
                .iter()
                .filter(|p| !now.objectives.iter().any(|o| key(o) == key(p)))
                .map(|p| format!("{}: no longer an objective", key(p))),
        )
        .collect();
    let kinds =
        |f: &Figures| -> BTreeSet<String> { f.anomalies.iter().map(|a| a.kind.clone()).collect() };
    let (k_now, k_last) = (kinds(now), kinds(last));
    // Times in the JSON are RFC 3339 with as many fraction digits as needed: compare instants,
    // not strings. A time that does not parse counts as after the last report (shown, not lost).
    let built = parse_time(&last.generated_at, Bound::Since).ok();
    let after = |t: &str| match (parse_time(t, Bound::Since).ok(), built) {
        (Some(t), Some(b)) => t > b,
        _ => true,
    };
    LastReport {
        generated_at: last.generated_at.clone(),
        period: (last.period.since.clone(), last.period.until.clone()),
        changes,
        objectives_changed,
        new_anomalies: k_now.difference(&k_last).cloned().collect(),
        resolved_anomalies: k_last.difference(&k_now).cloned().collect(),
        activations_since: now
            .review_inputs
            .activations
            .iter()
            .filter(|a| after(&a.time))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::figures::{Activation, Anomaly, ObjectiveFigures};
    use super::*;

    fn objective(id: &str, met: Option<bool>) -> ObjectiveFigures {
        ObjectiveFigures {
            id: id.into(),
            met,
            ..ObjectiveFigures::default()
        }
    }

    #[test]
    fn changes_since_the_last_report_are_listed() {
        let mut last = Figures {
            format: FORMAT.into(),
            generated_at: "2026-11-01T00:00:00Z".into(),
            ..Figures::default()
        };
        last.totals.decisions = 10;
        last.objectives = vec![objective("a", Some(true)), objective("gone", Some(true))];
        last.anomalies = vec![Anomaly {
            kind: "time_gap".into(),
            ..Anomaly::default()
        }];
        let mut now = Figures {
            format: FORMAT.into(),
            ..Figures::default()
        };
        now.totals.decisions = 25;
        now.objectives = vec![objective("a", Some(false)), objective("b", None)];
        now.anomalies = vec![Anomaly {
            kind: "open_reviews".into(),
            ..Anomaly::default()
        }];
        now.review_inputs.activations = vec![
            Activation {
                time: "2026-10-31T00:00:00Z".into(),
                ..Activation::default()
            },
            Activation {
                time: "2026-11-01T00:00:00.5Z".into(),
                version: "2".into(),
                ..Activation::default()
            },
        ];
        let text = serde_json::to_string(&last).unwrap();
        let c = compare(&now, &parse(&text).unwrap());
        assert_eq!(c.changes[0].figure, "decisions");
        assert_eq!(
            (c.changes[0].previous, c.changes[0].current),
            (Some(10.0), 25.0)
        );
        assert_eq!(
            c.objectives_changed,
            [
                "a: met → not met",
                "b: new objective, no data",
                "gone: no longer an objective"
            ]
        );
        assert_eq!(
            (c.new_anomalies.as_slice(), c.resolved_anomalies.as_slice()),
            (
                &["open_reviews".to_owned()][..],
                &["time_gap".to_owned()][..]
            )
        );
        assert_eq!(c.activations_since.len(), 1);
        assert_eq!(c.activations_since[0].version, "2");
        assert!(parse("{}").is_err());
        let old = text.replace(FORMAT, "aimsgate-clause9-report v1");
        assert!(parse(&old).unwrap_err().to_string().contains("expected"));
    }
}
