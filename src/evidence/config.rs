//! The evidence log's runtime settings: [`LogConfig`] and [`Durability`].
//!
//! A leaf (imports only the [`DurableSink`] trait from its siblings), re-exported from
//! [`crate::evidence`]. Reading settings from files or the environment is `config`'s job, not
//! this file's.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::durable::DurableSink;

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
    /// Key for HMAC-SHA256 value fingerprints.
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
    /// Handed a copy of the records it wants once they are durable (the SIEM push); `None`:
    /// no copies are kept.
    pub durable_sink: Option<Arc<dyn DurableSink>>,
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
            .field("durable_sink", &self.durable_sink.as_ref().map(|_| "set"))
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
            durable_sink: None,
        }
    }
}
