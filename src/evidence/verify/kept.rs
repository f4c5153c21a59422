//! Checkpoints from outside the log and several logs together: checkpoints the auditor kept
//! (`verify --checkpoint FILE`) and the witness-cosigned checkpoint (`DIR/cosigned/latest.note`)
//! must each be a prefix of the log (a rollback, a tail cut or a fork below one fails, naming
//! it); with `--trust` the cosigned checkpoint must meet the witness quorum; and logs verified
//! together must not share an origin with trees that disagree (a fork), naming both dirs.
//! Owns no scanning (`dir`) and no signature formats (`note`, `trust`).
use std::fmt;
use std::path::{Path, PathBuf};

use super::dir::{verify_full, VerifyOptions};
use super::keychain::{note_text, signers};
use super::root::TrustRoot;
use super::{outcome::fault, outcome::VerifyFault, outcome::VerifySummary};
use crate::evidence::common::hex;
use crate::evidence::keys::PublicKey;
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::note::Checkpoint;
use crate::evidence::trust::TrustPolicy;

/// Where the witness client stores the latest cosigned checkpoint, inside the data dir.
pub const COSIGNED_FILE: &str = "cosigned/latest.note";

struct One {
    file: String,
    note: String,
    cp: Checkpoint,
    matched: bool,
}

/// The auditor's kept checkpoints, checked as the tree grows past their sizes.
pub(crate) struct Kept(Vec<One>);

impl Kept {
    pub(crate) fn parse(notes: Vec<(String, String)>) -> Result<Self, VerifyFault> {
        let mut v = Vec::new();
        for (file, note) in notes {
            let f = |e: String| fault(None, None, &file, "kept checkpoint", e);
            let text = note_text(&note).map_err(f)?;
            let cp = Checkpoint::parse(&text).map_err(f)?;
            v.push(One {
                file,
                note,
                cp,
                matched: false,
            });
        }
        Ok(Self(v))
    }

    /// The tree has `size` leaves with `root`: kept checkpoints of that size must agree.
    /// Whether a kept checkpoint is of this size (so the root at it is needed).
    pub(crate) fn wants(&self, size: u64) -> bool {
        self.0.iter().any(|k| k.cp.size == size)
    }

    pub(crate) fn reached(&mut self, size: u64, root: &Hash) -> Result<(), VerifyFault> {
        for k in self.0.iter_mut().filter(|k| k.cp.size == size) {
            if k.cp.root != *root {
                return Err(fault(size.checked_sub(1), None, &k.file, "kept checkpoint", format!(
                    "the log's first {size} records hash to {} but this checkpoint, signed earlier, says {}: the log was rewritten or forked below it", hex(root), hex(&k.cp.root))));
            }
            k.matched = true;
        }
        Ok(())
    }

    /// At the end of the log (`next` records, the first retained is `first`): every kept
    /// checkpoint is signed by a log key, is of this origin, and was reached.
    pub(crate) fn finish(
        &self,
        next: u64,
        first: u64,
        origin: &str,
        keys: &[PublicKey],
    ) -> Result<u64, VerifyFault> {
        for k in &self.0 {
            let f = |p: String| fault(None, None, &k.file, "kept checkpoint", p);
            if k.cp.origin != origin {
                return Err(f(format!(
                    "is a checkpoint of {:?}, this log is {origin:?}",
                    k.cp.origin
                )));
            }
            let by = signers(&k.note, keys).map_err(&f)?;
            if by.is_empty() {
                return Err(f("is not signed by a trusted key of this log".into()));
            }
            if k.cp.size < first {
                return Err(f(format!("covers {} records but the log was pruned to start at seq {first}: it cannot be checked against this log (drop it, or keep a newer one)", k.cp.size)));
            }
            if !k.matched {
                return Err(f(format!("covers {} records but the log has only {next}: records were cut off the tail, or the log was rolled back", k.cp.size)));
            }
        }
        Ok(self.0.len() as u64)
    }
}

/// The cosigned checkpoint beside the log.
pub(crate) struct Cosigned {
    pub(crate) file: String,
    pub(crate) note: String,
    policy: Option<TrustPolicy>,
}

impl Cosigned {
    /// Reads `DIR/cosigned/latest.note`; with a policy that needs witnesses, it must exist.
    pub(crate) fn read(dir: &Path, trust: &TrustRoot) -> Result<Option<Self>, VerifyFault> {
        let policy = trust.policy.clone();
        match std::fs::read_to_string(dir.join(COSIGNED_FILE)) {
            Ok(note) => Ok(Some(Self { file: COSIGNED_FILE.into(), note, policy })),
            Err(_) if policy.as_ref().is_some_and(|p| p.quorum().is_some()) => Err(fault(None, None, COSIGNED_FILE, "cosignature", "the trust policy requires a witness quorum but the data dir has no cosigned checkpoint (never witnessed, or removed)")),
            Err(_) => Ok(None),
        }
    }

