//! Unit tests for the policy core: shipped bundles, precedence, prefixes, monitor mode,
//! inventory binding and load errors.

use super::*;

#[test]
fn baseline_loads_and_passes_its_cases() {
    let b = baseline().unwrap();
    let report = testing::run_cases(&b, BASELINE_TESTS).unwrap();
    assert!(report.success(), "{report}");
}
