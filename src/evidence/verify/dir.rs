//! Verification of one data dir: scans every frame of every segment in order (entries and
//! checkpoint frames), applies the per-entry rules (`checker`), the chain and tree rules
//! (seq, `prev_body_hash`, leaf hashes, RFC 6962 root at every checkpoint), the key chain,
//! time and retention rules, and the auditor's kept checkpoints; then the end-of-log checks
//! (tail cut below a checkpoint, trust, prune anchor backing). Owns no formats.
use std::path::Path;

use super::checker::Checker;
use super::kept::{Cosigned, Kept};
use super::keychain::{follow_links, note_text, signers};
use super::root::{dir_keys, TrustRoot};
use super::rules::Rules;
use super::{outcome::fault, outcome::VerifyFault, outcome::VerifySummary};
use crate::evidence::anchor::read_anchor;
use crate::evidence::entry::{body_hash, entry_hash, parse_stored, Stored};
use crate::evidence::keylink::read_links;
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::note::Checkpoint;
use crate::evidence::segment::{log_dir, scan_frames, CUT_SHORT, MAGIC};
use crate::evidence::{common::hex, common::now_nanos};

/// What a data dir verification trusts and checks against.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The auditor's trust root.
    pub trust: TrustRoot,
    /// Checkpoints the auditor kept from earlier audits or witnesses: `(file name, note)`.
    pub kept: Vec<(String, String)>,
    /// The verification time (unix nanoseconds): records after it are flagged.
    pub now_nanos: i64,
}

impl VerifyOptions {
    /// Options with `trust`, no kept checkpoints, and the current time.
    pub fn new(trust: TrustRoot) -> Self {
        Self {
            trust,
            kept: Vec::new(),
            now_nanos: now_nanos(),
        }
    }
}

/// A verified log, with what comparing several nodes needs.
#[derive(Clone, Debug)]
pub(crate) struct Verified {
    pub summary: VerifySummary,
    /// Roots at every checkpoint size, and at the end of the log.
    pub roots: Vec<(u64, Hash)>,
}

/// Verifies a data dir trusting the keys found in it (the summary says so).
pub fn verify_dir(dir: &Path) -> Result<VerifySummary, VerifyFault> {
    verify_dir_with(dir, &VerifyOptions::new(TrustRoot::data_dir()))
}

/// Verifies a data dir; with `pinned` (the text of a `--public-key` file) only those keys are
/// trusted, instead of the keys stored in the dir.
pub fn verify_dir_with_key(dir: &Path, pinned: Option<&str>) -> Result<VerifySummary, VerifyFault> {
    let trust = match pinned {
        Some(t) => TrustRoot::from_public_key(t, "public key")
            .map_err(|e| fault(None, None, "public key", "public key", e.to_string()))?,
        None => TrustRoot::data_dir(),
    };
    verify_dir_with(dir, &VerifyOptions::new(trust))
}

/// Verifies a data dir against the auditor's options.
pub fn verify_dir_with(dir: &Path, opts: &VerifyOptions) -> Result<VerifySummary, VerifyFault> {
    verify_full(dir, opts).map(|v| v.summary)
}

/// The first record's log id or the first checkpoint's origin (to pick the trusted keys).
fn peek_origin(dir: &Path, first: u64) -> Option<String> {
    let mut o = None;
    let _ = scan_frames(&log_dir(dir), first, |_, _, bytes| {
        o = match parse_stored(bytes) {
            Ok(Stored::Checkpoint(n)) => n.lines().next().map(str::to_owned),
            Ok(Stored::Entry(e)) => crate::evidence::entry::decode_record(e.body)
                .ok()
                .map(|r| r.log_id),
            Err(_) => None,
        };
        Err("peeked".into())
    });
    o
}

