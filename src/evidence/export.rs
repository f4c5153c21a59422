//! Auditor export: JSONL (self-verifying, format v2) or CSV (flat, for spreadsheets, no
//! integrity), of a log range (time and/or sequence numbers) filtered by AI system, principal
//! and decision effect. Owns the export formats and what an export selects; verification of a
//! JSONL export lives in `verify/export_check.rs`, the line parser in `export/line.rs`, record
//! rendering in `export/render.rs`, the subtree arithmetic in `export/tree.rs`.
//!
//! # JSONL format v2
//! One JSON object per line. The export binds to one signed checkpoint (the latest cosigned
//! one, `cosigned/latest.note`, when present, else the newest checkpoint frame) and holds
//! entries below its size only. Between the header and the checkpoint line, every log index
//! of the exported span `[first, end)` appears exactly once, in order, so the verifier
//! rebuilds the checkpoint's Merkle tree over every index:
//! 1. `{"type":"header","format":"aimsgate-evidence-export v2","origin":..,"filter":{..},
//!    "first":F,"prefix":[hex..],"anchor":<signed prune anchor note or null>,
//!    "key_links":[tlog-proof..]}`: `key_links` are the log's key rotations, each a C2SP
//!    tlog-proof of the KeyRotation entry against a checkpoint both keys signed, so a key
//!    the auditor pinned before a rotation reaches the key that signed the export; `filter` is
//!    what the exporter claims it selected (`since`/`until` unix nanos, `from_seq`/`to_seq`
//!    inclusive, `ai_system`, `principal`, `decision`; null when unset); `prefix` the hashes
//!    of the aligned perfect subtrees covering `[0, F)` (sizes follow from `F`: at each
//!    position the largest aligned power of two that fits).
//! 2. `{"type":"entry","seq":N,"entry":<base64 stored entry bytes>,"record":{..}}` for each
//!    selected entry. `record` is the decoded entry shown as JSON: enums by their protobuf
//!    value names (`"effect":"EFFECT_BLOCK"`, `"action":"CLASS_ACTION_REDACTED"`,
//!    `"output_scan":"OUTPUT_SCAN_FULL"`, `"disposition":"DISPOSITION_ACCEPTED"`), bytes as
//!    hex, and the time as `time_unix_nanos` and as `time` (RFC 3339, UTC, nine fractional
//!    digits). The verifier decodes the stored bytes again and requires `record` to equal
//!    their rendering.
//! 3. `{"type":"omitted","seq":N,"leaf_hash":hex}` for one entry of the span the filter left
//!    out, or `{"type":"omitted","seq":N,"count":K,"subtrees":[hex..]}` for a run of `K`
//!    (the aligned subtrees covering `[N, N+K)`). Content is not shown; only that it exists.
//! 4. `{"type":"boundary","seq":N,..}` (same fields as an entry) for the entry just before
//!    and just after the selected window, when the window's edge is set by time: its time
//!    shows it is outside the window, so the window's records are all there.
//! 5. `{"type":"checkpoint","note":<signed note>,"suffix":[hex..]}`: the checkpoint and the
//!    subtrees covering `[end, size)`.
//!
//! A range export (no AI system, principal or decision filter) lists nothing as omitted: it
//! proves completeness of its window. The window's start is explained by index 0, `from_seq`,
//! the signed prune anchor, or a boundary entry older than `since`; its end by the checkpoint
//! size, `to_seq`, or a boundary entry at or after `until` (time edges rely on the writer's
//! non-decreasing record times, which `verify --data-dir` checks). A filtered export also
//! proves that nothing in its span was dropped unlisted; that the omitted entries do not match
//! the filter is the exporter's claim, which a complete export of the same span can check.
//! Entries of v1 logs (signed one by one) export the same way: the signed checkpoint covers
//! their bytes, so their own signatures are not needed.
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;

use super::common::hex;
use super::entry::{decode_record, parse_entry};
use super::error::EvidenceError;
use super::merkle::Tree;
use super::proto::{record, Effect, Record};
use super::tlog_proof::TlogProof;
use super::verify::prove::load_view;