    /// With a policy: the witness quorum; returns the size and how many witnesses cosigned.
    pub(crate) fn quorum(&self) -> Result<Option<(u64, usize)>, VerifyFault> {
        let Some(p) = &self.policy else {
            return Ok(None);
        };
        let t = p
            .check_checkpoint(&self.note)
            .map_err(|e| fault(None, None, &self.file, "cosignature", e))?;
        Ok(Some((t.checkpoint.size, t.cosigned.len())))
    }
}

/// Two logs verified together that should not be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConflict {
    /// The shared origin.
    pub origin: String,
    /// The two data dirs.
    pub dirs: (String, String),
    /// Where they were compared.
    pub size: u64,
    /// True for a fork (trees differ at `size`); false for a duplicate origin whose trees
    /// agree (the same log twice, e.g. a copy).
    pub fork: bool,
}

impl fmt::Display for NodeConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = &self.dirs;
        if self.fork {
            write!(f, "FORK: {a} and {b} are both log {:?} but their trees differ at size {} (two histories of one log; at most one is genuine)", self.origin, self.size)
        } else {
            write!(f, "DUPLICATE ORIGIN: {a} and {b} are both log {:?} and agree up to size {} (the same log twice; each node needs its own origin)", self.origin, self.size)
        }
    }
}

/// A verified log: its dir, summary and roots at each checkpoint and at its end.
pub(crate) type NodeRoots = (PathBuf, VerifySummary, Vec<(u64, Hash)>);

/// A log's root at `size`, recomputed from its leaves (`None` if pruned below `size`).
fn root_at(dir: &Path, size: u64) -> Option<Hash> {
    let anchor = crate::evidence::recover::read_anchor(dir).ok()?;
    let (first, mut range) = match &anchor {
        Some((a, _)) => (a.first, a.range()?),
        None => (0, CompactRange::default()),
    };
    if size < first {
        return None;
    }
    for l in crate::evidence::read::leaf_hashes(dir, first).ok()? {
        if range.size() == size {
            break;
        }
        range.push(l);
    }
    (range.size() == size).then(|| range.root())
}

/// Compares verified logs pairwise: same origin means a duplicate, or a fork if their trees
/// differ at a size both have.
pub(crate) fn compare_nodes(logs: &[NodeRoots]) -> Vec<NodeConflict> {
    let mut out = Vec::new();
    for (i, (da, sa, ra)) in logs.iter().enumerate() {
        for (db, sb, rb) in &logs[i + 1..] {
            if sa.origin != sb.origin {
                continue;
            }
            let dirs = (da.display().to_string(), db.display().to_string());
            let common = ra
                .iter()
                .filter_map(|(s, r)| rb.iter().find(|(t, _)| t == s).map(|(_, q)| (*s, *r, *q)));
            let mut conflict = None;
            for (size, x, y) in common {
                if x != y {
                    conflict = Some((size, true));
                    break;
                }
                conflict = Some((size, false));
            }
            let m = ra
                .last()
                .map_or(0, |r| r.0)
                .min(rb.last().map_or(0, |r| r.0));
            if !conflict.is_some_and(|(s, fork)| fork || s == m) {
                // The smaller log's end: the larger one must hold the same tree there.
                if let (Some(x), Some(y)) = (root_at(da, m), root_at(db, m)) {
                    conflict = Some((m, x != y));
                }
            }
            let conflict = conflict.or(Some((m, false)));
            if let Some((size, fork)) = conflict {
                out.push(NodeConflict {
                    origin: sa.origin.clone(),
                    dirs,
                    size,
                    fork,
                });
            }
        }
    }
    out
}

/// Several nodes' logs: each verified, then compared.
pub fn verify_nodes(
    dirs: &[PathBuf],
    opts: &VerifyOptions,
) -> (Vec<Result<VerifySummary, VerifyFault>>, Vec<NodeConflict>) {
    let mut results = Vec::new();
    let mut ok = Vec::new();
    for d in dirs {
        match verify_full(d, opts) {
            Ok(v) => {
                ok.push((d.clone(), v.summary.clone(), v.roots));
                results.push(Ok(v.summary));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    (results, compare_nodes(&ok))
}