/// Full verification of a data dir.
pub(crate) fn verify_full(dir: &Path, opts: &VerifyOptions) -> Result<Verified, VerifyFault> {
    let here = dir.display().to_string();
    let io = |what: &str, e: &dyn std::fmt::Display| fault(None, None, &here, what, e.to_string());
    let anchor = read_anchor(dir).map_err(|e| io("anchor", &e))?;
    let first = anchor.as_ref().map_or(0, |(a, _)| a.first);
    let beside = dir_keys(dir);
    let origin = peek_origin(dir, first);
    let trusted = if opts.trust.is_data_dir() {
        if beside.is_empty() {
            return Err(io("public key", &"no signing.pub or keys/*.pub in the data dir (and no --public-key or --trust given)"));
        }
        beside.clone()
    } else {
        let fits = |o: &Option<String>| o.is_none() || *o == origin;
        let keys: Vec<_> = opts
            .trust
            .keys
            .iter()
            .filter(|k| fits(&k.origin))
            .map(|k| k.key.clone())
            .collect();
        if keys.is_empty() {
            let named: Vec<_> = opts
                .trust
                .keys
                .iter()
                .filter_map(|k| k.origin.clone())
                .collect();
            return Err(io(
                "public key",
                &format!(
                    "the trusted keys are for origin(s) {} but this log's origin is {}",
                    named.join(", "),
                    origin.as_deref().unwrap_or("(empty log)")
                ),
            ));
        }
        let mut keys = keys;
        if let Some(o) = &origin {
            let links = read_links(dir).map_err(|e| io("key links", &e))?;
            follow_links(&mut keys, &links, o)
                .map_err(|(file, p)| fault(None, None, &file, "key link", p))?;
        }
        keys
    };
    let mut s = Scan::new(
        dir,
        opts,
        Checker::with_candidates(trusted, beside, None).deferring(),
    )?;
    if let Some((a, note)) = &anchor {
        // The anchor is authenticated by the tree (its RetentionPrune record and a covering
        // checkpoint), but a signature on it must not be broken either.
        signers(note, &s.checker.note_keys()).map_err(|e| io("log/anchor.note", &e))?;
        s.range = a.range().ok_or_else(|| {
            io(
                "log/anchor.note",
                &"the anchor's subtrees do not form a range",
            )
        })?;
        s.prev = a.prev;
        s.next = a.first;
        s.rules = Rules::new(opts.now_nanos, Some((a.first, s.range.root())));
    }
    s.sizes_reached()?;
    let mut err: Option<VerifyFault> = None;
    let torn = scan_frames(&log_dir(dir), first, |seg, off, bytes| {
        let r = s.frame(seg, off, bytes).and_then(|()| s.checker.hand_off());
        r.map_err(|f| {
            // A bad signature at or before this record is the more precise first fault.
            let f = s.checker.flush().err().unwrap_or(f);
            let m = f.to_string();
            err = Some(f);
            m
        })
    })
    .map_err(|e| io("log", &e))?;
    if let Some(e) = err {
        return Err(e);
    }
    s.checker.flush()?;
    s.finish(torn, first, anchor.is_some())
}

/// The state of one scan.
pub(crate) struct Scan {
    pub(crate) checker: Checker,
    pub(crate) next: u64,
    pub(crate) prev: Hash,
    pub(crate) range: CompactRange,
    pub(crate) rules: Rules,
    /// Legacy checkpoint files `(size, file, note)`, ascending, and the next to check.
    legacy: Vec<(u64, String, String)>,
    li: usize,
    kept: Kept,
    /// Latest checkpoint matched: size and root.
    matched: Option<(u64, Hash)>,
    checkpoints: u64,
    roots: Vec<(u64, Hash)>,
    /// Segment whose first entry was checked against its file name.
    seg_named: Option<u64>,
    /// Reused location buffer: segment prefix (`loc_prefix` bytes, of `loc_seg`) + offset.
    loc: String,
    loc_seg: Option<u64>,
    loc_prefix: usize,
    trusted_dir: bool,
    cosigned: Option<Cosigned>,
}

impl Scan {
    fn new(dir: &Path, opts: &VerifyOptions, checker: Checker) -> Result<Self, VerifyFault> {
        let here = dir.display().to_string();
        let legacy = read_checkpoints(dir)
            .map_err(|e| fault(None, None, &here, "checkpoints", e.to_string()))?;
        let cosigned = Cosigned::read(dir, &opts.trust)?;
        let mut kept_notes = opts.kept.clone();
        if let Some(c) = &cosigned {
            kept_notes.push((c.file.clone(), c.note.clone()));
        }
        Ok(Self {
            checker,
            next: 0,
            prev: [0u8; 32],
            range: CompactRange::default(),
            rules: Rules::new(opts.now_nanos, None),
            legacy,
            li: 0,
            kept: Kept::parse(kept_notes)?,
            matched: None,
            checkpoints: 0,
            roots: Vec::new(),
            seg_named: None,
            loc: String::new(),
            loc_seg: None,
            loc_prefix: 0,
            trusted_dir: opts.trust.is_data_dir(),
            cosigned,
        })
    }

    /// One frame of a segment.
    fn frame(&mut self, seg: u64, off: u64, bytes: &[u8]) -> Result<(), VerifyFault> {
        // The location string is rebuilt in place: one allocation per segment, not per frame.
        use std::fmt::Write as _;
        let mut loc = std::mem::take(&mut self.loc);
        if self.loc_seg != Some(seg) {
            self.loc_seg = Some(seg);
            loc.clear();
            let _ = write!(loc, "log/{seg:020}.seg offset ");
            self.loc_prefix = loc.len();
        }
        loc.truncate(self.loc_prefix);
        let _ = write!(loc, "{off}");
        let r = self.frame_at(seg, off, bytes, &loc);
        self.loc = loc;
        r
    }