mod csv;
mod filter;
pub(crate) mod line;
pub(crate) mod render;
mod source;
pub(crate) mod tree;

pub use filter::ExportFilter;
pub use line::{parse_export_line, ExportLine, Header as ExportHeader, LineError};
pub use render::record_json;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Self-verifying JSON lines.
    Jsonl,
    /// Flat CSV (no integrity).
    Csv,
}

/// What was exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records written (entry lines; CSV rows).
    pub records: u64,
    /// Entries of the span left out by the filter (listed by hash in JSONL).
    pub omitted: u64,
    /// First log index of the selected window.
    pub window_start: u64,
    /// Log index after the selected window.
    pub window_end: u64,
    /// Size of the checkpoint the export is bound to.
    pub checkpoint_size: u64,
    /// True when that checkpoint is the cosigned one.
    pub cosigned: bool,
    /// Records newer than that checkpoint that the filter selects, left out.
    pub skipped_uncheckpointed: u64,
}

/// What `verify` says about a CSV export.
pub const CSV_NOT_VERIFIABLE: &str = "this is a CSV export, and CSV carries no integrity (no stored entry bytes, no hashes, no signed checkpoint): it cannot be verified. Export with `--format jsonl` and verify that file";

/// True when `path` is a CSV export (named `.csv`, or starting with the CSV header row)
/// rather than JSONL.
pub fn looks_like_csv(path: &Path) -> bool {
    use std::io::Read as _;
    let named = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    named || head[..n].starts_with(b"seq,time")
}

/// Short lowercase name of an effect, as `--decision` takes it.
pub(crate) fn effect_name(e: i32) -> &'static str {
    match Effect::try_from(e) {
        Ok(Effect::Allow) => "allow",
        Ok(Effect::Redact) => "redact",
        Ok(Effect::Block) => "block",
        Ok(Effect::Review) => "review",
        Ok(Effect::Error) => "error",
        _ => "unspecified",
    }
}

/// The content filter, applied in log order: outcomes follow their decisions. The export
/// verifier applies the same rule to what an export shows.
#[derive(Default)]
pub(crate) struct Matcher {
    selected: HashSet<String>,
}

impl Matcher {
    /// Whether `r` matches the filter's AI system, principal and decision.
    pub(crate) fn matches(&mut self, f: &ExportFilter, r: &Record) -> bool {
        if !f.selects_content() {
            return true;
        }
        match &r.kind {
            Some(record::Kind::Decision(d)) => {
                let ok = f.ai_system.as_ref().is_none_or(|s| *s == d.ai_system_id)
                    && f.principal.as_ref().is_none_or(|p| *p == d.principal_id)
                    && f.decision
                        .as_ref()
                        .is_none_or(|e| e == effect_name(d.effect));
                if ok {
                    self.selected.insert(d.decision_id.clone());
                }
                ok
            }
            Some(record::Kind::Outcome(o)) => self.selected.contains(&o.decision_id),
            _ => false,
        }
    }
}

