//! The line parser of JSONL exports: one line of untrusted text into a typed [`ExportLine`],
//! with base64 and hex decoded and every shape rule of the format checked (see the format in
//! `export.rs`). Never panics; owns no verification beyond the shape of one line.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;

use super::filter::ExportFilter;
use crate::evidence::merkle::Hash;

/// The format name in the header of exports this version writes.
pub const FORMAT_V2: &str = "aimsgate-evidence-export v2";
/// Longest line accepted (an entry is at most 1 MiB; base64 and its JSON record fit).
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// One parsed export line.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportLine {
    /// The first line.
    Header(Box<Header>),
    /// An exported entry (`boundary: false`) or a boundary record just outside the exported
    /// window (`boundary: true`), with its stored bytes and the record as shown.
    Entry {
        /// Log index the line claims.
        seq: u64,
        /// Stored entry bytes.
        entry: Vec<u8>,
        /// The record as the export shows it.
        record: Value,
        /// True for a `boundary` line.
        boundary: bool,
    },
    /// A run of `count` entries from `seq` on, left out by the filter, as the hashes of the
    /// aligned subtrees covering them (one leaf hash when `count` is 1).
    Omitted {
        /// First log index of the run.
        seq: u64,
        /// Number of entries in the run.
        count: u64,
        /// Subtree hashes, left to right.
        hashes: Vec<Hash>,
    },
    /// The last line: the signed checkpoint and the subtrees after the exported span.
    Checkpoint {
        /// The signed note (C2SP checkpoint, possibly with witness cosignatures).
        note: String,
        /// Subtree hashes covering `[end of span, checkpoint size)`.
        suffix: Vec<Hash>,
    },
}

/// The header line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always `header`.
    #[serde(rename = "type")]
    pub kind: String,
    /// [`FORMAT_V2`].
    pub format: String,
    /// The log origin (the checkpoint's first line).
    pub origin: String,
    /// What the exporter says it selected.
    pub filter: ExportFilter,
    /// Log index of the first entry line (entry, boundary or omitted).
    pub first: u64,
    /// Hex hashes of the subtrees covering `[0, first)`.
    pub prefix: Vec<String>,
    /// The signed prune anchor when the retained log starts at `first`.
    pub anchor: Option<String>,
    /// Key links (C2SP tlog-proofs of the log's key rotations, see `evidence::keylink`), so a
    /// key pinned before a rotation verifies a checkpoint signed after it.
    #[serde(default)]
    pub key_links: Vec<String>,
}

/// Why a line does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {problem}")]
pub struct LineError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

fn err(field: &'static str, problem: impl Into<String>) -> LineError {
    LineError {
        field,
        problem: problem.into(),
    }
}

/// Lowercase-or-uppercase hex of a 32-byte hash.
pub(crate) fn parse_hash(s: &str) -> Option<Hash> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut h = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        h[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(h)
}

fn hashes(v: &Value, field: &'static str) -> Result<Vec<Hash>, LineError> {
    let a = v
        .as_array()
        .ok_or_else(|| err(field, "missing or not an array"))?;
    a.iter()
        .map(|x| x.as_str().and_then(parse_hash))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| err(field, "holds something that is not a 64-digit hex hash"))
}

fn only(o: &serde_json::Map<String, Value>, keys: &[&str]) -> Result<(), LineError> {
    match o.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(err("line", format!("unknown field {k:?}"))),
        None => Ok(()),
    }
}

fn seq(o: &serde_json::Map<String, Value>) -> Result<u64, LineError> {
    o.get("seq")
        .and_then(Value::as_u64)
        .ok_or_else(|| err("seq", "missing or not an unsigned integer"))
}

