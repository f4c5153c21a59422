//! Log events → the events table and counts (starts, recoveries, policy activations, key
//! rotations, retention, fail-mode changes, review dispositions).
use crate::evidence::proto::{event_record::Event, EventRecord};

use super::super::figures::{EventRow, MAX_EVENT_ROWS};
use super::super::time::rfc3339;
use super::{bump, Collector};

impl Collector {
    pub(super) fn event(&mut self, t: i64, log_id: &str, e: &EventRecord) {
        self.totals.events += 1;
        let (kind, detail) = match &e.event {
            Some(Event::LogStart(s)) => ("log_start", format!("aimsgate {}", s.software_version)),
            Some(Event::Recovery(r)) if !r.damaged_segment.is_empty() => (
                "recovery",
                format!(
                    "damaged segment moved aside to {} (first bad frame at offset {}, {} valid frames after it kept there); log continues after seq {}",
                    r.damaged_segment, r.damaged_offset, r.frames_after_damage, r.last_intact_seq
                ),
            ),
            Some(Event::Recovery(r)) => (
                "recovery",
                format!(
                    "unclean stop: {} torn bytes truncated after seq {}",
                    r.truncated_bytes, r.last_intact_seq
                ),
            ),
            Some(Event::RetentionPolicy(p)) => (
                "retention_policy",
                if p.below_minimum_override {
                    format!(
                        "{} days retention, below the 183-day minimum by explicit override",
                        p.retention_days
                    )
                } else {
                    format!("{} days retention", p.retention_days)
                },
            ),
            Some(Event::FormatUpgrade(u)) => (
                "format_upgrade",
                format!("log continued in entry format v{}", u.entry_version),
            ),
            Some(Event::PolicyActivation(p)) => (
                "policy_activation",
                format!(
                    "{} {} (content hash {}…)",
                    p.bundle_id,
                    p.version,
                    p.new_content_hash.get(..16).unwrap_or(&p.new_content_hash)
                ),
            ),
            Some(Event::KeyRotation(k)) => (
                "key_rotation",
                format!("{} -> {}", k.old_key_id, k.new_key_id),
            ),
            Some(Event::Checkpoint(c)) => ("checkpoint", format!("tree size {}", c.tree_size)),
            Some(Event::RetentionPrune(p)) => (
                "retention_prune",
                format!(
                    "records before seq {} pruned ({} days retention)",
                    p.first_retained_seq, p.retention_days
                ),
            ),
            Some(Event::FailMode(f)) => {
                self.fail_open_started += u64::from(f.fail_open);
                let mode = if f.fail_open {
                    "fail-open"
                } else {
                    "fail-closed"
                };
                ("fail_mode", format!("{mode}: {}", f.reason))
            }
            Some(Event::ReviewDisposition(r)) => (
                "review_disposition",
                format!("decision {} reviewed", r.decision_id),
            ),
            None => ("unknown", String::new()),
        };
        bump(&mut self.event_counts, kind);
        if kind != "checkpoint" && self.event_rows.len() < MAX_EVENT_ROWS {
            self.event_rows.push(EventRow {
                time: rfc3339(t),
                log_id: log_id.to_owned(),
                kind: kind.to_owned(),
                detail,
            });
        }
    }
}
