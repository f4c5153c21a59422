//! Verifies a JSONL export (format in `export.rs`) with only a public key: header, every
//! entry line (signature, key chain, record JSON equals the signed body), continuity and the
//! Merkle root for complete exports, inclusion proofs for filtered ones, and the final signed
//! checkpoint. Never panics on malformed input.
use std::io::BufRead;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::{fault, Checker, VerifyFault, VerifySummary};
use crate::evidence::entry::{body_hash, encode_entry, entry_hash};
use crate::evidence::hex;
use crate::evidence::keys::PublicKey;
use crate::evidence::merkle::{root_from_inclusion, CompactRange, Hash};
use crate::evidence::note::{open_note, Anchor, Checkpoint};

/// The first line of an export.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(rename = "type")]
    kind: String,
    format: String,
    origin: String,
    filtered: bool,
    filter: crate::evidence::ExportFilter,
    anchor: Option<String>,
}

/// Verifies a JSONL export against the public key (text form) that signed its first record.
pub fn verify_export(
    export: impl BufRead,
    public_key_text: &str,
) -> Result<VerifySummary, VerifyFault> {
    let key = PublicKey::parse(public_key_text)
        .map_err(|e| fault(None, None, "public key", "public key", e.to_string()))?;
    let mut lines = export.lines().enumerate();
    let line_err = |n: usize, field: &str, p: String| {
        fault(None, None, &format!("export line {}", n + 1), field, p)
    };
    let (n0, first) = match lines.next() {
        Some((n, Ok(l))) => (n, l),
        _ => return Err(line_err(0, "header", "export is empty".into())),
    };
    // The header is unsigned, so it must be exactly what `export` writes.
    let header: Header =
        serde_json::from_str(&first).map_err(|e| line_err(n0, "header", e.to_string()))?;
    if header.kind != "header" || header.format != "aimsgate-evidence-export v1" {
        return Err(line_err(
            n0,
            "header",
            "first line is not an aimsgate-evidence-export v1 header".into(),
        ));
    }
    if header.filtered == header.filter.is_empty() {
        return Err(line_err(
            n0,
            "header",
            "`filtered` does not match `filter`".into(),
        ));
    }
    let filtered = header.filtered;
    let origin = Some(header.origin.clone());
    let mut checker = Checker::new(vec![key.clone()], origin.clone()).deferring();
    let (mut next, mut prev, mut range): (u64, Hash, CompactRange) =
        (0, [0u8; 32], CompactRange::default());
    if let Some(note) = header.anchor.as_deref() {
        let v =
            open_note(note, std::slice::from_ref(&key)).map_err(|e| line_err(n0, "anchor", e))?;
        let a = Anchor::parse(&v.text).map_err(|e| line_err(n0, "anchor", e))?;
        range = a.range().unwrap_or_default();
        (next, prev) = (a.first, a.prev);
    }
    let first_seq = next;
    let mut last: Option<(u64, Hash)> = None; // (seq, body hash) of the previous line
    let mut proofs: Vec<(u64, Hash, Vec<Hash>, String)> = Vec::new();
    let mut records = 0u64;
    let mut selected = std::collections::HashSet::new();
    let mut checkpoint: Option<(Checkpoint, usize)> = None;
    let scanned = (|| -> Result<(), VerifyFault> {
        for (n, line) in lines {
            let line = line.map_err(|e| line_err(n, "line", e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            if checkpoint.is_some() {
                return Err(line_err(
                    n,
                    "checkpoint",
                    "lines after the checkpoint line".into(),
                ));
            }
            let loc = format!("export line {}", n + 1);
            let v: serde_json::Value = serde_json::from_str(&line)
                .map_err(|e| line_err(n, "line", format!("not JSON: {e}")))?;
            match v["type"].as_str() {
                Some("entry") => {}
                Some("checkpoint") => {
                    let note = v["note"]
                        .as_str()
                        .ok_or_else(|| line_err(n, "checkpoint", "no note".into()))?;
                    let ver = open_note(note, &checker.note_keys())
                        .map_err(|e| line_err(n, "checkpoint signature", e))?;
                    let cp =
                        Checkpoint::parse(&ver.text).map_err(|e| line_err(n, "checkpoint", e))?;
                    checkpoint = Some((cp, n));
                    continue;
                }
                _ => return Err(line_err(n, "type", "unknown line type".into())),
            }
            let b = |field: &str| -> Result<Vec<u8>, VerifyFault> {
                v[field]
                    .as_str()
                    .and_then(|s| B64.decode(s).ok())
                    .ok_or_else(|| line_err(n, field, "missing or not base64".into()))
            };
            let (body, sig) = (b("body")?, b("signature")?);
            let sig: [u8; 64] = sig
                .try_into()
                .map_err(|_| line_err(n, "signature", "not 64 bytes".into()))?;
            let kid = v["key_id"]
                .as_str()
                .ok_or_else(|| line_err(n, "key_id", "missing".into()))?;
            let mut entry = Vec::with_capacity(body.len() + 90);
            encode_entry(kid, &sig, &body, &mut entry);
            let claimed = v["seq"].as_u64();
            let (rec, _) = checker.entry(&entry, claimed.unwrap_or(next), &loc)?;
            let seq = rec.seq;
            let rf = |field: &str, p: String| fault(Some(seq), Some(&rec), &loc, field, p);
            if claimed != Some(seq) {
                return Err(rf(
                    "seq",
                    format!("line says {claimed:?} but the signed body says {seq}"),
                ));
            }
            let as_json = serde_json::to_value(&rec).map_err(|e| rf("record", e.to_string()))?;
            if as_json != v["record"] {
                return Err(rf(
                    "record",
                    "the JSON record differs from the signed body (edited in the export)".into(),
                ));
            }
            if filtered
                && !crate::evidence::export::matches(&header.filter, &rec, &mut selected)
                && !crate::evidence::export::is_rotation(&rec)
            {
                return Err(rf(
                    "filter",
                    "record does not match the export's declared filter".into(),
                ));
            }
            if let Some((ls, _)) = last {
                if seq <= ls {
                    return Err(rf(
                        "seq",
                        format!("follows seq {ls}: records are out of order or duplicated"),
                    ));
                }
            }
            if !filtered && seq != next {
                return Err(rf(
                    "seq",
                    format!(
                        "is {seq} but {next} was expected: records {next}..{} are missing",
                        seq.saturating_sub(1)
                    ),
                ));
            }
            let linked = match last {
                Some((ls, lh)) if ls + 1 == seq => Some(lh),
                None if seq == first_seq => Some(prev),
                _ => None,
            };
            if let Some(want) = linked {
                if rec.prev_body_hash != want {
                    return Err(rf("prev_body_hash", "does not match the previous record's body (record inserted, removed or reordered)".into()));
                }
            }
            let leaf = entry_hash(&entry);
            if filtered {
                let p: Option<Vec<Hash>> = v["proof"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|x| {
                            x.as_str()
                                .and_then(|s| B64.decode(s).ok())
                                .and_then(|d| <[u8; 32]>::try_from(d).ok())
                        })
                        .collect()
                });
                let p = p
                    .filter(|p| p.len() == v["proof"].as_array().map_or(0, Vec::len))
                    .ok_or_else(|| rf("proof", "missing or malformed".into()))?;
                proofs.push((seq, leaf, p, loc.clone()));
            } else {
                range.push(leaf);
            }
            last = Some((seq, body_hash(&body)));
            next = seq.saturating_add(1);
            records += 1;
            checker.hand_off()?;
        }
        Ok(())
    })();
    if let Err(f) = scanned {
        // A bad signature at or before the faulty line is the more precise first fault.
        return Err(checker.flush().err().unwrap_or(f));
    }
    checker.flush()?;
    let Some((cp, cn)) = checkpoint else {
        return Err(fault(
            Some(next),
            None,
            "end of export",
            "checkpoint",
            "the export has no checkpoint line: it was cut off",
        ));
    };
    let loc = format!("export line {}", cn + 1);
    if origin.as_deref() != Some(cp.origin.as_str()) {
        return Err(fault(
            None,
            None,
            &loc,
            "checkpoint",
            "origin differs from the header",
        ));
    }
    if !filtered {
        if next != cp.size {
            return Err(fault(Some(next), None, &loc, "tail", format!("the export ends after seq {} but its checkpoint covers {} records: records were cut off the end", next.saturating_sub(1), cp.size)));
        }
        if range.root() != cp.root {
            return Err(fault(
                None,
                None,
                &loc,
                "checkpoint root",
                format!(
                    "records hash to {} but the signed root is {}",
                    hex(&range.root()),
                    hex(&cp.root)
                ),
            ));
        }
    }
    for (seq, leaf, p, l) in &proofs {
        if root_from_inclusion(*seq, cp.size, leaf, p) != Some(cp.root) {
            return Err(fault(
                Some(*seq),
                None,
                l,
                "proof",
                "inclusion proof does not lead to the checkpoint root",
            ));
        }
    }
    Ok(VerifySummary {
        records,
        first_seq: if filtered {
            proofs.first().map_or(0, |p| p.0)
        } else {
            first_seq
        },
        last_seq: last.map(|l| l.0),
        checkpoint_size: cp.size,
        root: hex(&cp.root),
        keys: checker.seen,
        uncheckpointed: 0,
        complete: !filtered,
        torn_tail_bytes: 0,
        ..VerifySummary::default()
    })
}
