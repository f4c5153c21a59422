//! Policy benchmarks: evaluation latency for a realistic generated bundle (50 rules, 20 AI
//! systems), the embedded baseline, and load (= reload) time of the generated bundle.
//!
//! Run: `cargo bench --bench policy`.

use aimsgate::policy::{self, evaluate, load_files, output_plan, Facts};
use aimsgate::taxonomy::ClassCount;
use criterion::{criterion_group, criterion_main, Criterion};
use std::fmt::Write as _;
use std::hint::black_box;

const TIERS: &[&str] = &["minimal", "limited", "high", "limited"];
const FAMILIES: &[&str] = &["pii.*", "health.*", "financial.*", "custom.*"];

/// A bundle shaped like a mid-size organisation's: 20 systems, 50 rules of every kind.
fn generated() -> Vec<(String, String)> {
    let mut systems = String::new();
    for i in 0..20 {
        let tier = TIERS[i % TIERS.len()];
        let _ = write!(
            systems,
            "[[system]]\nid = \"sys-{i}\"\nname = \"System {i}\"\nowner = \"team-{i}\"\npurpose = \"p\"\n\
             risk_tier = \"{tier}\"\nimpact_assessment = \"AIIA-{i}\"\nupstreams = [\"openai\", \"anthropic\"]\n\
             models = [\"gpt-4o*\", \"claude-*sonnet*\", \"text-embedding-3-*\"]\ngroups = [\"group-{i}\", \"staff\"]\n\
             principals = [\"svc-{i}-*\"]\ndata_classes = [\"pii.*\", \"{}\"]\n\n",
            FAMILIES[i % FAMILIES.len()]
        );
    }
    let mut rules = String::from(
        "[[rule]]\nid = \"block-secrets\"\ndescription = \"d\"\ncontrols = [\"A.2.2\", \"A.10.3\"]\n\
         when = { class = \"secret.*\" }\neffect = \"block\"\nmessage = \"m\"\nfix = \"f\"\n\n\
         [[rule]]\nid = \"review-unregistered\"\ndescription = \"d\"\ncontrols = [\"A.4.2\"]\n\
         when = { system_registered = false }\neffect = \"review\"\n\n\
         [[rule]]\nid = \"redact-card\"\ndescription = \"d\"\ncontrols = [\"A.5.4\"]\neffect = \"redact\"\n\
         classes = [\"financial.credit_card\", \"pii.us_ssn\"]\n\n\
         [[rule]]\nid = \"block-supplier\"\ndescription = \"d\"\ncontrols = [\"A.10.3\"]\n\
         when = { system_registered = true, any = [{ model_approved = false }, { upstream_approved = false }] }\n\
         effect = \"block\"\nmessage = \"m\"\nfix = \"f\"\n\n",
    );
    for i in 0..46 {
        let sys = i % 20;
        let body = match i % 5 {
            0 => format!(
                "when = {{ ai_system = \"sys-{sys}\", group = [\"group-{sys}\", \"leads\"], operation = [\"chat\", \"responses\"] }}\neffect = \"allow\"\n"
            ),
            1 => format!(
                "when = {{ ai_system = \"sys-{sys}\", not = {{ group = \"leads\" }} }}\neffect = \"redact\"\nclasses = [\"pii.email\", \"pii.phone\"]\n"
            ),
            2 => format!(
                "when = {{ class_count = {{ class = \"pii.*\", at_least = {} }}, risk_tier = [\"high\", \"limited\"] }}\neffect = \"review\"\n",
                10 + i
            ),
            3 => format!(
                "when = {{ any = [{{ model = \"o3*\" }}, {{ max_tokens_over = {} }}], stream = true, principal = \"svc-{sys}-*\" }}\nmonitor = true\neffect = \"block\"\nmessage = \"m\"\nfix = \"f\"\n",
                4000 + i
            ),
            _ => format!(
                "when = {{ ai_system = \"sys-{sys}\", class = [\"health.*\", \"custom.*\"], upstream = \"anthropic\" }}\neffect = \"review\"\n"
            ),
        };
        let _ = write!(
            rules,
            "[[rule]]\nid = \"rule-{i}\"\ndescription = \"generated\"\ncontrols = [\"A.9.2\"]\n{body}\n"
        );
    }
    vec![
        (
            "bundle.toml".into(),
            "id = \"bench\"\nversion = \"1\"\n".into(),
        ),
        ("systems.toml".into(), systems),
        ("rules.toml".into(), rules),
    ]
}

fn bench(c: &mut Criterion) {
    let files = generated();
    let loaded = load_files(&files);
    assert!(
        loaded.is_ok(),
        "generated bench bundle does not load: {:?}",
        loaded.as_ref().err()
    );
    let Ok(bundle) = loaded else {
        return;
    };
    // 50 generated rules plus the two built-in inventory rules
    // (unapproved model, unapproved upstream) every bundle carries.
    assert_eq!(bundle.rule_count(), 50 + 2);
    assert_eq!(bundle.systems().len(), 20);
    let groups = vec!["group-7".to_owned(), "staff".to_owned()];
    let classes = [
        ClassCount::new("pii.email", 2),
        ClassCount::new("pii.person_name", 1),
        ClassCount::new("financial.credit_card", 1),
    ];
    let facts = Facts {
        principal: "svc-7-worker",
        auth_method: "api_key",
        groups: &groups,
        ai_system: Some("sys-7"),
        upstream: "openai",
        model: Some("gpt-4o-mini"),
        operation: "chat",
        classes: &classes,
        stream: true,
        max_tokens: Some(1024),
        unscanned_bytes: 0,
        limits: &[],
    };
    c.bench_function("policy/evaluate 50 rules 20 systems (redact)", |b| {
        b.iter(|| evaluate(black_box(&bundle), black_box(&facts)))
    });
    let clean = Facts {
        classes: &[],
        stream: false,
        ..facts
    };
    c.bench_function("policy/evaluate 50 rules 20 systems (clean)", |b| {
        b.iter(|| evaluate(black_box(&bundle), black_box(&clean)))
    });
    let secret = [
        ClassCount::new("secret.aws_access_key", 1),
        ClassCount::new("pii.email", 1),
    ];
    let blocked = Facts {
        classes: &secret,
        ..facts
    };
    c.bench_function("policy/evaluate 50 rules 20 systems (block)", |b| {
        b.iter(|| evaluate(black_box(&bundle), black_box(&blocked)))
    });
    if let Ok(base) = policy::baseline() {
        c.bench_function("policy/evaluate baseline", |b| {
            b.iter(|| evaluate(black_box(&base), black_box(&facts)))
        });
        c.bench_function("policy/output_plan baseline", |b| {
            b.iter(|| output_plan(black_box(&base), black_box(&facts)))
        });
    }
    c.bench_function("policy/load (reload) 50 rules 20 systems", |b| {
        b.iter(|| load_files(black_box(&files)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