/// Parses one export line.
pub fn parse_export_line(line: &str) -> Result<ExportLine, LineError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(err("line", "longer than 8 MiB"));
    }
    let v: Value = serde_json::from_str(line).map_err(|e| err("line", format!("not JSON: {e}")))?;
    let o = v
        .as_object()
        .ok_or_else(|| err("line", "not a JSON object"))?;
    match o.get("type").and_then(Value::as_str) {
        Some("header") => {
            let h: Header =
                serde_json::from_value(v.clone()).map_err(|e| err("header", e.to_string()))?;
            if h.format != FORMAT_V2 {
                return Err(err(
                    "format",
                    format!(
                        "is {:?}, not {FORMAT_V2:?} (export again with this aimsgate)",
                        h.format
                    ),
                ));
            }
            if h.prefix.iter().any(|p| parse_hash(p).is_none()) {
                return Err(err("prefix", "holds something that is not a hex hash"));
            }
            Ok(ExportLine::Header(Box::new(h)))
        }
        Some(t @ ("entry" | "boundary")) => {
            only(o, &["type", "seq", "entry", "record"])?;
            let entry = o
                .get("entry")
                .and_then(Value::as_str)
                .and_then(|s| B64.decode(s).ok())
                .ok_or_else(|| err("entry", "missing or not base64"))?;
            let record = o
                .get("record")
                .filter(|r| r.is_object())
                .cloned()
                .ok_or_else(|| err("record", "missing or not an object"))?;
            Ok(ExportLine::Entry {
                seq: seq(o)?,
                entry,
                record,
                boundary: t == "boundary",
            })
        }
        Some("omitted") => {
            let seq = seq(o)?;
            if let Some(leaf) = o.get("leaf_hash") {
                only(o, &["type", "seq", "leaf_hash"])?;
                let h = leaf
                    .as_str()
                    .and_then(parse_hash)
                    .ok_or_else(|| err("leaf_hash", "not a 64-digit hex hash"))?;
                return Ok(ExportLine::Omitted {
                    seq,
                    count: 1,
                    hashes: vec![h],
                });
            }
            only(o, &["type", "seq", "count", "subtrees"])?;
            let count = o
                .get("count")
                .and_then(Value::as_u64)
                .filter(|c| *c > 0)
                .ok_or_else(|| err("count", "missing or not a positive integer"))?;
            let hashes = hashes(o.get("subtrees").unwrap_or(&Value::Null), "subtrees")?;
            let end = seq
                .checked_add(count)
                .ok_or_else(|| err("count", "runs past the largest log index"))?;
            let need = super::tree::cover(seq, end).len();
            if hashes.len() != need {
                return Err(err(
                    "subtrees",
                    format!(
                        "{} hashes given, entries {seq}..{end} need {need}",
                        hashes.len()
                    ),
                ));
            }
            Ok(ExportLine::Omitted { seq, count, hashes })
        }
        Some("checkpoint") => {
            only(o, &["type", "note", "suffix"])?;
            let note = o
                .get("note")
                .and_then(Value::as_str)
                .ok_or_else(|| err("note", "missing or not a string"))?
                .to_owned();
            let suffix = hashes(o.get("suffix").unwrap_or(&Value::Null), "suffix")?;
            Ok(ExportLine::Checkpoint { note, suffix })
        }
        _ => Err(err("type", "missing or not a known line type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_bad_shapes_are_refused() {
        let h = "ab".repeat(32);
        assert_eq!(
            parse_export_line(&format!(
                r#"{{"type":"omitted","seq":3,"leaf_hash":"{h}"}}"#
            )),
            Ok(ExportLine::Omitted {
                seq: 3,
                count: 1,
                hashes: vec![[0xab; 32]]
            })
        );
        let run = format!(r#"{{"type":"omitted","seq":4,"count":3,"subtrees":["{h}","{h}"]}}"#);
        assert!(matches!(
            parse_export_line(&run),
            Ok(ExportLine::Omitted { count: 3, .. })
        ));
        let e = parse_export_line(r#"{"type":"entry","seq":1,"entry":"AgA=","record":{}}"#);
        assert!(
            matches!(e, Ok(ExportLine::Entry { seq: 1, boundary: false, ref entry, .. }) if entry == &[2, 0])
        );
        for (bad, field) in [
            ("[]", "line"),
            ("{", "line"),
            (r#"{"type":"x"}"#, "type"),
            (
                r#"{"type":"entry","seq":-1,"entry":"AgA=","record":{}}"#,
                "seq",
            ),
            (
                r#"{"type":"entry","seq":1,"entry":"!!","record":{}}"#,
                "entry",
            ),
            (
                r#"{"type":"entry","seq":1,"entry":"AgA=","record":1}"#,
                "record",
            ),
            (
                r#"{"type":"entry","seq":1,"entry":"AgA=","record":{},"x":1}"#,
                "line",
            ),
            (
                r#"{"type":"omitted","seq":1,"leaf_hash":"00"}"#,
                "leaf_hash",
            ),
            (
                r#"{"type":"omitted","seq":1,"count":0,"subtrees":[]}"#,
                "count",
            ),
            (
                r#"{"type":"checkpoint","note":"n","suffix":["zz"]}"#,
                "suffix",
            ),
            (
                r#"{"type":"header","format":"aimsgate-evidence-export v1","origin":"o","filter":{},"first":0,"prefix":[],"anchor":null}"#,
                "format",
            ),
        ] {
            assert_eq!(
                parse_export_line(bad).map_err(|e| e.field),
                Err(field),
                "{bad}"
            );
        }
    }
}
