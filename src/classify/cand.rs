//! A regex candidate as the validators see it ([`Cand`]) and the per-scan memo ([`ScanState`]).
//!
//! A leaf shared by the engine (which makes candidates) and the validators in `context`,
//! `keybody`, `numeric` and `secrets` (which confirm them), so neither side imports the other's
//! module for these types. Owns no matching and no validation.

use super::types::{Class, Finding};

/// A confirmed candidate as the validators see it.
pub(crate) struct Cand<'t> {
    pub text: &'t str,
    pub limit: usize,
    pub start: usize,
    pub end: usize,
    pub id: &'static str,
}

impl Cand<'_> {
    /// Record a finding of `class` at `s..e`, attributed to this candidate's detector.
    pub fn emit(&self, out: &mut Vec<Finding>, class: &'static str, s: usize, e: usize) {
        out.push(Finding {
            class: Class::Builtin(class),
            start: s,
            end: e,
            detector: self.id,
            test_value: false,
        });
    }
}

/// Per-call memo keeping the PEM END-marker search linear.
#[derive(Default)]
pub(crate) struct ScanState {
    /// (searched up to, next END marker found at or after the last query).
    pub pem_end: Option<(usize, Option<usize>)>,
}
