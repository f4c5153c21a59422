//! Unit tests for the policy core: shipped bundles, precedence, prefixes, monitor mode,
//! inventory binding and load errors.

use super::*;
use crate::taxonomy::ClassCount;

mod binding;
mod load_errors;
mod objectives;
mod props;

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

pub(super) const BUNDLE: &str = "id = \"t\"\nversion = \"1\"\n";

const SYSTEMS: &str = r#"
[[system]]
id = "sys-a"
name = "A"
owner = "team-a"
purpose = "testing"
risk_tier = "high"
upstreams = ["openai"]
models = ["gpt-4o*"]
principals = ["svc-a*"]
groups = ["g-a"]
data_classes = ["pii.*"]

[[system]]
id = "open"
name = "Open"
owner = "team-b"
purpose = "testing"
risk_tier = "minimal"

[[system]]
id = "everyone"
name = "Everyone"
owner = "team-c"
purpose = "testing"
risk_tier = "minimal"
principals = ["*"]
"#;

pub(super) fn files(rules: &str, bundle: &str) -> Vec<(String, String)> {
    vec![
        ("bundle.toml".into(), bundle.into()),
        ("systems.toml".into(), SYSTEMS.into()),
        ("rules.toml".into(), rules.into()),
    ]
}

pub(super) fn load(rules: &str) -> Bundle {
    load_files(&files(rules, BUNDLE)).unwrap()
}

pub(super) fn load_err(rules: &str) -> LoadError {
    load_files(&files(rules, BUNDLE)).unwrap_err()
}

pub(super) struct F {
    pub(super) principal: &'static str,
    pub(super) groups: Vec<String>,
    pub(super) system: Option<&'static str>,
    pub(super) upstream: &'static str,
    pub(super) model: Option<&'static str>,
    pub(super) classes: Vec<ClassCount<&'static str>>,
    pub(super) stream: bool,
    pub(super) max_tokens: Option<u64>,
    pub(super) unscanned: u64,
}

impl Default for F {
    fn default() -> Self {
        F {
            principal: "svc-a1",
            groups: vec![],
            system: Some("sys-a"),
            upstream: "openai",
            model: Some("gpt-4o"),
            classes: vec![],
            stream: false,
            max_tokens: None,
            unscanned: 0,
        }
    }
}