    fn frame_at(&mut self, seg: u64, off: u64, bytes: &[u8], loc: &str) -> Result<(), VerifyFault> {
        if let Ok(Stored::Checkpoint(note)) = parse_stored(bytes) {
            return self.checkpoint_frame(note, loc);
        }
        let (rec, body) = self.checker.entry(bytes, self.next, loc)?;
        let next = self.next;
        let f = |field: &str, p: String| fault(Some(rec.seq), Some(&rec), loc, field, p);
        if rec.seq != next {
            let p = if rec.seq > next {
                format!(
                    "is {} but {next} was expected: records {next}..{} are missing (deleted, or moved after it)",
                    rec.seq,
                    rec.seq - 1
                )
            } else {
                format!(
                    "is {} but {next} was expected (records reordered, replayed or inserted)",
                    rec.seq
                )
            };
            return Err(f("seq", p));
        }
        if self.seg_named != Some(seg) {
            self.seg_named = Some(seg);
            if off == MAGIC.len() as u64 && rec.seq != seg {
                return Err(f("seq", format!("segment file {seg:020}.seg must start with seq {seg} (segments renamed or reordered)")));
            }
        }
        if rec.prev_body_hash != self.prev {
            return Err(f("prev_body_hash", format!("does not match the hash of the previous record's body: record seq {} was altered, or a record was inserted, deleted or reordered before seq {}", next.saturating_sub(1), rec.seq)));
        }
        self.rules.record(&rec, loc)?;
        self.prev = body_hash(body);
        self.range.push(entry_hash(bytes));
        self.next += 1;
        self.sizes_reached()
    }

    /// A checkpoint frame: it must sit at the end of its group, match the tree, and be signed
    /// by the authorised key(s).
    fn checkpoint_frame(&mut self, note: &str, loc: &str) -> Result<(), VerifyFault> {
        let size = self.range.size();
        let seq = size.checked_sub(1);
        let f = |field: &str, p: String| fault(seq, None, loc, field, p);
        let text = note_text(note).map_err(|e| f("checkpoint", e))?;
        let cp = Checkpoint::parse(&text).map_err(|e| f("checkpoint", e))?;
        self.origin_is(&cp.origin, loc)?;
        if cp.size != size {
            return Err(f("checkpoint size", format!("the checkpoint frame says {} records but only {size} records precede it (records inserted or removed before it, or a checkpoint replayed from elsewhere)", cp.size)));
        }
        if cp.root != self.range.root() {
            return Err(f("checkpoint root", format!("signed root for the first {size} records is {} but the log hashes to {} (a record before seq {size} was altered, inserted or removed)", hex(&cp.root), hex(&self.range.root()))));
        }
        self.checker.chain.frame(note, loc).map_err(|p| {
            f(
                "checkpoint signature",
                format!("checkpoint of size {size} {p}"),
            )
        })?;
        self.matched = Some((size, cp.root));
        self.checkpoints += 1;
        self.roots.push((size, cp.root));
        Ok(())
    }

    fn origin_is(&mut self, o: &str, loc: &str) -> Result<(), VerifyFault> {
        match self.checker.origin() {
            Some(log) if log != o => Err(fault(
                None,
                None,
                loc,
                "checkpoint origin",
                format!("is {o:?} but this log is {log:?} (a checkpoint of another log)"),
            )),
            _ => {
                self.checker.set_origin(o);
                Ok(())
            }
        }
    }

    /// Checks legacy checkpoint files and kept checkpoints whose size the tree just reached.
    fn sizes_reached(&mut self) -> Result<(), VerifyFault> {
        let size = self.range.size();
        while let Some((s, file, note)) = self.legacy.get(self.li).cloned() {
            if s > size {
                break;
            }
            self.li += 1;
            let loc = format!("checkpoints/{file}");
            let f = |field: &str, p: String| fault(s.checked_sub(1), None, &loc, field, p);
            let text = note_text(&note).map_err(|e| f("checkpoint", e))?;
            let cp = Checkpoint::parse(&text).map_err(|e| f("checkpoint", e))?;
            if s < size {
                // Only below the first retained seq (the anchor covers it).
                continue;
            }
            self.origin_is(&cp.origin, &loc)?;
            if cp.root != self.range.root() {
                return Err(f("checkpoint root", format!("signed root for the first {s} records is {} but the log hashes to {} (a record before seq {s} was altered, inserted or removed)", hex(&cp.root), hex(&self.range.root()))));
            }
            self.checker.chain.file(&note, &loc).map_err(|p| {
                f(
                    "checkpoint signature",
                    format!("checkpoint of size {s} {p}"),
                )
            })?;
            if self.matched.is_none_or(|(m, _)| m <= s) {
                self.matched = Some((s, cp.root));
            }
            self.checkpoints += 1;
            self.roots.push((s, cp.root));
        }
        if self.kept.wants(size) {
            self.kept.reached(size, &self.range.root())?;
        }
        Ok(())
    }

