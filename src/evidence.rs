//! Signed, tamper-evident evidence log: every decision and outcome the proxy makes becomes a
//! signed entry in an append-only, hash-chained, Merkle-checkpointed log that auditors export
//! and verify offline with only the public key.
//!
//! Owns: the record schema ([`proto`]), entry bytes and framing ([`entry`]), keys ([`keys`]),
//! RFC 6962 hashing ([`merkle`]), signed notes ([`note`]), segment files and recovery
//! (`segment`), the group-commit writer ([`EvidenceLog`]), the sled index (`index`),
//! verification ([`verify_dir`], [`verify_export`]), export ([`export`]), inclusion proofs
//! ([`prove`]) and retention. Deliberately does not know HTTP, policy or classifier types:
//! callers fill plain proto fields, and decide themselves what to do when `append` fails.
//!
//! Data dir layout: `origin` (the log's unique origin line), `signing.key` (0600, absent when
//! the key is supplied from outside), `signing.pub`, `keys/<key id>.pub` (every key the log
//! ever used), `log/<first seq, 20 digits>.seg` segments (entries and, after each durable
//! group, a signed checkpoint frame), `log/anchor.note` (after retention pruned a prefix),
//! `checkpoint.note` (a periodically refreshed copy of the latest signed tree head),
//! `checkpoints/` (v1 logs only), `cosigned/` (witness cosignatures), `damaged/` (segments
//! `aimsgate recover` moved aside), `index/` (sled, rebuildable).
use std::path::PathBuf;
use std::time::Duration;

pub mod entry;
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
mod segment;
pub mod tlog_proof;
pub mod trust;
mod verify;
mod writer;

pub use export::{
    export, looks_like_csv, parse_export_line, ExportFilter, ExportFormat, ExportHeader,
    ExportLine, ExportSummary, LineError, CSV_NOT_VERIFIABLE,
};
pub use index::rebuild_index;
pub use keys::{keygen, load_or_create_key, KeyPair, PublicKey};
pub use prune::prune;
pub use recover::{recover_damaged, DamageReport};
pub use verify::{
    prove, verify_dir, verify_dir_with, verify_dir_with_key, verify_export, verify_export_with,
    verify_nodes, verify_proof, ExportTrust, ExportVerified, NodeConflict, ProofSummary, TrustRoot,
    TrustSource, TrustedKey, VerifyFault, VerifyOptions, VerifySummary, COSIGNED_FILE,
    MIN_RETENTION_DAYS, TRUSTED_DIR_KEYS_WARNING,
};
pub use writer::{Appended, EvidenceLog, Health, OpenReport};

/// The payload of one record (decision, outcome or event).
pub type Payload = proto::record::Kind;

/// When an `append` resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `append` resolves only after the entry is fsync'd (group commit).
    Sync,
    /// `append` resolves once the entry is written to the OS; fsync follows within `max_delay`.
    Async {
        /// Longest time an entry may stay un-fsync'd.
        max_delay: Duration,
    },
}

/// Log settings. `Debug` shows whether an HMAC key is set, never the key.
#[derive(Clone)]
pub struct LogConfig {
    /// Data dir (holds `log/`, `index/`, checkpoints and keys).
    pub dir: PathBuf,
    /// Durability mode.
    pub durability: Durability,
    /// Segment rollover size in bytes.
    pub segment_bytes: u64,
    /// Async mode: fsync (with a signed checkpoint) once this many records are unsynced, even
    /// before `max_delay` has passed.
    pub checkpoint_every_records: u64,
    /// How often `checkpoint.note` (a copy of the latest signed checkpoint, for tools) is
    /// refreshed and retention runs.
    pub checkpoint_interval: Duration,
    /// Prune whole segments whose newest record is older than this many days (0 = never).
    pub retention_days: u32,
    /// Log id, also the checkpoint origin line and the signing key's name. `None`: the origin
    /// stored in the data dir, else a unique one generated and stored at creation (see
    /// [`origin`]).
    pub origin: Option<String>,
    /// Allow `retention_days` below the 183-day minimum (recorded in the log when used).
    pub retention_below_minimum: bool,
    /// Key for HMAC-SHA256 value fingerprints (never shown by `Debug`).
    pub hmac_key: Option<Vec<u8>>,
    /// Sync mode: the shortest time between two durable group commits (zero: commit as soon
    /// as the previous fsync is done). Under load a longer interval gathers more appenders per
    /// fsync and checkpoint signature, for at most that much added latency.
    pub min_commit_interval: Duration,
    /// Maximum queued, not yet written appends (back-pressure beyond it).
    pub queue_capacity: usize,
    /// Write the new secret to `signing.key` on a key rotation (false when the key is supplied
    /// from outside — an environment variable or a mounted secret — and must stay off the disk;
    /// the public half is written either way).
    pub persist_secret: bool,
}

impl std::fmt::Debug for LogConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogConfig")
            .field("dir", &self.dir)
            .field("durability", &self.durability)
            .field("segment_bytes", &self.segment_bytes)
            .field("checkpoint_every_records", &self.checkpoint_every_records)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("retention_days", &self.retention_days)
            .field("origin", &self.origin)
            .field("retention_below_minimum", &self.retention_below_minimum)
            .field("hmac_key", &self.hmac_key.as_ref().map(|_| "***"))
            .field("min_commit_interval", &self.min_commit_interval)
            .field("queue_capacity", &self.queue_capacity)
            .field("persist_secret", &self.persist_secret)
            .finish()
    }
}

impl LogConfig {
    /// Defaults: sync durability, 64 MiB segments, the checkpoint file refreshed every 60 s
    /// (async mode: fsync with a checkpoint after 10,000 records at the latest), 400 days
    /// retention, the data dir's own unique origin.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            durability: Durability::Sync,
            segment_bytes: 64 << 20,
            checkpoint_every_records: 10_000,
            checkpoint_interval: Duration::from_secs(60),
            retention_days: 400,
            origin: None,
            retention_below_minimum: false,
            hmac_key: None,
            queue_capacity: 65_536,
            min_commit_interval: Duration::ZERO,
            persist_secret: true,
        }
    }
}

/// Errors of the log, its files and the offline tools.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// File system error.
    #[error("evidence I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Key file missing, malformed or not the one the log expects.
    #[error("evidence key: {0}")]
    Key(String),
    /// The log on disk is damaged somewhere other than a torn tail.
    #[error("evidence log corrupt: {0}")]
    Corrupt(String),
    /// An append could not be made durable (e.g. disk full); the log is unhealthy.
    #[error("evidence write failed: {0}")]
    Write(String),
    /// The log is closed or its writer stopped.
    #[error("evidence log is closed")]
    Closed,
    /// The sled index failed.
    #[error("evidence index: {0}")]
    Index(String),
    /// No such record (e.g. unknown decision id).
    #[error("not found: {0}")]
    NotFound(String),
    /// The log does not verify.
    #[error("{0}")]
    Verify(#[from] VerifyFault),
    /// Invalid configuration or argument.
    #[error("evidence config: {0}")]
    Config(String),
}

/// Lowercase hex.
pub(crate) fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(D[usize::from(x >> 4)]));
        s.push(char::from(D[usize::from(x & 15)]));
    }
    s
}

/// The current time in unix nanoseconds (saturating).
pub(crate) fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
