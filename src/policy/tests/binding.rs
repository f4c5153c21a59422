//! Inventory binding and the inventory-derived attributes (registered, approved model/upstream/classes).

use super::{counts, ids, load, BUNDLE, F};
use crate::policy::*;

const INVENTORY_RULES: &str = r#"
[[rule]]
id = "unregistered"
description = "d"
controls = ["A.4.2"]
when = { system_registered = false }
effect = "review"

[[rule]]
id = "bad-supplier"
description = "d"
controls = ["A.10.3"]
when = { system_registered = true, any = [{ model_approved = false }, { upstream_approved = false }] }
effect = "block"
message = "m"
fix = "f"

[[rule]]
id = "bad-data"
description = "d"
controls = ["A.9.4"]
when = { system_registered = true, classes_approved = false }
effect = "review"

[[rule]]
id = "high-risk"
description = "d"
controls = ["A.5.2"]
when = { risk_tier = ["high", "prohibited"] }
effect = "allow"
"#;

fn groups(g: &[&str]) -> Vec<String> {
    g.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn header_is_honoured_only_for_allowed_principals_or_groups() {
    let b = load(INVENTORY_RULES);
    let by_principal = bind_system(&b, "svc-a7", &[], None, Some("sys-a"));
    assert_eq!(by_principal.system(), Some("sys-a"));
    assert!(by_principal.registered);
    assert_eq!(by_principal.source, BindingSource::Header);

    let by_group = bind_system(&b, "bob", &groups(&["x", "g-a"]), None, Some("sys-a"));
    assert_eq!(by_group.system(), Some("sys-a"));

    let refused = bind_system(&b, "bob", &groups(&["x"]), None, Some("sys-a"));
    assert_eq!(refused.system(), None);
    assert!(!refused.registered);
    assert_eq!(refused.refused_header.as_deref(), Some("sys-a"));

    let refused_falls_back = bind_system(&b, "bob", &[], Some("open"), Some("sys-a"));
    assert_eq!(refused_falls_back.system(), Some("open"));
    assert!(refused_falls_back.registered);
    assert_eq!(refused_falls_back.source, BindingSource::Credential);

    // Closed by default: a system whose entry lists nobody cannot be selected by header; the
    // call stays under its credential's system and the attempt is kept for the evidence.
    let closed = bind_system(&b, "anyone", &[], Some("sys-a"), Some("open"));
    assert_eq!(closed.system(), Some("sys-a"));
    assert_eq!(closed.source, BindingSource::Credential);
    assert_eq!(closed.refused_header.as_deref(), Some("open"));
    let closed_unmapped = bind_system(&b, "anyone", &[], None, Some("open"));
    assert_eq!(closed_unmapped.system(), None);
    assert_eq!(closed_unmapped.refused_header.as_deref(), Some("open"));

    // `principals = ["*"]` opens a system to every authenticated caller, explicitly.
    let everyone = bind_system(&b, "anyone", &[], Some("sys-a"), Some("everyone"));
    assert_eq!(everyone.system(), Some("everyone"));
    assert_eq!(everyone.source, BindingSource::Header);
}

#[test]
fn unregistered_names_are_kept_but_cannot_escape_a_credential_mapping() {
    let b = load(INVENTORY_RULES);
    let shadow = bind_system(&b, "bob", &[], None, Some("my-shadow-bot"));
    assert_eq!(shadow.system(), Some("my-shadow-bot"));
    assert!(!shadow.registered);

    let pinned = bind_system(&b, "svc-a1", &[], Some("sys-a"), Some("my-shadow-bot"));
    assert_eq!(pinned.system(), Some("sys-a"));
    assert_eq!(pinned.refused_header.as_deref(), Some("my-shadow-bot"));

    let unknown_key = bind_system(&b, "bob", &[], Some("old-system"), None);
    assert_eq!(unknown_key.system(), Some("old-system"));
    assert!(!unknown_key.registered);

    let none = bind_system(&b, "bob", &[], None, Some("  "));
    assert_eq!(none.source, BindingSource::None);
    assert_eq!(none.system(), None);
}

#[test]
fn unregistered_systems_are_flagged_with_unknown_tier() {
    let b = load(INVENTORY_RULES);
    let d = F {
        system: Some("my-shadow-bot"),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(d.effect, Effect::Review);
    assert_eq!(ids(&d), ["unregistered"]);
    assert!(!d.system.registered);
    assert_eq!(d.system.risk_tier, RiskTier::Unknown);
    assert_eq!(d.system.id.as_deref(), Some("my-shadow-bot"));
}

#[test]
fn unapproved_model_and_upstream_are_caught() {
    let b = load(INVENTORY_RULES);
    let ok = F::default().eval(&b);
    assert_eq!(ok.effect, Effect::Allow);
    assert_eq!(ids(&ok), ["high-risk"]);
    assert_eq!(ok.system.risk_tier, RiskTier::High);

    let model = F {
        model: Some("gpt-4.1"),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(model.effect.kind(), "block");
    assert_eq!(ids(&model), ["bad-supplier", UNAPPROVED_MODEL]);

    let upstream = F {
        upstream: "anthropic",
        ..F::default()
    }
    .eval(&b);
    assert_eq!(ids(&upstream), ["bad-supplier", UNAPPROVED_UPSTREAM]);

    // No model named (e.g. listing models): nothing to approve.
    let no_model = F {
        model: None,
        ..F::default()
    }
    .eval(&b);
    assert_eq!(no_model.effect, Effect::Allow);
}

#[test]
fn data_classes_outside_the_system_approval_are_caught() {
    let b = load(INVENTORY_RULES);
    let pii = F {
        classes: counts(&[("pii.email", 2)]),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(pii.effect, Effect::Allow);
    let health = F {
        classes: counts(&[("pii.email", 2), ("health.us_npi", 1)]),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(health.effect, Effect::Review);
    assert_eq!(ids(&health), ["bad-data"]);
}

#[test]
fn explain_lists_every_rule_with_a_reason() {
    let b = load(INVENTORY_RULES);
    let f = F {
        model: Some("gpt-4.1"),
        ..F::default()
    };
    let e = explain(&b, &f.facts());
    assert_eq!(
        e.rules.len(),
        6,
        "four bundle rules and the two built-in approval rules"
    );
    assert!(e.rules.iter().any(|r| r.id == UNAPPROVED_MODEL && r.fired));
    assert!(e
        .rules
        .iter()
        .any(|r| r.id == UNAPPROVED_UPSTREAM && !r.fired));
    let bad = e.rules.iter().find(|r| r.id == "bad-supplier").unwrap();
    assert!(bad.fired);
    assert!(
        bad.why.contains("model_approved = false holds"),
        "{}",
        bad.why
    );
    let unreg = e.rules.iter().find(|r| r.id == "unregistered").unwrap();
    assert!(!unreg.fired);
    assert!(unreg.why.contains("fails"), "{}", unreg.why);
    let text = e.to_string();
    assert!(text.contains("bad-supplier"), "{text}");
    assert!(text.contains("decision  block"), "{text}");
    assert_eq!(e.decision, evaluate(&b, &f.facts()));
}

#[test]
fn output_plan_picks_the_strongest_action_and_degrades_monitor_entries() {
    let outputs = r#"
[[output]]
id = "o-observe"
description = "d"
controls = ["A.6.2.8"]
classes = ["pii.*"]
action = "observe"

[[output]]
id = "o-redact-ssn"
description = "d"
controls = ["A.5.4"]
classes = ["pii.us_ssn"]
action = "redact"

[[output]]
id = "o-pilot-block"
description = "d"
controls = ["A.5.4"]
classes = ["pii.email"]
action = "block"
monitor = true

[[output]]
id = "o-only-open"
description = "d"
controls = ["A.5.4"]
classes = ["secret.*"]
action = "block"
when = { ai_system = "open" }
"#;
    let mut fs = super::files("", super::BUNDLE);
    fs.push(("output.toml".into(), outputs.into()));
    let b = load_files(&fs).unwrap();
    let plan = output_plan(&b, &F::default().facts());
    assert!(!plan.is_empty());
    assert_eq!(plan.entries.len(), 3);
    let (a, r) = plan.action_for("pii.us_ssn").unwrap();
    assert_eq!((a, &*r.id), (OutputAction::Redact, "o-redact-ssn"));
    assert_eq!(
        plan.action_for("pii.email").unwrap().0,
        OutputAction::Observe
    );
    assert_eq!(
        plan.monitored_for("pii.email").unwrap().0,
        OutputAction::Block
    );
    assert!(plan.action_for("secret.jwt").is_none());
    let open = F {
        system: Some("open"),
        ..F::default()
    };
    let plan = output_plan(&b, &open.facts());
    assert_eq!(
        plan.action_for("secret.jwt").unwrap().0,
        OutputAction::Block
    );
    let empty = load(INVENTORY_RULES);
    assert!(output_plan(&empty, &F::default().facts()).is_empty());
}

#[test]
fn more_than_64_systems_and_operations_match_by_id() {
    let mut systems = String::new();
    for i in 0..70 {
        systems.push_str(&format!(
            "[[system]]\nid = \"s{i}\"\nname = \"n\"\nowner = \"o\"\npurpose = \"p\"\nrisk_tier = \"limited\"\n"
        ));
    }
    let rules = "[[rule]]\nid = \"low\"\ndescription = \"d\"\ncontrols = [\"A.9.2\"]\nwhen = { ai_system = [\"s0\", \"s63\"], operation = \"chat\" }\neffect = \"review\"\n\n[[rule]]\nid = \"high\"\ndescription = \"d\"\ncontrols = [\"A.9.2\"]\nwhen = { ai_system = [\"s63\", \"s69\"], operation = [\"embeddings\", \"chat\"] }\neffect = \"review\"\n";
    let b = load_files(&[
        ("bundle.toml".into(), super::BUNDLE.into()),
        ("systems.toml".into(), systems),
        ("rules.toml".into(), rules.into()),
    ])
    .unwrap();
    for (sys, want) in [
        ("s0", vec!["low"]),
        ("s63", vec!["low", "high"]),
        ("s69", vec!["high"]),
        ("s64", vec!["default"]),
    ] {
        let f = F {
            system: Some(sys),
            ..F::default()
        };
        assert_eq!(ids(&f.eval(&b)), want, "{sys}");
    }
    let base = F {
        system: Some("s69"),
        ..F::default()
    };
    let mut f = base.facts();
    f.operation = "embeddings";
    assert_eq!(ids(&evaluate(&b, &f)), ["high"]);
    f.operation = "responses";
    assert_eq!(ids(&evaluate(&b, &f)), ["default"]);
}

#[test]
fn unapproved_model_or_upstream_is_refused_by_default_without_any_rule() {
    let b = load("");
    let model = F {
        model: Some("gpt-4.1"),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(model.effect.kind(), "block");
    assert_eq!(ids(&model), [UNAPPROVED_MODEL]);
    assert_eq!(&*model.rules[0].controls, ["A.6.2.5", "A.10.3"]);
    let upstream = F {
        upstream: "anthropic",
        ..F::default()
    }
    .eval(&b);
    assert_eq!(ids(&upstream), [UNAPPROVED_UPSTREAM]);
    // Unregistered calls and approved ones are not touched by the built-ins.
    assert_eq!(F::default().eval(&b).effect, Effect::Allow);
    let unregistered = F {
        system: Some("shadow"),
        model: Some("anything"),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(unregistered.effect, Effect::Allow);
}

#[test]
fn the_bundle_can_relax_approvals_to_review() {
    let bundle = format!("{BUNDLE}[inventory]\nunapproved_model = \"review\"\n");
    let b = load_files(&super::files("", &bundle)).unwrap();
    let model = F {
        model: Some("gpt-4.1"),
        ..F::default()
    }
    .eval(&b);
    assert_eq!(model.effect, Effect::Review);
    assert_eq!(ids(&model), [UNAPPROVED_MODEL]);
    // The other one keeps its default.
    let upstream = F {
        upstream: "anthropic",
        ..F::default()
    }
    .eval(&b);
    assert_eq!(upstream.effect.kind(), "block");

    let bad = format!("{BUNDLE}[inventory]\nunapproved_upstream = \"allow\"\n");
    let err = load_files(&super::files("", &bad)).unwrap_err().to_string();
    assert!(err.contains("inventory.unapproved_upstream"), "{err}");
    assert!(err.contains("block, review"), "{err}");
}

#[test]
fn built_in_approval_rule_ids_are_reserved() {
    let rules = format!(
        "[[rule]]\nid = \"{UNAPPROVED_MODEL}\"\ndescription = \"d\"\ncontrols = [\"A.4.2\"]\neffect = \"allow\"\n"
    );
    let err = load_files(&super::files(&rules, BUNDLE))
        .unwrap_err()
        .to_string();
    assert!(err.contains("reserved"), "{err}");
}
