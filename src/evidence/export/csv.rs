//! The CSV export: one row per selected record, written with the `csv` crate (RFC 4180
//! quoting), enums by the same names as the JSONL export, and every cell that a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
//! prefixed with `'`. CSV carries no integrity: `verify` refuses it and points to JSONL.
use std::io::Write;

use super::render::{record_json, rfc3339_nanos};
use crate::evidence::entry::{decode_record, parse_entry};
use crate::evidence::error::EvidenceError;
use crate::evidence::proto::record;

/// The header row.
pub(crate) const COLUMNS: [&str; 21] = [
    "seq",
    "time",
    "time_unix_nanos",
    "kind",
    "decision_id",
    "principal_id",
    "ai_system_id",
    "provider",
    "operation",
    "model",
    "effect",
    "http_status",
    "findings",
    "matched_rules",
    "reason",
    "upstream_status",
    "latency_us",
    "input_tokens",
    "output_tokens",
    "event",
    "key_id",
];

/// A cell a spreadsheet will not evaluate.
pub(crate) fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn csv_err(e: ::csv::Error) -> EvidenceError {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => EvidenceError::Io(e),
        k => EvidenceError::Corrupt(format!("CSV: {k:?}")),
    }
}

/// Writes the rows of `(seq, stored entry bytes)`.
pub(crate) fn write_csv<'a>(
    rows: impl Iterator<Item = (u64, &'a [u8])>,
    out: &mut dyn Write,
) -> Result<(), EvidenceError> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(COLUMNS).map_err(csv_err)?;
    for (seq, bytes) in rows {
        let e = parse_entry(bytes).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        let r = decode_record(e.body).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        let shown = record_json(&r);
        let name = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut f: Vec<String> = vec![
            seq.to_string(),
            rfc3339_nanos(r.time_unix_nanos),
            r.time_unix_nanos.to_string(),
        ];
        let empty = |n: usize| vec![String::new(); n];
        match &r.kind {
            Some(record::Kind::Decision(d)) => {
                let findings: Vec<String> = d
                    .findings
                    .iter()
                    .map(|c| format!("{}={}", c.class, c.count))
                    .collect();
                let rules: Vec<String> =
                    d.matched_rules.iter().map(|m| m.rule_id.clone()).collect();
                f.extend([
                    "decision".into(),
                    d.decision_id.clone(),
                    d.principal_id.clone(),
                    d.ai_system_id.clone(),
                    d.provider.clone(),
                    d.operation.clone(),
                    d.requested_model.clone(),
                    name(&shown["kind"]["Decision"]["effect"]),
                    d.http_status.to_string(),
                    findings.join(";"),
                    rules.join(";"),
                    d.reason.clone(),
                ]);
                f.extend(empty(5));
            }
            Some(record::Kind::Outcome(o)) => {
                f.extend(["outcome".into(), o.decision_id.clone()]);
                f.extend(empty(10));
                f.extend([
                    o.upstream_status.to_string(),
                    o.latency_us.to_string(),
                    o.input_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    o.output_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    String::new(),
                ]);
            }
            Some(record::Kind::Event(_)) => {
                f.push("event".into());
                f.extend(empty(15));
                f.push(shown["kind"]["Event"]["event"].to_string());
            }
            None => {
                f.push("empty".into());
                f.extend(empty(16));
            }
        }
        f.push(e.key_id().to_owned());
        w.write_record(f.iter().map(|c| neutralise(c).into_owned()))
            .map_err(csv_err)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_cells_kept() {
        for (cell, want) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("a=b", "a=b"),
            ("", ""),
            ("support-bot", "support-bot"),
        ] {
            assert_eq!(neutralise(cell), want);
        }
    }
}