/// One log index of the exported span.
enum Pick {
    Shown(u64, Vec<u8>),
    Omitted(u64),
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
    let bound = source::bound_checkpoint(dir)?;
    let size = bound.cp.size;
    let mut picks: Vec<Pick> = Vec::new();
    let (mut before, mut after): (Option<Vec<u8>>, Option<Vec<u8>>) = (None, None);
    let mut lo: Option<u64> = None;
    let mut matcher = Matcher::default();
    let (mut next, mut skipped, mut gap) = (None::<u64>, 0u64, None);
    let view = load_view(dir, |seq, bytes, rec| {
        let expect = *next.get_or_insert(seq);
        if seq != expect {
            gap.get_or_insert((expect, seq));
        }
        next = Some(expect + 1);
        let t = rec.time_unix_nanos;
        if seq >= size {
            if after.is_none()
                && !filter.before(seq, t)
                && !filter.after(seq, t)
                && matcher.matches(filter, rec)
            {
                skipped += 1;
            }
        } else if lo.is_none() && filter.before(seq, t) {
            before = Some(bytes.to_vec());
        } else if after.is_none() {
            lo.get_or_insert(seq);
            if filter.after(seq, t) {
                after = Some(bytes.to_vec());
            } else if !filter.before(seq, t) && matcher.matches(filter, rec) {
                picks.push(Pick::Shown(seq, bytes.to_vec()));
            } else {
                picks.push(Pick::Omitted(seq));
            }
        }
    })?;
    let start = view.frontier.first;
    let read_to = start + view.leaves.len() as u64;
    if let Some((want, got)) = gap.filter(|_| start <= size) {
        return Err(EvidenceError::Corrupt(format!(
            "entry seq {got} stands where {want} was expected; run `aimsgate verify`"
        )));
    }
    if size < start || read_to < size {
        return Err(EvidenceError::Corrupt(format!(
            "the checkpoint covers {size} entries but the log holds entries {start}..{read_to}; run `aimsgate verify`"
        )));
    }
    let lo = lo.unwrap_or(size);
    let hi = lo + picks.len() as u64;
    let before = before.filter(|_| lo > start && filter.from_seq != Some(lo));
    let after = after.filter(|_| filter.to_seq.and_then(|t| t.checked_add(1)) != Some(hi));
    let shown = picks
        .iter()
        .filter(|p| matches!(p, Pick::Shown(..)))
        .count() as u64;
    let summary = ExportSummary {
        records: shown,
        omitted: picks.len() as u64 - shown,
        window_start: lo,
        window_end: hi,
        checkpoint_size: size,
        cosigned: bound.cosigned,
        skipped_uncheckpointed: skipped,
    };
    if format == ExportFormat::Csv {
        let rows = picks.iter().filter_map(|p| match p {
            Pick::Shown(s, b) => Some((*s, &b[..])),
            Pick::Omitted(_) => None,
        });
        csv::write_csv(rows, out)?;
        return Ok(summary);
    }
    let tree = Tree::new(&view.frontier, &view.leaves);
    let subtrees = |a: u64, b: u64| -> Result<Vec<String>, EvidenceError> {
        tree::cover(a, b)
            .into_iter()
            .map(|(s, n)| tree.subtree(s, n).map(|h| hex(&h)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| EvidenceError::Corrupt(format!("cannot hash entries {a}..{b}")))
    };
    let first = lo - u64::from(before.is_some());
    let end = hi + u64::from(after.is_some());
    let header = json!({
        "type": "header", "format": line::FORMAT_V2, "origin": bound.cp.origin,
        "filter": filter, "first": first, "prefix": subtrees(0, first)?,
        "anchor": view.anchor_note,
        "key_links": view.key_links.iter().map(TlogProof::to_text).collect::<Vec<_>>(),
    });
    writeln!(out, "{header}")?;
    let entry_line = |kind: &str, bytes: &[u8]| -> Result<String, EvidenceError> {
        let e = parse_entry(bytes).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        let rec = decode_record(e.body).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        let v = json!({"type": kind, "seq": rec.seq, "entry": B64.encode(bytes),
            "record": render::record_json(&rec)});
        Ok(v.to_string())
    };
    if let Some(b) = &before {
        writeln!(out, "{}", entry_line("boundary", b)?)?;
    }
    let mut i = 0;
    while let Some(p) = picks.get(i) {
        match p {
            Pick::Shown(_, b) => {
                writeln!(out, "{}", entry_line("entry", b)?)?;
                i += 1;
            }
            Pick::Omitted(s) => {
                let run = picks[i..]
                    .iter()
                    .take_while(|p| matches!(p, Pick::Omitted(_)))
                    .count() as u64;
                let line = if run == 1 {
                    json!({"type": "omitted", "seq": s, "leaf_hash": subtrees(*s, s + 1)?.pop()})
                } else {
                    json!({"type": "omitted", "seq": s, "count": run,
                        "subtrees": subtrees(*s, s + run)?})
                };
                writeln!(out, "{line}")?;
                i += run as usize;
            }
        }
    }
    if let Some(a) = &after {
        writeln!(out, "{}", entry_line("boundary", a)?)?;
    }
    let cp = json!({"type": "checkpoint", "note": bound.note, "suffix": subtrees(end, size)?});
    writeln!(out, "{cp}")?;
    Ok(summary)
}

#[cfg(test)]
mod tests;