    fn finish(
        mut self,
        torn: Option<crate::evidence::segment::Torn>,
        first: u64,
        anchored: bool,
    ) -> Result<Verified, VerifyFault> {
        let next = self.next;
        let mut torn_tail = 0;
        if let Some(t) = torn {
            // A frame cut short at the very end of the newest segment, past every checkpoint, is
            // an append in progress (or a crash that recovery will truncate), not tampering.
            let in_flight = t.last && t.reason == CUT_SHORT && self.li == self.legacy.len();
            if !in_flight {
                return Err(fault(
                    Some(next),
                    None,
                    &format!("log/{:020}.seg offset {}", t.seg, t.offset),
                    "frame",
                    format!("{} (the stored bytes were altered or cut)", t.reason),
                ));
            }
            torn_tail = t.used_len - t.offset;
        }
        if let Some((size, file, _)) = self.legacy.get(self.li) {
            return Err(fault(Some(next), None, &format!("checkpoints/{file}"), "tail", format!("the log ends after {next} records but a signed checkpoint covers {size}: records {next}..{} were removed from the tail", size - 1)));
        }
        let origin = self.checker.origin().unwrap_or_default().to_owned();
        let keys = self.checker.note_keys();
        let kept = self.kept.finish(next, first, &origin, &keys)?;
        let Some((cp_size, root)) = self.matched else {
            return Err(fault(
                None,
                None,
                "log",
                "checkpoint",
                "no signed checkpoint found (an empty log, or every checkpoint was removed)",
            ));
        };
        let loc = self
            .checker
            .chain
            .first_signed
            .clone()
            .unwrap_or_else(|| "log".into());
        self.checker
            .chain
            .trusted(&origin)
            .map_err(|p| fault(None, None, &loc, "key", p))?;
        if anchored {
            match self.rules.anchor_backed_at {
                None => return Err(fault(Some(first), None, "log/anchor.note", "anchor", format!("the log was pruned below seq {first} but no RetentionPrune record with first_retained_seq {first} and this anchor's root is in the retained log (a silent prune)"))),
                Some(at) if at >= cp_size => return Err(fault(Some(at), None, "log/anchor.note", "anchor", format!("the RetentionPrune record backing the anchor (seq {at}) is not covered by a signed checkpoint (latest covers {cp_size} records)"))),
                Some(_) => {}
            }
        }
        let cosigned = match &self.cosigned {
            Some(c) => c.quorum()?,
            None => None,
        };
        self.checker.refresh_seen();
        self.roots.push((next, self.range.root()));
        let summary = VerifySummary {
            records: next - first,
            first_seq: first,
            last_seq: next.checked_sub(1).filter(|l| *l >= first),
            checkpoint_size: cp_size,
            root: hex(&root),
            keys: self.checker.seen.clone(),
            uncheckpointed: next - cp_size,
            complete: true,
            torn_tail_bytes: torn_tail,
            origin,
            trusted_data_dir_keys: self.trusted_dir,
            checkpoints_verified: self.checkpoints,
            kept_checkpoints: kept,
            cosigned,
            future_records: self.rules.future,
            first_future_seq: self.rules.first_future,
            retention_override: self.rules.override_days,
            premature_prune: self.rules.premature_prune,
            v1_records: self.checker.v1,
            v2_records: self.checker.v2,
        };
        Ok(Verified {
            summary,
            roots: self.roots,
        })
    }
}

/// All legacy checkpoint notes as `(size, file name, text)`, ascending by size.
fn read_checkpoints(dir: &Path) -> std::io::Result<Vec<(u64, String, String)>> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("checkpoints")) {
        for e in rd {
            let p = e?.path();
            let size = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok());
            if let (Some(size), Some(name)) = (size, p.file_name().and_then(|n| n.to_str())) {
                if p.extension().is_some_and(|x| x == "note") {
                    out.push((size, name.to_owned(), std::fs::read_to_string(&p)?));
                }
            }
        }
    }
    if let Ok(latest) = std::fs::read_to_string(dir.join("checkpoint.note")) {
        let size = note_text(&latest)
            .ok()
            .and_then(|t| Checkpoint::parse(&t).ok())
            .map(|c| c.size);
        match size {
            Some(size) => {
                if !out.iter().any(|(s, _, n)| *s == size && *n == latest) {
                    out.push((size, "../checkpoint.note".into(), latest));
                }
            }
            None => out.push((0, "../checkpoint.note".into(), latest)),
        }
    }
    out.sort_by_key(|(s, _, _)| *s);
    Ok(out)
}
