//! `objectives.toml` and the approval fields of `bundle.toml`.

use super::{files, BUNDLE};
use crate::policy::*;

fn with_objectives(text: &str) -> Result<Bundle, LoadError> {
    let mut f = files("", BUNDLE);
    f.push(("objectives.toml".into(), text.into()));
    load_files(&f)
}

fn err(text: &str) -> String {
    with_objectives(text).unwrap_err().to_string()
}

const OK: &str = r#"
[[objective]]
id = "no-secrets"
title = "No credential reaches a provider"
metric = "findings_forwarded"
max = 0
controls = ["A.2.2"]

[[objective]]
id = "latency"
title = "Fast enough"
metric = "latency_p95_ms"
max = 1500
ai_systems = ["sys-a", "open"]
controls = ["A.6.2.6"]

[[objective]]
id = "refusals"
title = "Some refusals happen"
metric = "refusal_rate"
min = 0.001
controls = ["A.9.2"]
"#;

#[test]
fn objectives_load_with_their_metric_threshold_systems_and_default_classes() {
    let b = with_objectives(OK).unwrap();
    let o = b.objectives();
    assert_eq!(o.len(), 3);
    assert_eq!(o[0].metric, Metric::FindingsForwarded);
    assert_eq!(o[0].threshold, Threshold::Max(0.0));
    assert!(o[0].counts_class("secret.github_token"));
    assert!(!o[0].counts_class("pii.email"));
    assert!(o[0].ai_systems.is_empty());
    let systems: Vec<&str> = o[1].ai_systems.iter().map(|s| &**s).collect();
    assert_eq!(systems, ["sys-a", "open"]);
    assert_eq!(o[2].threshold, Threshold::Min(0.001));
    assert_eq!(&*o[2].controls, ["A.9.2".to_owned()]);
    // The objectives file is part of the policy, so of its hash.
    let plain = load_files(&files("", BUNDLE)).unwrap();
    assert_ne!(plain.content_hash(), b.content_hash());
}

#[test]
fn bad_objectives_name_file_line_and_key() {
    let cases = [
        (
            OK.replace("latency_p95_ms", "latency_p95"),
            "objectives.toml:",
            "unknown metric `latency_p95`",
        ),
        (
            OK.replace("max = 1500\n", ""),
            "objective[latency].max",
            "exactly one of `max`",
        ),
        (
            OK.replace("min = 0.001", "min = 0.001\nmax = 1"),
            "objective[refusals].max",
            "exactly one",
        ),
        (
            OK.replace("\"open\"", "\"sys-z\""),
            "objective[latency].ai_systems",
            "`sys-z` is not in the inventory",
        ),
        (
            OK.replace("[\"A.6.2.6\"]", "[\"A.6.2.9\"]"),
            "objective[latency].controls",
            "not an ISO/IEC 42001 Annex A control",
        ),
        (
            OK.replace("max = 1500", "max = -1"),
            "objective[latency].max",
            "finite number",
        ),
        (
            OK.replace("id = \"refusals\"", "id = \"latency\""),
            "objective[latency].id",
            "used twice",
        ),
        (
            OK.replace(
                "metric = \"refusal_rate\"",
                "metric = \"refusal_rate\"\nclasses = [\"pii.email\"]",
            ),
            "objective[refusals].classes",
            "only to the metric findings_forwarded",
        ),
        (
            OK.replace(
                "metric = \"latency_p95_ms\"",
                "metric = \"unregistered_calls\"",
            ),
            "objective[latency].ai_systems",
            "cannot be measured per registered system",
        ),
        (format!("{OK}colour = 1\n"), "objectives.toml:", "colour"),
    ];
    for (text, key, what) in cases {
        let m = err(&text);
        assert!(m.contains(key) && m.contains(what), "{key} / {what}: {m}");
    }
}

#[test]
fn approver_and_change_reference_come_from_bundle_toml() {
    let b = load_files(&files("", BUNDLE)).unwrap();
    assert_eq!((b.approved_by(), b.change_ref()), (None, None));
    let approved = BUNDLE.replacen(
        "\n",
        "\napproved_by = \"Jane Doe, AIMS owner\"\nchange_ref = \" CHG-7 \"\n",
        1,
    );
    let f = files("", &approved);
    let b = load_files(&f).unwrap();
    assert_eq!(b.approved_by(), Some("Jane Doe, AIMS owner"));
    assert_eq!(b.change_ref(), Some("CHG-7"));
    assert_eq!(b.files().len(), f.len());
    assert_eq!(content_hash(b.files()), b.content_hash());
}

#[test]
fn the_baseline_declares_objectives() {
    let b = baseline().unwrap();
    assert!(b.objectives().len() >= 5);
    assert!(b
        .objectives()
        .iter()
        .any(|o| o.metric == Metric::FindingsForwarded && o.counts_class("secret.aws_access_key")));
}
