//! Auditor export: JSONL (self-verifying) or CSV (flat, for spreadsheets), filtered by time,
//! AI system, principal and decision effect. Owns the export formats; verification of a JSONL
//! export lives in `verify/export_check.rs`.
//!
//! JSONL format, one JSON object per line:
//! 1. `{"type":"header","format":"aimsgate-evidence-export v1","origin":..,"filtered":bool,
//!    "filter":{..},"anchor":<prune anchor note or null>}`
//! 2. one `{"type":"entry","seq":..,"key_id":..,"body":<base64>,"signature":<base64>,
//!    "record":<decoded record>,"proof":[<base64 hash>..]}` per record, ascending seq. The
//!    body and signature are the stored bytes, so each line verifies on its own; `record` must
//!    equal the decoded body. `proof` (filtered exports only) is the RFC 6962 audit path of
//!    the entry in the final checkpoint's tree.
//! 3. `{"type":"checkpoint","note":<signed checkpoint note>}`: the latest checkpoint; the
//!    export holds records up to its size only.
//!
//! An unfiltered export is complete: the verifier requires seq `first..size` gap-free (first =
//! 0, or the prune anchor's first) and recomputes the root. A filtered export proves each
//! record's signature and inclusion, not that no matching record was left out. Key rotation
//! events are included in every export so later keys can be followed.
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;

use super::entry::parse_entry;
use super::merkle::Tree;
use super::proto::{event_record, record, Effect, Record};
use super::verify::load_view;
use super::EvidenceError;

/// Which records to export.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFilter {
    /// Records at or after this time (unix nanos).
    pub since: Option<i64>,
    /// Records before this time (unix nanos).
    pub until: Option<i64>,
    /// Decision records of this AI system (and their outcomes).
    pub ai_system: Option<String>,
    /// Decision records of this principal (and their outcomes).
    pub principal: Option<String>,
    /// Decision records with this effect: allow, redact, block, review or error.
    pub decision: Option<String>,
}

impl ExportFilter {
    /// True when no filter is set (the export is complete).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Self-verifying JSON lines.
    Jsonl,
    /// Flat CSV.
    Csv,
}

/// What was exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records written.
    pub records: u64,
    /// Size of the checkpoint the export is bound to.
    pub checkpoint_size: u64,
    /// Records newer than that checkpoint, left out.
    pub skipped_uncheckpointed: u64,
}

fn effect_name(e: i32) -> &'static str {
    match Effect::try_from(e) {
        Ok(Effect::Allow) => "allow",
        Ok(Effect::Redact) => "redact",
        Ok(Effect::Block) => "block",
        Ok(Effect::Review) => "review",
        Ok(Effect::Error) => "error",
        _ => "unspecified",
    }
}

pub(crate) fn is_rotation(r: &Record) -> bool {
    matches!(&r.kind, Some(record::Kind::Event(e)) if matches!(e.event, Some(event_record::Event::KeyRotation(_))))
}

/// Whether a record belongs in an export with this filter; `selected` collects the decision
/// ids the non-time filters select, so outcomes follow their decisions. The export verifier
/// applies the same rule, so a filtered export cannot carry records its filter excludes.
pub(crate) fn matches(
    f: &ExportFilter,
    r: &Record,
    selected: &mut std::collections::HashSet<String>,
) -> bool {
    if f.since.is_some_and(|s| r.time_unix_nanos < s)
        || f.until.is_some_and(|u| r.time_unix_nanos >= u)
    {
        return false;
    }
    let need_decision = f.ai_system.is_some() || f.principal.is_some() || f.decision.is_some();
    match &r.kind {
        Some(record::Kind::Decision(d)) => {
            let ok = f.ai_system.as_ref().map_or(true, |s| *s == d.ai_system_id)
                && f.principal.as_ref().map_or(true, |p| *p == d.principal_id)
                && f.decision
                    .as_ref()
                    .map_or(true, |e| e == effect_name(d.effect));
            if ok && need_decision {
                selected.insert(d.decision_id.clone());
            }
            ok
        }
        Some(record::Kind::Outcome(o)) => !need_decision || selected.contains(&o.decision_id),
        _ => !need_decision,
    }
}

