//! [`IndexItem`]: where an entry sits in the segments, plus the fields the index keys on.
//!
//! A leaf (imports only the schema), shared by the index, its feed, the writer and recovery
//! without them importing each other.

use super::super::proto::{record, Record};

/// Position of an entry plus the fields the index keys on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexItem {
    pub seq: u64,
    pub seg: u64,
    pub offset: u64,
    pub time: i64,
    pub decision_id: Option<String>,
    pub outcome_of: Option<String>,
    pub principal: Option<String>,
    pub ai_system: Option<String>,
}

impl IndexItem {
    pub(crate) fn from_record(seg: u64, offset: u64, r: &Record) -> Self {
        let mut it = Self {
            seq: r.seq,
            seg,
            offset,
            time: r.time_unix_nanos,
            ..Self::default()
        };
        match &r.kind {
            Some(record::Kind::Decision(d)) => {
                it.decision_id = Some(d.decision_id.clone()).filter(|s| !s.is_empty());
                it.principal = Some(d.principal_id.clone()).filter(|s| !s.is_empty());
                it.ai_system = Some(d.ai_system_id.clone()).filter(|s| !s.is_empty());
            }
            Some(record::Kind::Outcome(o)) => {
                it.outcome_of = Some(o.decision_id.clone()).filter(|s| !s.is_empty());
            }
            _ => {}
        }
        it
    }
}
