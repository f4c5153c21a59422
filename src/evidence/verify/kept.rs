//! Checkpoints from outside the log: checkpoints the auditor kept (`verify --checkpoint FILE`)
//! and the witness-cosigned checkpoint (`DIR/cosigned/latest.note`) must each be a prefix of
//! the log (a rollback, a tail cut or a fork below one fails, naming it); with `--trust` the
//! cosigned checkpoint must meet the witness quorum. Owns no scanning (`dir`, which uses these),
//! no signature formats (`note`, `trust`) and no multi-node comparison (`nodes`).
use std::path::Path;

use super::keychain::{note_text, signers};
use super::root::TrustRoot;
use super::{outcome::fault, outcome::VerifyFault};
use crate::evidence::common::hex;
use crate::evidence::keys::PublicKey;
use crate::evidence::merkle::Hash;
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
