//! Offline verification of evidence logs, trusting only what the auditor brings.
//!
//! Owns: the verification of a data dir ([`verify_dir_with`], in `dir`), the shared per-entry
//! rules (`Checker`, in `checker`), key authorisation
//! (`keychain`: a chain of log keys that starts from the auditor's trust root and grows only
//! through rotations covered by a checkpoint signed by both keys, or for v1 entries, a rotation
//! record signed by the old key), the trust root itself ([`TrustRoot`], in `root`), time and
//! retention rules (`rules`), kept and cosigned checkpoints and several nodes together
//! (`kept`), and C2SP tlog-proofs ([`prove`], [`verify_proof`]). Reports the first fault
//! precisely (what, which record, which segment and offset or file). Owns no writing; the
//! formats are `entry`'s and `note`'s.
//!
//! What is checked for a data dir: every frame (CRC, layout); v2 entries by hash only, v1
//! entries one by one with strict ed25519; sequence numbers, the body hash chain, leaf hashes
//! and the RFC 6962 root; every checkpoint frame and every legacy `checkpoints/*.note` /
//! `checkpoint.note` signed by an authorised key and equal to the tree at its size; record
//! times never running backwards; a prune anchor backed by its RetentionPrune record and
//! covered by a checkpoint; retention below 183 days only with a recorded override; kept
//! checkpoints (`--checkpoint`) and the cosigned checkpoint being prefixes of the log.
mod checker;
mod dir;
mod export_check;
mod kept;
mod keychain;
mod nodes;
pub(super) mod outcome;
pub(super) mod prove;
mod root;
mod rules;
mod sigpool;

pub use dir::{verify_dir, verify_dir_with, verify_dir_with_key, VerifyOptions};
pub use export_check::{verify_export, verify_export_with, ExportTrust, ExportVerified};
pub use kept::COSIGNED_FILE;
pub use nodes::{verify_nodes, NodeConflict};
pub use outcome::{VerifyFault, VerifySummary, MIN_RETENTION_DAYS, TRUSTED_DIR_KEYS_WARNING};
pub use prove::{prove, prove_all, verify_proof, ProofSummary};
pub use root::{TrustRoot, TrustSource, TrustedKey};
#[cfg(test)]
mod tests;
