//! Load-time validation: every error names file, line and key; the content hash is defined.

use super::{files, load_err, BUNDLE};
use crate::policy::*;

fn msg(e: &LoadError) -> String {
    e.to_string()
}

const OK_RULE: &str =
    "[[rule]]\nid = \"r1\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"allow\"\n";

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = load_err(&format!("{OK_RULE}colour = \"red\"\n"));
    let m = msg(&e);
    assert!(matches!(e, LoadError::Syntax { line: 6, .. }), "{m}");
    assert!(m.starts_with("rules.toml:6:"), "{m}");
    assert!(m.contains("colour"), "{m}");
}

#[test]
fn unknown_key_inside_a_condition() {
    let e = load_err(&format!("{OK_RULE}when = {{ modle = \"gpt-4o\" }}\n"));
    let m = msg(&e);
    assert!(m.starts_with("rules.toml:6:"), "{m}");
    assert!(m.contains("modle"), "{m}");
}

#[test]
fn unknown_class_names_the_rule_and_key() {
    let e = load_err(&format!(
        "{OK_RULE}when = {{ class = \"pii.shoe_size\" }}\n"
    ));
    let m = msg(&e);
    assert!(
        matches!(&e, LoadError::Invalid { file, line: 6, key, .. } if file == "rules.toml" && key == "rule[r1].when.class"),
        "{m}"
    );
    assert!(m.contains("pii.shoe_size"), "{m}");
    let e = load_err(&format!("{OK_RULE}when = {{ class = \"nope.*\" }}\n"));
    assert!(msg(&e).contains("nope"), "{}", msg(&e));
}

#[test]
fn unknown_system_and_operation_and_tier_are_rejected() {
    let e = load_err(&format!("{OK_RULE}when = {{ ai_system = \"ghost\" }}\n"));
    assert!(msg(&e).contains("unknown AI system `ghost`"), "{}", msg(&e));
    let e = load_err(&format!("{OK_RULE}when = {{ operation = \"chatty\" }}\n"));
    assert!(msg(&e).contains("rule[r1].when.operation"), "{}", msg(&e));
    let e = load_err(&format!("{OK_RULE}when = {{ risk_tier = \"huge\" }}\n"));
    assert!(msg(&e).contains("huge"), "{}", msg(&e));
}

#[test]
fn unknown_upstream_only_when_a_context_lists_upstreams() {
    let rules = format!("{OK_RULE}when = {{ upstream = \"mistral\" }}\n");
    assert!(load_files(&files(&rules, BUNDLE)).is_ok());
    let cx = LoadContext {
        upstreams: &["openai", "anthropic"],
    };
    let e = load_files_with(&files(&rules, BUNDLE), &cx).unwrap_err();
    assert!(
        msg(&e).contains("unknown upstream `mistral`"),
        "{}",
        msg(&e)
    );
    assert!(msg(&e).contains("openai, anthropic"), "{}", msg(&e));
    // The systems file's approved upstreams are checked too.
    let e =
        load_files_with(&files(OK_RULE, BUNDLE), &LoadContext { upstreams: &["x"] }).unwrap_err();
    assert!(msg(&e).contains("system[sys-a].upstreams"), "{}", msg(&e));
}

#[test]
fn duplicate_ids_are_rejected() {
    let e = load_err(&format!("{OK_RULE}\n{OK_RULE}"));
    let m = msg(&e);
    assert!(m.starts_with("rules.toml:8:"), "{m}");
    assert!(m.contains("duplicate rule id `r1`"), "{m}");
    let mut fs = files("", BUNDLE);
    fs[1].1.push_str("\n[[system]]\nid = \"open\"\nname = \"n\"\nowner = \"o\"\npurpose = \"p\"\nrisk_tier = \"minimal\"\n");
    let e = load_files(&fs).unwrap_err();
    assert!(
        msg(&e).contains("duplicate system id `open`"),
        "{}",
        msg(&e)
    );
}

