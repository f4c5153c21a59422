//! What a finished call's answer was: how its body ended ([`StreamEnd`], [`BodyStats`]), what
//! the response inspection learned ([`InspectReport`]), and the per-class tally both directions
//! share ([`ClassTally`]).
//!
//! A leaf: plain data shared by the body wrapper, the inspectors, the evidence mapping and the
//! telemetry, so none of them imports another for its types. It computes nothing but the two
//! small mappings to the evidence schema's enums.

use std::time::Duration;

use crate::evidence::proto::{ClassAction, OutputScan};
use crate::providers::extract::Usage;

/// How a streamed body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The upstream finished and the client received everything.
    Complete,
    /// The client went away before the end; the upstream call was cancelled.
    ClientGone,
    /// The upstream failed mid-stream (or before an answer could be relayed).
    UpstreamError,
    /// The upstream sent nothing for longer than its idle timeout.
    UpstreamIdle,
    /// The inspector ended the stream, or withheld the whole answer (output policy block).
    Blocked,
}

/// What the finisher learns when the body is done.
#[derive(Debug, Clone, Copy)]
pub struct BodyStats {
    pub end: StreamEnd,
    pub bytes: u64,
    /// Time from the start of the call to the first body byte.
    pub first_byte: Option<Duration>,
}

impl BodyStats {
    /// No body was relayed; the call ended as `end`.
    pub fn none(end: StreamEnd) -> Self {
        Self {
            end,
            bytes: 0,
            first_byte: None,
        }
    }
}

/// One data class in one direction of a call: how many values were found and what was done
/// with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassTally {
    pub class: String,
    pub count: u32,
    pub action: ClassAction,
    /// Of `count`, the published test values (`4111 1111 1111 1111`, the AWS example key, ...).
    pub test_values: u32,
}

/// What the inspector learned, for the outcome record.
#[derive(Debug, Clone)]
pub struct InspectReport {
    pub usage: Usage,
    pub scan: OutputScan,
    pub scanned_bytes: u64,
    pub findings: Vec<ClassTally>,
}

impl Default for InspectReport {
    fn default() -> Self {
        Self {
            usage: Usage::default(),
            scan: OutputScan::None,
            scanned_bytes: 0,
            findings: Vec::new(),
        }
    }
}

/// Map an inspector's scan coverage to the schema.
pub fn scan_of(scanned: u64, unscanned: u64, inspected: bool) -> OutputScan {
    match (inspected, scanned, unscanned) {
        (false, _, _) => OutputScan::None,
        (true, _, 0) => OutputScan::Full,
        (true, 0, _) => OutputScan::None,
        _ => OutputScan::Partial,
    }
}

/// Per-class action for the request side.
pub fn class_action(redacted: bool, blocked: bool) -> ClassAction {
    if blocked {
        ClassAction::Blocked
    } else if redacted {
        ClassAction::Redacted
    } else {
        ClassAction::Allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_coverage_and_request_actions_map_to_the_schema() {
        assert_eq!(scan_of(10, 0, false), OutputScan::None);
        assert_eq!(scan_of(10, 0, true), OutputScan::Full);
        assert_eq!(scan_of(0, 5, true), OutputScan::None);
        assert_eq!(scan_of(10, 5, true), OutputScan::Partial);
        assert_eq!(class_action(true, true), ClassAction::Blocked);
        assert_eq!(class_action(true, false), ClassAction::Redacted);
        assert_eq!(class_action(false, false), ClassAction::Allowed);
    }
}
