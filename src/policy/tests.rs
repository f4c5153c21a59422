//! Unit tests for the policy core: shipped bundles, precedence, prefixes, monitor mode,
//! inventory binding and load errors.

use super::*;

#[test]
fn baseline_loads_and_passes_its_cases() {
    let b = baseline().unwrap();
    let report = testing::run_cases(&b, BASELINE_TESTS).unwrap();
    assert!(report.success(), "{report}");
}

fn dir(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies")
        .join(name)
}

#[test]
fn healthcare_loads_and_passes_its_cases() {
    let d = dir("healthcare");
    let b = load_dir_with(
        &d,
        &LoadContext {
            upstreams: &["openai", "anthropic"],
        },
    )
    .unwrap();
    assert_eq!(b.id(), "healthcare-support");
    assert_eq!(b.systems().len(), 4);
    let cases = std::fs::read_to_string(d.join("tests.toml")).unwrap();
    let report = testing::run_cases(&b, &cases).unwrap();
    assert!(report.success(), "{report}");
    assert!(report.passed.len() >= 15);
}