#[test]
fn effect_keys_must_fit_the_effect() {
    let block_no_fix = "[[rule]]\nid = \"b\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"block\"\nmessage = \"m\"\n";
    assert!(msg(&load_err(block_no_fix)).contains("`fix`"));
    let redact_no_classes =
        "[[rule]]\nid = \"r\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"redact\"\n";
    assert!(msg(&load_err(redact_no_classes)).contains("redact needs `classes`"));
    let allow_with_classes = format!("{OK_RULE}classes = [\"pii.email\"]\n");
    assert!(msg(&load_err(&allow_with_classes)).contains("only to redact"));
    let bad_effect =
        "[[rule]]\nid = \"r\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"deny\"\n";
    let e = load_err(bad_effect);
    assert!(
        msg(&e).starts_with("rules.toml:5: `rule[r].effect`"),
        "{}",
        msg(&e)
    );
}

#[test]
fn controls_must_be_annex_a() {
    let e = load_err("[[rule]]\nid = \"r\"\ndescription = \"d\"\ncontrols = [\"A.2.2\", \"A.99\"]\neffect = \"allow\"\n");
    let m = msg(&e);
    assert!(m.starts_with("rules.toml:4: `rule[r].controls`"), "{m}");
    assert!(m.contains("A.99"), "{m}");
    let e =
        load_err("[[rule]]\nid = \"r\"\ndescription = \"d\"\ncontrols = []\neffect = \"allow\"\n");
    assert!(msg(&e).contains("at least one"), "{}", msg(&e));
}

#[test]
fn conditions_that_can_never_hold_are_unreachable() {
    for when in [
        "{ any = [] }",
        "{ risk_tier = [] }",
        "{ all = [{ stream = true }, { stream = false }] }",
        "{ stream = true, not = {} }",
        "{ all = [{ operation = \"chat\" }, { operation = \"embeddings\" }] }",
        "{ system_registered = false, risk_tier = \"high\" }",
        "{ system_registered = false, ai_system = \"open\" }",
        "{ system_registered = true, risk_tier = \"unknown\" }",
        "{ max_tokens_set = false, max_tokens_over = 10 }",
    ] {
        let e = load_err(&format!("{OK_RULE}when = {when}\n"));
        let m = msg(&e);
        assert!(m.contains("can never be true"), "{when}: {m}");
        assert!(m.contains("rule[r1].when"), "{when}: {m}");
    }
    // Satisfiable combinations stay accepted.
    for when in [
        "{ operation = [\"chat\", \"responses\"], all = [{ operation = \"chat\" }] }",
        "{ system_registered = false, risk_tier = \"unknown\" }",
        "{ not = { any = [] } }",
        "{ group = \"a\", all = [{ group = \"b\" }] }",
    ] {
        let fs = files(&format!("{OK_RULE}when = {when}\n"), BUNDLE);
        assert!(load_files(&fs).is_ok(), "{when}");
    }
}

#[test]
fn rules_shadowed_by_an_unconditional_block_are_unreachable() {
    let rules = "[[rule]]\nid = \"stop\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"block\"\nmessage = \"m\"\nfix = \"f\"\n\n[[rule]]\nid = \"later\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"review\"\n";
    let e = load_err(rules);
    let m = msg(&e);
    assert!(m.starts_with("rules.toml:10: `rule[later]`"), "{m}");
    assert!(m.contains("`stop` blocks every call"), "{m}");
    // Alone, or beside monitor-mode rules, an unconditional block is fine (a kill switch).
    let alone = "[[rule]]\nid = \"stop\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\neffect = \"block\"\nmessage = \"m\"\nfix = \"f\"\n\n[[rule]]\nid = \"later\"\ndescription = \"d\"\ncontrols = [\"A.2.2\"]\nmonitor = true\neffect = \"review\"\n";
    assert!(load_files(&files(alone, BUNDLE)).is_ok());
}

