//! [`EvidenceError`], the one error type of the evidence log.
//!
//! A leaf apart from the verifier's fault type it wraps; re-exported from [`crate::evidence`].

use super::verify::outcome::VerifyFault;

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
