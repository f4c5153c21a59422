//! Verifies a JSONL export (format v2, see `export.rs`) offline against a trust root the
//! auditor holds: the header, every entry line (the record JSON equals a fresh decode of the
//! stored bytes), the continuity of the span (every index once, in order, entries and
//! omitted runs), the chain links and times between adjacent entries, the filter and window
//! claims, the Merkle root rebuilt from prefix, lines and suffix against the signed
//! checkpoint, and the checkpoint signature. Each fault names the export line. Owns no I/O
//! beyond reading the export; never panics on malformed input.
use std::fmt;
use std::io::BufRead;

use super::keychain::follow_links;
use super::{outcome::fault, outcome::VerifyFault};
use crate::evidence::common::hex;
use crate::evidence::entry::{body_hash, decode_record, entry_hash, parse_entry};
use crate::evidence::export::line::{parse_export_line, parse_hash, ExportLine, MAX_LINE_BYTES};
use crate::evidence::export::render::record_json;
use crate::evidence::export::tree::cover;
use crate::evidence::export::{ExportFilter, Matcher};
use crate::evidence::keys::PublicKey;
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::{open_checkpoint, open_with, Anchor, Checkpoint};
use crate::evidence::proto::Record;
use crate::evidence::tlog_proof::TlogProof;
use crate::evidence::trust::TrustPolicy;

/// What an export is checked against (the auditor's, never the export's).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ExportTrust {
    /// A trust policy: log keys, witnesses and quorum (`--trust FILE`; a `--public-key` file of
    /// vkeys is a policy of those log keys and `quorum none`).
    Policy(TrustPolicy),
    /// Unnamed log keys (the old `signing.pub` text form of v1 logs), named after the
    /// export's origin; witness cosignatures are counted, not checked.
    Keys(Vec<PublicKey>),
}

impl ExportTrust {
    /// From a `--public-key` file's text: C2SP vkeys `<origin>+<hash>+<base64>` one a line
    /// (blank lines and `#` comments ignored), or the `signing.pub` text form.
    pub fn from_key_text(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.starts_with("aimsgate-evidence-public-key") {
            return PublicKey::parse(t)
                .map(|k| Self::Keys(vec![k]))
                .map_err(|e| e.to_string());
        }
        let mut policy = String::new();
        for line in t.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let v = Verifier::parse(line).map_err(|e| format!("public key: {e}"))?;
            policy.push_str(&format!("log {}\n", v.to_vkey()));
        }
        if policy.is_empty() {
            return Err("public key file holds no key".into());
        }
        policy.push_str("quorum none\n");
        TrustPolicy::parse(&policy)
            .map(Self::Policy)
            .map_err(|e| format!("public key: {e}"))
    }

    /// From a `--trust` file (C2SP tlog-policy, see `evidence::trust`).
    pub fn from_policy_text(text: &str) -> Result<Self, String> {
        TrustPolicy::parse(text)
            .map(Self::Policy)
            .map_err(|e| e.to_string())
    }

    fn log_keys(&self, origin: &str) -> Vec<Verifier> {
        match self {
            Self::Policy(p) => p.log_keys().to_vec(),
            Self::Keys(k) => k.iter().map(|k| Verifier::note_key(origin, k)).collect(),
        }
    }

    /// This trust extended along an export's key links: a link a trusted key of `origin`
    /// vouches for adds the rotation's new key (see `keychain::follow_links`).
    fn follow(&self, links: &[String], origin: &str) -> Result<Self, (String, String)> {
        let parsed = links
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = format!("header key_links[{i}]");
                TlogProof::parse(t)
                    .map(|p| (at.clone(), p))
                    .map_err(|e| (at, e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = self.clone();
        match &mut out {
            Self::Keys(k) => follow_links(k, &parsed, origin)?,
            Self::Policy(p) => {
                let mut keys: Vec<PublicKey> = p
                    .log_keys()
                    .iter()
                    .filter(|v| v.name == origin)
                    .filter_map(|v| PublicKey::from_bytes(v.key.as_bytes()))
                    .collect();
                follow_links(&mut keys, &parsed, origin)?;
                for k in &keys {
                    p.add_log_key(Verifier::note_key(origin, k));
                }
            }
        }
        Ok(out)
    }

    /// Checks the checkpoint note: the checkpoint, the signer's key id, the witness
    /// cosignatures (verified ones with a policy, else merely present ones) and whether they
    /// were checked.
    fn check(&self, note: &str) -> Result<(Checkpoint, String, usize, bool), String> {
        match self {
            Self::Policy(p) => {
                let t = p.check_checkpoint(note)?;
                Ok((t.checkpoint, t.log_key.key_id(), t.cosigned.len(), true))
            }
            Self::Keys(_) => {
                let origin = note.lines().next().unwrap_or_default();
                let keys = self.log_keys(origin);
                let (cp, n, i) = open_checkpoint(note, &keys)?;
                let others = n.sigs.iter().filter(|s| s.name != origin).count();
                let signer = keys.get(i).map(Verifier::key_id).unwrap_or_default();
                Ok((cp, signer, others, false))
            }
        }
    }
}

/// What a verified export proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportVerified {
    /// The log origin.
    pub origin: String,
    /// Entry lines verified.
    pub records: u64,
    /// Entries of the span listed as omitted (by hash only).
    pub omitted: u64,
    /// First log index of the window.
    pub first_seq: u64,
    /// Last log index of the window (`None` when empty).
    pub last_seq: Option<u64>,
    /// Size of the signed checkpoint.
    pub checkpoint_size: u64,
    /// Its root (hex).
    pub root: String,
    /// Key id that signed it.
    pub signer: String,
    /// Witness cosignatures: verified ones with a trust policy, else merely present ones.
    pub cosignatures: usize,
    /// True when the cosignatures (and the policy's quorum) were checked.
    pub cosignatures_checked: bool,
    /// What the export says it selected.
    pub filter: ExportFilter,
    /// True when nothing in the window was left out.
    pub complete: bool,
}