/// Class counts for facts from `(class, count)` pairs.
pub(super) fn counts(pairs: &[(&'static str, u32)]) -> Vec<ClassCount<&'static str>> {
    pairs.iter().map(|&c| ClassCount::from(c)).collect()
}

impl F {
    pub(super) fn eval(&self, b: &Bundle) -> Decision {
        evaluate(b, &self.facts())
    }
    pub(super) fn facts(&self) -> Facts<'_> {
        Facts {
            principal: self.principal,
            auth_method: "api_key",
            groups: &self.groups,
            ai_system: self.system,
            upstream: self.upstream,
            model: self.model,
            operation: "chat",
            classes: &self.classes,
            stream: self.stream,
            max_tokens: self.max_tokens,
            unscanned_bytes: self.unscanned,
            limits: &[],
        }
    }
}

pub(super) fn ids(d: &Decision) -> Vec<String> {
    d.rules.iter().map(|r| r.id.to_string()).collect()
}

const PRECEDENCE: &str = r#"
[[rule]]
id = "allow-email"
description = "d"
controls = ["A.6.2.8"]
when = { class = "pii.email" }
effect = "allow"

[[rule]]
id = "review-phone"
description = "d"
controls = ["A.6.2.6"]
when = { class = "pii.phone" }
effect = "review"

[[rule]]
id = "redact-ssn"
description = "d"
controls = ["A.5.4"]
effect = "redact"
classes = ["pii.us_ssn"]

[[rule]]
id = "redact-pii-on-stream"
description = "d"
controls = ["A.5.4"]
when = { stream = true }
effect = "redact"
classes = ["pii.*"]

[[rule]]
id = "block-secrets"
description = "d"
controls = ["A.2.2"]
when = { class = "secret.*" }
effect = "block"
message = "no secrets"
fix = "remove it"
"#;

#[test]
fn block_beats_redact_beats_review_beats_allow() {
    let b = load(PRECEDENCE);
    let all = F {
        classes: counts(&[
            ("pii.email", 1),
            ("pii.phone", 1),
            ("pii.us_ssn", 1),
            ("secret.jwt", 1),
        ]),
        ..F::default()
    };
    let d = all.eval(&b);
    assert_eq!(
        d.effect,
        Effect::Block {
            message: "no secrets".into(),
            fix: "remove it".into()
        }
    );
    assert_eq!(ids(&d), ["block-secrets"]);
    assert_eq!(d.rules[0].controls.to_vec(), ["A.2.2"]);

    let no_secret = F {
        classes: counts(&[("pii.email", 1), ("pii.phone", 1), ("pii.us_ssn", 1)]),
        ..F::default()
    };
    let d = no_secret.eval(&b);
    assert_eq!(d.effect.kind(), "redact");
    assert!(d.review, "review survives a stronger redact");
    assert_eq!(ids(&d), ["review-phone", "redact-ssn"]);

    let d = F {
        classes: counts(&[("pii.email", 1), ("pii.phone", 2)]),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect, Effect::Review);
    assert_eq!(ids(&d), ["review-phone"]);

    let d = F {
        classes: counts(&[("pii.email", 1)]),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect, Effect::Allow);
    assert_eq!(ids(&d), ["allow-email"]);
    assert!(!d.review);

    let d = F::default().eval(&b);
    assert_eq!(d.effect, Effect::Allow);
    assert_eq!(ids(&d), ["default"]);
    assert!(d.reason.contains("default"), "{}", d.reason);
}

#[test]
fn redact_classes_are_unioned_and_deduplicated() {
    let b = load(PRECEDENCE);
    let d = F {
        classes: counts(&[("pii.us_ssn", 1)]),
        stream: true,
        ..F::default()
    }
    .eval(&b);
    let Effect::Redact { classes } = &d.effect else {
        panic!("expected redact, got {:?}", d.effect)
    };
    let names: Vec<String> = classes.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["pii.us_ssn", "pii.*"]);
    assert!(d.effect.redacts("pii.email"));
    assert!(!d.effect.redacts("secret.jwt"));
    assert!(!Effect::Review.redacts("pii.email"));
    assert_eq!(ids(&d), ["redact-ssn", "redact-pii-on-stream"]);
    assert!(d.reason.contains("pii.us_ssn"), "{}", d.reason);
}

#[test]
fn redact_rule_fires_only_when_a_listed_class_is_present() {
    let b = load(PRECEDENCE);
    let d = F {
        classes: counts(&[("pii.us_ssn", 0)]),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect, Effect::Allow, "a zero count is not present");
}

#[test]
fn family_prefix_matches_only_its_family() {
    let b = load(PRECEDENCE);
    for (class, want) in [
        ("secret.aws_access_key", "block"),
        ("secret.generic", "block"),
        ("pii.email", "allow"),
        ("custom.secret_projects", "allow"),
    ] {
        let d = F {
            classes: counts(&[(class, 1)]),
            ..F::default()
        }
        .eval(&b);
        assert_eq!(d.effect.kind(), want, "{class}");
    }
}

#[test]
fn class_count_threshold() {
    let b = load(
        r#"
[[rule]]
id = "bulk"
description = "d"
controls = ["A.5.4"]
when = { class_count = { class = "pii.*", at_least = 5 } }
effect = "review"
"#,
    );
    let with = |n, m| F {
        classes: counts(&[("pii.email", n), ("pii.phone", m), ("secret.jwt", 9)]),
        ..F::default()
    };
    assert_eq!(with(2, 2).eval(&b).effect, Effect::Allow);
    assert_eq!(with(2, 3).eval(&b).effect, Effect::Review);
    assert_eq!(with(u32::MAX, u32::MAX).eval(&b).effect, Effect::Review);
}

const MONITORED: &str = r#"
[[rule]]
id = "redact-email"
description = "d"
controls = ["A.5.4"]
effect = "redact"
classes = ["pii.email"]

[[rule]]
id = "pilot-block-stream"
description = "d"
controls = ["A.6.2.6"]
monitor = true
when = { stream = true }
effect = "block"
message = "m"
fix = "f"
"#;

#[test]
fn monitor_rules_report_without_enforcing() {
    let b = load(MONITORED);
    let d = F {
        classes: counts(&[("pii.email", 1)]),
        stream: true,
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect.kind(), "redact");
    assert_eq!(ids(&d), ["redact-email"]);
    assert_eq!(d.monitored.len(), 1);
    assert_eq!(&*d.monitored[0].0.id, "pilot-block-stream");
    assert_eq!(d.monitored[0].1.kind(), "block");
    assert_eq!(d.would_have.kind(), "block");
    assert!(d.reason.contains("would have block"), "{}", d.reason);

    let d = F::default().eval(&b);
    assert!(d.monitored.is_empty());
    assert_eq!(d.would_have, d.effect);
}

#[test]
fn bundle_monitor_mode_enforces_nothing() {
    let bundle = "id = \"t\"\nversion = \"1\"\nmonitor = true\n[default]\neffect = \"block\"\nmessage = \"m\"\nfix = \"f\"\n";
    let b = load_files(&files(MONITORED, bundle)).unwrap();
    let d = F {
        classes: counts(&[("pii.email", 1)]),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect, Effect::Allow);
    assert_eq!(d.would_have.kind(), "redact");
    assert_eq!(d.monitored.len(), 1);
    // With nothing firing, the default block is reported, not enforced.
    let d = F::default().eval(&b);
    assert_eq!(d.effect, Effect::Allow);
    assert_eq!(d.would_have.kind(), "block");
    assert_eq!(&*d.monitored[0].0.id, "default");
}

#[test]
fn default_block_applies_when_nothing_fires() {
    let bundle = "id = \"t\"\nversion = \"1\"\n[default]\neffect = \"block\"\nmessage = \"m\"\nfix = \"f\"\ncontrols = [\"A.2.2\"]\n";
    let rules = "[[rule]]\nid = \"ok\"\ndescription = \"d\"\ncontrols = [\"A.9.2\"]\nwhen = { ai_system = \"open\" }\neffect = \"allow\"\n";
    let b = load_files(&files(rules, bundle)).unwrap();
    let d = F::default().eval(&b);
    assert_eq!(d.effect.kind(), "block");
    assert_eq!(ids(&d), ["default"]);
    assert_eq!(d.rules[0].controls.to_vec(), ["A.2.2"]);
    let d = F {
        system: Some("open"),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect, Effect::Allow);
}

#[test]
fn more_than_64_class_selectors_still_match() {
    let mut rules = String::new();
    for i in 0..70 {
        rules.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\ndescription = \"d\"\ncontrols = [\"A.5.4\"]\neffect = \"redact\"\nclasses = [\"custom.c{i}\"]\n\n[[rule]]\nid = \"v{i}\"\ndescription = \"d\"\ncontrols = [\"A.5.4\"]\nwhen = {{ class = \"custom.d{i}\" }}\neffect = \"review\"\n\n"
        ));
    }
    rules.push_str("[[rule]]\nid = \"cc\"\ndescription = \"d\"\ncontrols = [\"A.5.4\"]\nwhen = { class_count = { class = \"custom.zz\", at_least = 3 } }\neffect = \"review\"\n");
    let b = load(&rules);
    for (n, want) in [(2, "default"), (3, "cc")] {
        let d = F {
            classes: counts(&[("custom.zz", n), ("custom.yy", 5)]),
            ..F::default()
        }
        .eval(&b);
        assert_eq!(ids(&d), [want], "count {n}");
    }
    for i in [0, 31, 63, 64, 69] {
        for (prefix, rule) in [("custom.c", "r"), ("custom.d", "v")] {
            let c: &'static str = Box::leak(format!("{prefix}{i}").into_boxed_str());
            let d = F {
                classes: counts(&[(c, 1)]),
                ..F::default()
            }
            .eval(&b);
            assert_eq!(ids(&d), [format!("{rule}{i}")], "{c}");
        }
    }
}

