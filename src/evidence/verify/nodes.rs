//! Several logs verified together: each is verified in full (`dir`), then logs that share an
//! origin are compared, and trees that disagree (a fork) or agree (the same log twice) are
//! reported as a [`NodeConflict`] naming both dirs. Owns no scanning and no checkpoint rules.
use std::fmt;
use std::path::{Path, PathBuf};

use super::dir::{verify_full, VerifyOptions};
use super::outcome::{VerifyFault, VerifySummary};
use crate::evidence::merkle::{CompactRange, Hash};

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
    let anchor = crate::evidence::anchor::read_anchor(dir).ok()?;
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