impl fmt::Display for ExportVerified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = match self.last_seq {
            Some(l) => format!("seq {}..={l}", self.first_seq),
            None => format!("empty window at seq {}", self.first_seq),
        };
        write!(
            f,
            "OK: export of {} records ({range}) verified; record bytes, continuity and the Merkle root match the checkpoint of size {} (root {}) signed by key {}; filter: {}",
            self.records, self.checkpoint_size, self.root, self.signer, self.filter.describe()
        )?;
        if self.complete {
            write!(f, "; complete: no entry of the window is left out")?;
        } else {
            write!(f, "; {} entries of the window are listed as omitted (index and hash only): the exporter claims they do not match the filter, which a complete export of the same range can check", self.omitted)?;
        }
        if self.cosignatures_checked && self.cosignatures > 0 {
            write!(
                f,
                "; {} witness cosignatures verified (the trust policy's quorum is met)",
                self.cosignatures
            )?;
        } else if self.cosignatures > 0 {
            write!(f, "; the checkpoint carries {} other signatures (witness cosignatures, not checked without a trust policy)", self.cosignatures)?;
        }
        Ok(())
    }
}

/// Verifies an export against a public key file's text (a vkey or `signing.pub`).
pub fn verify_export(
    export: impl BufRead,
    public_key_text: &str,
) -> Result<ExportVerified, VerifyFault> {
    let trust = ExportTrust::from_key_text(public_key_text)
        .map_err(|e| fault(None, None, "public key", "public key", e))?;
    verify_export_with(export, &trust)
}

/// State of the walk over the span.
struct Walk {
    edge: CompactRange,
    next: u64,
    /// Index and body hash of the previous line when it was an entry.
    prev: Option<(u64, Hash)>,
    last_time: Option<i64>,
    start_boundary: bool,
    end_boundary: Option<String>,
    lines: u64,
    records: u64,
    omitted: u64,
    matcher: Matcher,
}