const BUDGET_RULES: &str = r#"
[[rule]]
id = "flag-budget"
description = "Half the budget spent: flag the call"
controls = ["A.6.2.6"]
effect = "review"
when = { limit_used = { limit = "team-tokens", at_least = 0.5 } }

[[rule]]
id = "cheaper-when-nearly-spent"
description = "Nearly spent: send the call to the smaller model"
controls = ["A.6.2.6"]
effect = "allow"
route_model = "gpt-4o-mini"
when = { limit_used = { limit = "team-tokens", at_least = 0.9 } }
"#;

#[test]
fn budget_shares_are_facts_rules_flag_and_route_on() {
    let b = load(BUDGET_RULES);
    assert!(b.uses_limit_facts());
    assert!(!load("").uses_limit_facts());
    let at = |share: f64| {
        let f = F::default();
        let limits = [("team-tokens", share), ("other", 1.0)];
        let facts = Facts {
            limits: &limits,
            ..f.facts()
        };
        evaluate(&b, &facts)
    };
    let d = at(0.2);
    assert!(!d.review && d.route_model.is_none(), "{d:?}");
    let d = at(0.6);
    assert!(d.review && d.route_model.is_none(), "{d:?}");
    let d = at(0.95);
    assert_eq!(d.route_model.as_deref(), Some("gpt-4o-mini"));
    assert!(
        ids(&d).contains(&"cheaper-when-nearly-spent".to_owned()),
        "{:?}",
        ids(&d)
    );
    assert!(
        d.reason.contains("routed to model gpt-4o-mini"),
        "{}",
        d.reason
    );
    // A limit the call does not count under is no fact at all.
    let d = evaluate(&b, &F::default().facts());
    assert!(!d.review && d.route_model.is_none());
}

#[test]
fn routing_belongs_to_allow_and_review_rules_and_shares_are_checked() {
    let block_route = r#"
[[rule]]
id = "r"
description = "d"
controls = ["A.6.2.6"]
effect = "block"
message = "m"
fix = "f"
route_model = "gpt-4o-mini"
"#;
    assert!(
        load_err(block_route).to_string().contains("route_model"),
        "{}",
        load_err(block_route)
    );
    let pattern =
        BUDGET_RULES.replace("route_model = \"gpt-4o-mini\"", "route_model = \"gpt-4o*\"");
    assert!(load_err(&pattern).to_string().contains("route_model"));
    let negative = BUDGET_RULES.replace("at_least = 0.5", "at_least = -1.0");
    assert!(load_err(&negative).to_string().contains("at_least"));
}