/// Writes an export of `dir` to `out`.
pub fn export(
    dir: &Path,
    filter: &ExportFilter,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<ExportSummary, EvidenceError> {
    if let Some(d) = &filter.decision {
        if !["allow", "redact", "block", "review", "error"].contains(&d.as_str()) {
            return Err(EvidenceError::Config(format!("unknown decision {d:?}")));
        }
    }
    let mut picked: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut selected = std::collections::HashSet::new();
    let view = load_view(dir, |seq, bytes, rec| {
        if matches(filter, rec, &mut selected) || is_rotation(rec) {
            picked.push((seq, bytes.to_vec()));
        }
    })?;
    let (cp, note) = view
        .checkpoint
        .clone()
        .ok_or_else(|| EvidenceError::NotFound("no checkpoint in the data dir yet".into()))?;
    let total = view.frontier.first + view.leaves.len() as u64;
    let skipped = picked.iter().filter(|(s, _)| *s >= cp.size).count() as u64;
    picked.retain(|(s, _)| *s < cp.size);
    let filtered = !filter.is_empty();
    let tree = Tree::new(&view.frontier, &view.leaves);
    match format {
        ExportFormat::Jsonl => {
            let header = json!({
                "type": "header", "format": "aimsgate-evidence-export v1", "origin": cp.origin,
                "filtered": filtered, "filter": filter, "anchor": view.anchor_note,
            });
            writeln!(out, "{header}")?;
            for (seq, bytes) in &picked {
                let e = parse_entry(bytes).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
                let rec = super::entry::decode_record(e.body)
                    .map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
                let mut line = json!({
                    "type": "entry", "seq": seq, "key_id": e.key_id(), "body": B64.encode(e.body),
                    "signature": B64.encode(e.signature().map(|s| &s[..]).unwrap_or_default()), "record": rec,
                });
                if filtered {
                    let p = tree
                        .inclusion_proof(*seq, cp.size)
                        .ok_or_else(|| EvidenceError::Corrupt("inclusion proof".into()))?;
                    line["proof"] = p.iter().map(|h| B64.encode(h)).collect();
                }
                writeln!(out, "{line}")?;
            }
            writeln!(out, "{}", json!({"type": "checkpoint", "note": note}))?;
        }
        ExportFormat::Csv => write_csv(&picked, out)?,
    }
    let _ = total;
    Ok(ExportSummary {
        records: picked.len() as u64,
        checkpoint_size: cp.size,
        skipped_uncheckpointed: skipped,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn write_csv(picked: &[(u64, Vec<u8>)], out: &mut dyn Write) -> Result<(), EvidenceError> {
    writeln!(
        out,
        "seq,time_unix_nanos,kind,decision_id,principal_id,ai_system_id,provider,operation,model,effect,http_status,findings,matched_rules,reason,upstream_status,latency_us,input_tokens,output_tokens,event,key_id"
    )?;
    for (seq, bytes) in picked {
        let e = parse_entry(bytes).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        let r = super::entry::decode_record(e.body)
            .map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        let mut f: Vec<String> = vec![seq.to_string(), r.time_unix_nanos.to_string()];
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
                    effect_name(d.effect).into(),
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
            Some(record::Kind::Event(ev)) => {
                f.push("event".into());
                f.extend(empty(15));
                f.push(serde_json::to_string(ev).unwrap_or_default());
            }
            None => {
                f.push("empty".into());
                f.extend(empty(16));
            }
        }
        f.push(e.key_id().to_owned());
        let line: Vec<String> = f.iter().map(|s| csv_field(s)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}
