//! Signed, tamper-evident evidence log: every decision and outcome the proxy makes becomes a
//! signed entry in an append-only, hash-chained, Merkle-checkpointed log that auditors export
//! and verify offline with only the public key.
//!
//! Owns: the record schema ([`proto`]), entry bytes and framing ([`entry`]), keys ([`keys`]),
//! RFC 6962 hashing ([`merkle`]), signed notes ([`note`]), segment files and recovery
//! (`segment`), the policy archive ([`archive`]), the group-commit writer ([`EvidenceLog`]),
//! the sled index (`index`), verification ([`verify_dir`], [`verify_export`]), export
//! ([`export`]), inclusion proofs ([`prove`]), review dispositions ([`review`]), retention, and
//! the hook that hands durable records to a sink such as the SIEM push ([`durable`]).
//! Deliberately does not know HTTP, policy or classifier types: callers fill plain proto
//! fields, and decide themselves what to do when `append` fails.
//!
//! Data dir layout: `origin` (the log's unique origin line), `signing.key` (0600, absent when
//! the key is supplied from outside), `signing.pub`, `keys/<key id>.pub` (every key the log
//! ever used), `log/<first seq, 20 digits>.seg` segments (entries and, after each durable
//! group, a signed checkpoint frame), `log/anchor.note` (after retention pruned a prefix),
//! `checkpoint.note` (a periodically refreshed copy of the latest signed tree head),
//! `checkpoints/` (v1 logs only), `cosigned/` (witness cosignatures), `damaged/` (segments
//! `aimsgate recover` moved aside), `index/` (sled, rebuildable), `policies/<content hash>/`
//! (the source files of every policy bundle the proxy activated, read-only; see [`archive`]).
mod anchor;
pub mod archive;
mod common;
mod config;
pub mod durable;
pub mod entry;
mod error;
mod export;
mod index;
pub mod keylink;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod origin;
pub mod proto;
mod prune;
pub mod read;
mod recover;
pub mod review;
mod segment;
pub mod tlog_proof;
pub mod trust;
mod verify;
mod writer;

pub use config::{Durability, LogConfig};
pub use durable::{CoveringCheckpoint, DurableRecord, DurableSink};
pub use error::EvidenceError;
pub(crate) use export::effect_name;
pub use export::{
    export, looks_like_csv, parse_export_line, record_json, ExportFilter, ExportFormat,
    ExportHeader, ExportLine, ExportSummary, LineError, CSV_NOT_VERIFIABLE,
};
pub use index::rebuild_index;
pub use keys::{keygen, load_or_create_key, KeyPair, PublicKey};
pub use proto::Payload;
pub use recover::{recover_damaged, DamageReport};
pub use verify::{
    prove, prove_all, verify_dir, verify_dir_with, verify_dir_with_key, verify_export,
    verify_export_with, verify_nodes, verify_proof, ExportTrust, ExportVerified, NodeConflict,
    ProofSummary, TrustRoot, TrustSource, TrustedKey, VerifyFault, VerifyOptions, VerifySummary,
    COSIGNED_FILE, MIN_RETENTION_DAYS, TRUSTED_DIR_KEYS_WARNING,
};
pub use writer::{prune, Appended, EvidenceLog, Health, OpenReport};

#[cfg(test)]
mod tests;
