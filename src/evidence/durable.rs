//! The durable-record hook: a [`DurableSink`] set in [`LogConfig`](super::LogConfig) is handed
//! a copy of the records it [`wants`](DurableSink::wants) once they are durable in the signed
//! log (written, covered by a signed checkpoint, fsync'd), with that checkpoint, so a copy
//! pushed elsewhere (a SIEM) can always be traced back to the log of record.
//!
//! A leaf: plain types and the trait. The writer thread calls the sink in `writer/core`; what
//! the sink does with the records (queue, export, drop) is its owner's business, never the
//! log's: the log neither waits for a sink nor learns whether a copy arrived.
use super::proto::{Payload, Record};

/// One record, durable in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct DurableRecord {
    /// The record as stored (its `seq` is its log index).
    pub record: Record,
    /// RFC 6962 leaf hash of its stored entry bytes (what an inclusion proof proves).
    pub entry_hash: [u8; 32],
}

/// The signed checkpoint (tree head) that covers a batch of [`DurableRecord`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoveringCheckpoint {
    /// Tree size: entries `[0, size)` are covered.
    pub size: u64,
    /// Merkle root hash over those entries.
    pub root: [u8; 32],
    /// Id of the key that signed it (the C2SP key hash, hex; see `keys::log_key_id`).
    pub key_id: String,
}

/// Receives durable records on the evidence writer thread.
pub trait DurableSink: Send + Sync + 'static {
    /// Whether the sink wants a copy of records of this kind (asked for every record written;
    /// records it does not want are not kept for it).
    fn wants(&self, kind: &Payload) -> bool;

    /// `records` (in log order) are durable and covered by `checkpoint`. Called on the writer
    /// thread after each durable group commit: it must return at once (queue, never block).
    fn durable(&self, records: Vec<DurableRecord>, checkpoint: &CoveringCheckpoint);
}
