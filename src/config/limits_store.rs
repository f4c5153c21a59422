//! `[limits_store]` as the runtime sees it: the `[[limits]]` counters in this process, or shared
//! by every replica in one Redis, with what a call gets when Redis does not answer in time.
//!
//! Only the validated types; [`super::validate`] builds them and `proxy::limits` uses them.

use std::time::Duration;

use super::Secret;

/// Where the `[[limits]]` counters live.
#[derive(Debug, Clone, Default)]
pub enum LimitsStore {
    /// In this process only (each replica counts alone).
    #[default]
    Memory,
    /// In one Redis, shared by every replica that names it.
    Redis(RedisStoreSettings),
}

/// `[limits_store] backend = "redis"`.
#[derive(Debug, Clone)]
pub struct RedisStoreSettings {
    /// `redis://host:port/db`, never with a password in it.
    pub url: String,
    /// `password = { env }` / `{ file }`; its `Debug` hides it.
    pub password: Option<Secret>,
    /// Prefix of every key aimsgate writes (`aimsgate:limits:`).
    pub key_prefix: String,
    /// How long a call's admission waits on Redis before the fail mode applies.
    pub timeout: Duration,
    pub on_error: FailMode,
}

/// What a call gets when the store cannot be asked (down, slow, refusing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailMode {
    /// Admitted without the shared counters; the decision record says so.
    FailOpen,
    /// Refused with 503; the decision record says so.
    #[default]
    FailClosed,
}

impl FailMode {
    /// The name in the config file, the evidence and the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }
}
