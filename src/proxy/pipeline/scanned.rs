//! [`Scan`]: what the classify phase hands the decide and enforce phases. A leaf: the phases
//! share it without importing each other.

use crate::classify::{Class, Finding};
use crate::taxonomy::ClassCounts;

/// The classifier's view of a request: findings per extracted segment, and counts per class.
#[derive(Debug, Default)]
pub struct Scan {
    pub per_segment: Vec<Vec<Finding>>,
    pub counts: ClassCounts<Class>,
    /// Of those, the published test values per class.
    pub test_values: ClassCounts<Class>,
}