/// Verifies an export against `trust`.
pub fn verify_export_with(
    mut export: impl BufRead,
    trust: &ExportTrust,
) -> Result<ExportVerified, VerifyFault> {
    let at = |n: usize| format!("export line {n}");
    let lf = |n: usize, field: &str, p: String| fault(None, None, &at(n), field, p);
    let mut n = 0usize;
    let mut buf = Vec::new();
    let src: &mut dyn BufRead = &mut export;
    let mut next_line = |buf: &mut Vec<u8>| -> Result<Option<(usize, String)>, VerifyFault> {
        loop {
            buf.clear();
            n += 1;
            let read = std::io::Read::take(&mut *src, MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', buf)
                .map_err(|e| lf(n, "line", e.to_string()))?;
            if read == 0 {
                return Ok(None);
            }
            if buf.len() > MAX_LINE_BYTES {
                return Err(lf(n, "line", "longer than 8 MiB".into()));
            }
            let s = std::str::from_utf8(buf).map_err(|_| lf(n, "line", "not UTF-8".into()))?;
            if !s.trim().is_empty() {
                return Ok(Some((n, s.trim_end_matches(['\n', '\r']).to_owned())));
            }
        }
    };
    let parse = |n: usize, s: &str| parse_export_line(s).map_err(|e| lf(n, e.field, e.problem));
    let Some((hn, hl)) = next_line(&mut buf)? else {
        return Err(lf(1, "header", "the export is empty".into()));
    };
    let ExportLine::Header(header) = parse(hn, &hl)? else {
        return Err(lf(hn, "header", "the first line is not the header".into()));
    };
    let prefix: Vec<Hash> = header.prefix.iter().filter_map(|p| parse_hash(p)).collect();
    let mut w = Walk {
        edge: CompactRange::default(),
        next: header.first,
        prev: None,
        last_time: None,
        start_boundary: false,
        end_boundary: None,
        lines: 0,
        records: 0,
        omitted: 0,
        matcher: Matcher::default(),
    };
    let pre = cover(0, header.first);
    if pre.len() != prefix.len() {
        return Err(lf(
            hn,
            "prefix",
            format!(
                "has {} hashes but entries 0..{} need {}",
                prefix.len(),
                header.first,
                pre.len()
            ),
        ));
    }
    for ((_, size), h) in pre.iter().zip(&prefix) {
        w.edge.push_subtree(*size, *h);
    }
    let filter = &header.filter;
    let (cp_line, note, suffix) = loop {
        let Some((n, l)) = next_line(&mut buf)? else {
            return Err(fault(
                Some(w.next),
                None,
                "end of export",
                "checkpoint",
                "the export has no checkpoint line: it was cut off",
            ));
        };
        match parse(n, &l)? {
            ExportLine::Header(_) => return Err(lf(n, "header", "a second header".into())),
            ExportLine::Checkpoint { note, suffix } => break (n, note, suffix),
            line => step(&mut w, filter, n, line)?,
        }
    };
    if let Some((n, _)) = next_line(&mut buf)? {
        return Err(lf(
            n,
            "checkpoint",
            "lines after the checkpoint line".into(),
        ));
    }
    let cl = at(cp_line);
    let trust = trust
        .follow(&header.key_links, &header.origin)
        .map_err(|(file, p)| fault(None, None, &format!("{} {file}", at(hn)), "key link", p))?;
    let (cp, signer, cosignatures, cosignatures_checked) = trust
        .check(&note)
        .map_err(|e| fault(None, None, &cl, "checkpoint signature", e))?;
    if cp.origin != header.origin {
        return Err(fault(
            None,
            None,
            &cl,
            "checkpoint",
            format!(
                "is of log {:?} but the header names {:?}",
                cp.origin, header.origin
            ),
        ));
    }
    let end = w.next;
    if end > cp.size {
        return Err(fault(
            Some(cp.size),
            None,
            &cl,
            "checkpoint",
            format!(
                "covers {} entries but the export lists entries up to seq {}",
                cp.size,
                end - 1
            ),
        ));
    }
    let suf = cover(end, cp.size);
    let suffix_ok = suf.len() == suffix.len();
    for ((_, size), h) in suf.iter().zip(&suffix) {
        w.edge.push_subtree(*size, *h);
    }
    if !suffix_ok || w.edge.size() != cp.size || w.edge.root() != cp.root {
        return Err(fault(None, None, &cl, "checkpoint root", format!(
            "the prefix, the export's lines and the suffix hash to {} but the signed root of the first {} entries is {}: a line was removed, added, reordered or altered, or a prefix, omitted or suffix hash was changed",
            hex(&w.edge.root()), cp.size, hex(&cp.root)
        )));
    }
    let lo = header.first + u64::from(w.start_boundary);
    let hi = end - u64::from(w.end_boundary.is_some());
    let anchored = match &header.anchor {
        Some(a) => {
            let (n, _) =
                open_with(a, &trust.log_keys(&header.origin)).map_err(|e| lf(hn, "anchor", e))?;
            Anchor::parse(&n.text)
                .map_err(|e| lf(hn, "anchor", e))?
                .first
        }
        None => 0,
    };
    if !(lo == 0 || lo == anchored || filter.from_seq == Some(lo) || w.start_boundary) {
        return Err(fault(Some(lo.saturating_sub(1)), None, &at(hn), "first", format!(
            "the export starts at seq {lo} without showing why entries before it are left out (no boundary entry before `since`, no `from_seq` {lo}, no signed prune anchor at {lo}): records were cut from the start"
        )));
    }
    if !(hi == cp.size
        || filter.to_seq.and_then(|t| t.checked_add(1)) == Some(hi)
        || w.end_boundary.is_some())
    {
        return Err(fault(Some(hi), None, &cl, "end", format!(
            "the export stops at seq {hi} but its checkpoint covers {} entries, and no boundary entry at or after `until` (or `to_seq`) explains it: records {hi}..{} were cut from the end",
            cp.size, cp.size - 1
        )));
    }
    Ok(ExportVerified {
        origin: cp.origin,
        records: w.records,
        omitted: w.omitted,
        first_seq: lo,
        last_seq: hi.checked_sub(1).filter(|l| *l >= lo),
        checkpoint_size: cp.size,
        root: hex(&cp.root),
        signer,
        cosignatures,
        cosignatures_checked,
        filter: header.filter.clone(),
        complete: w.omitted == 0,
    })
}

/// Checks one entry, boundary or omitted line and adds it to the tree.
fn step(
    w: &mut Walk,
    filter: &ExportFilter,
    n: usize,
    line: ExportLine,
) -> Result<(), VerifyFault> {
    let loc = format!("export line {n}");
    let claimed = match &line {
        ExportLine::Entry { seq, .. } | ExportLine::Omitted { seq, .. } => *seq,
        _ => return Err(fault(None, None, &loc, "type", "unexpected line type here")),
    };
    if let Some(b) = &w.end_boundary {
        return Err(fault(
            Some(claimed),
            None,
            &loc,
            "seq",
            format!("follows the closing boundary entry on {b}: the window ended there"),
        ));
    }
    if claimed != w.next {
        let p = if claimed > w.next {
            format!("is {claimed} but {} was expected: entries {}..={} are neither exported nor listed as omitted (lines were deleted)", w.next, w.next, claimed - 1)
        } else {
            format!(
                "is {claimed} but {} was expected: lines are reordered or duplicated",
                w.next
            )
        };
        return Err(fault(Some(claimed), None, &loc, "seq", p));
    }
    w.lines += 1;
    match line {
        ExportLine::Omitted { seq, count, hashes } => {
            if !filter.selects_content() {
                return Err(fault(Some(seq), None, &loc, "omitted", "a range export without an AI system, principal or decision filter leaves no entry out, but this line omits one (a record was hidden)"));
            }
            let end = seq
                .checked_add(count)
                .ok_or_else(|| fault(Some(seq), None, &loc, "count", "overflows"))?;
            let c = cover(seq, end);
            if c.len() != hashes.len() {
                return Err(fault(
                    Some(seq),
                    None,
                    &loc,
                    "subtrees",
                    format!(
                        "{} hashes given, entries {seq}..{end} need {}",
                        hashes.len(),
                        c.len()
                    ),
                ));
            }
            for ((_, size), h) in c.iter().zip(&hashes) {
                w.edge.push_subtree(*size, *h);
            }
            (w.next, w.prev) = (end, None);
            w.omitted += count;
        }
        ExportLine::Entry {
            seq,
            entry,
            record,
            boundary,
        } => {
            let e = parse_entry(&entry)
                .map_err(|e| fault(Some(seq), None, &loc, "entry", e.to_string()))?;
            let rec = decode_record(e.body).map_err(|e| {
                fault(
                    Some(seq),
                    None,
                    &loc,
                    "entry",
                    format!("the stored bytes do not decode as a record: {e}"),
                )
            })?;
            let rf = |field: &str, p: String| fault(Some(seq), Some(&rec), &loc, field, p);
            if rec.seq != seq {
                return Err(rf(
                    "seq",
                    format!(
                        "the line says {seq} but the stored entry is seq {}",
                        rec.seq
                    ),
                ));
            }
            if record_json(&rec) != record {
                return Err(rf(
                    "record",
                    "the JSON record differs from the stored entry bytes (edited in the export)"
                        .into(),
                ));
            }
            check_links(w, &rec, seq, &rf)?;
            let t = rec.time_unix_nanos;
            if boundary {
                if w.lines == 1 && filter.before(seq, t) {
                    w.start_boundary = true;
                } else if filter.after(seq, t) {
                    w.end_boundary = Some(loc.clone());
                } else {
                    return Err(rf("boundary", "is a boundary entry but lies inside the export's window (or a boundary other than the first or last line)".into()));
                }
            } else {
                if filter.before(seq, t) || filter.after(seq, t) {
                    return Err(rf(
                        "filter",
                        "the record lies outside the export's window".into(),
                    ));
                }
                if !w.matcher.matches(filter, &rec) {
                    return Err(rf(
                        "filter",
                        "the record does not match the export's declared filter".into(),
                    ));
                }
                w.records += 1;
            }
            w.edge.push_subtree(1, entry_hash(&entry));
            w.prev = Some((seq, body_hash(e.body)));
            w.last_time = Some(t);
            w.next = seq + 1;
        }
        _ => {}
    }
    Ok(())
}

/// The chain link to an adjacent previous entry and non-decreasing time.
fn check_links(
    w: &Walk,
    rec: &Record,
    seq: u64,
    rf: &dyn Fn(&str, String) -> VerifyFault,
) -> Result<(), VerifyFault> {
    if let Some((ps, ph)) = w.prev {
        if ps + 1 == seq && rec.prev_body_hash != ph {
            return Err(rf(
                "prev_body_hash",
                "does not match the previous entry's body (an entry was replaced or reordered)"
                    .into(),
            ));
        }
    }
    if let Some(lt) = w.last_time {
        if rec.time_unix_nanos < lt {
            return Err(rf(
                "time_unix_nanos",
                "is earlier than the previous exported record's (time runs backwards)".into(),
            ));
        }
    }
    Ok(())
}