#[test]
fn bad_patterns_and_files_are_rejected() {
    let e = load_err(&format!("{OK_RULE}when = {{ model = \"gpt **\" }}\n"));
    assert!(msg(&e).contains("rule[r1].when.model"), "{}", msg(&e));
    let e = load_err(&format!("{OK_RULE}when = {{ ai_system = \"sys-*\" }}\n"));
    assert!(msg(&e).contains("wildcards are not allowed"), "{}", msg(&e));
    let mut fs = files(OK_RULE, BUNDLE);
    fs.push(("rule.toml".into(), String::new()));
    assert!(msg(&load_files(&fs).unwrap_err()).starts_with("rule.toml: unknown bundle file"));
    let e = load_files(&[("rules.toml".into(), OK_RULE.into())]).unwrap_err();
    assert!(msg(&e).contains("bundle.toml"), "{}", msg(&e));
    let e = load_files(&files(OK_RULE, "id = \"bad id\"\nversion = \"1\"\n")).unwrap_err();
    assert!(msg(&e).starts_with("bundle.toml:1: `id`"), "{}", msg(&e));
    let e = load_files(&files(
        OK_RULE,
        "id = \"x\"\nversion = \"1\"\n[default]\neffect = \"block\"\n",
    ))
    .unwrap_err();
    assert!(msg(&e).contains("default.effect"), "{}", msg(&e));
    let e = load_files(&files("[[rule]\n", BUNDLE)).unwrap_err();
    assert!(msg(&e).starts_with("rules.toml:1:"), "{}", msg(&e));
}

#[test]
fn content_hash_is_order_independent_and_content_sensitive() {
    let a = files(OK_RULE, BUNDLE);
    let mut b = a.clone();
    b.reverse();
    let ha = load_files(&a).unwrap().content_hash().to_owned();
    assert_eq!(ha.len(), 64);
    assert_eq!(ha, load_files(&b).unwrap().content_hash());
    let mut c = a.clone();
    c[2].1.push('\n');
    assert_ne!(ha, load_files(&c).unwrap().content_hash());
    // Moving bytes between files changes the hash (names and lengths are framed).
    assert_ne!(
        load::content_hash(&[("a".into(), "xy".into()), ("b".into(), String::new())]),
        load::content_hash(&[("a".into(), "x".into()), ("b".into(), "y".into())])
    );
}

#[test]
fn load_dir_reads_the_bundle_and_ignores_tests_and_docs() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files(OK_RULE, BUNDLE) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(dir.path().join("tests.toml"), "not = [valid").unwrap();
    std::fs::write(dir.path().join("README.md"), "# hi").unwrap();
    let from_dir = load_dir(dir.path()).unwrap();
    let from_files = load_files(&files(OK_RULE, BUNDLE)).unwrap();
    assert_eq!(from_dir.content_hash(), from_files.content_hash());
    std::fs::write(dir.path().join("rulez.toml"), "").unwrap();
    assert!(msg(&load_dir(dir.path()).unwrap_err()).contains("rulez.toml"));
    let missing = load_dir(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(missing, LoadError::Io { .. }));
}

#[test]
fn run_cases_reports_failures_with_diffs() {
    let b = baseline().unwrap();
    let cases = "[[case]]\nname = \"wrong on purpose\"\nsystem = \"general-assistant\"\nmodel = \"gpt-4o\"\nclasses = { \"secret.jwt\" = 1 }\nexpect = \"allow\"\nexpect_rules = [\"nope\"]\n";
    let r = testing::run_cases(&b, cases).unwrap();
    assert!(!r.success());
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].diffs[0], "effect: expected allow, got block");
    assert!(r.failed[0].diffs[1].starts_with("rules:"));
    assert!(r.to_string().contains("FAIL: wrong on purpose"));
    let e = testing::run_cases(&b, "[[case]]\nname = \"x\"\nexpectt = \"allow\"\n").unwrap_err();
    assert!(msg(&e).starts_with("tests.toml:3:"), "{}", msg(&e));
    assert!(
        !testing::run_cases(&b, "").unwrap().success(),
        "no cases is not a pass"
    );
}
