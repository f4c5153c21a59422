//! Property tests: on arbitrary facts against the shipped health-care bundle, evaluation never
//! panics, agrees with `explain`, and its effect is exactly the precedence over the fired rules.

use crate::policy::*;
use crate::taxonomy::ClassCount;
use proptest::prelude::*;

const CLASSES: &[&str] = &[
    "pii.email",
    "pii.us_ssn",
    "pii.person_name",
    "financial.credit_card",
    "health.medical_record_number",
    "health.us_npi",
    "secret.jwt",
    "custom.codename",
];
const SYSTEMS: &[&str] = &[
    "patient-support-assistant",
    "clinical-coding-helper",
    "internal-kb-search",
    "symptom-triage-bot",
    "shadow",
];
const GROUPS: &[&str] = &[
    "support-agents",
    "support-leads",
    "coders",
    "staff",
    "other",
];

fn bundle() -> Bundle {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/healthcare");
    load_dir(&dir).unwrap()
}

/// The kind of a traced effect (`redact(pii.email)` → `Redact`).
fn kind_of(effect: &str) -> Option<EffectKind> {
    EffectKind::parse(effect.split('(').next().unwrap_or(""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn effect_is_the_precedence_over_fired_rules(
        sys in proptest::option::of(0..SYSTEMS.len()),
        groups in proptest::collection::vec(0..GROUPS.len(), 0..3),
        classes in proptest::collection::vec((0..CLASSES.len(), 0u32..30), 0..5),
        model in prop_oneof![Just(None), Just(Some("gpt-4o-mini")), Just(Some("claude-sonnet-4")), Just(Some("o3"))],
        upstream in prop_oneof![Just("openai"), Just("anthropic")],
        op in 0..OPERATIONS.len(),
        stream: bool,
        max_tokens in proptest::option::of(0u64..10_000),
        unscanned in 0u64..3,
    ) {
        let b = bundle();
        let groups: Vec<String> = groups.iter().map(|&i| GROUPS[i].to_owned()).collect();
        let classes: Vec<ClassCount<&str>> =
            classes.iter().map(|&(i, n)| ClassCount::new(CLASSES[i], n)).collect();
        let facts = Facts {
            principal: "p",
            auth_method: "api_key",
            groups: &groups,
            ai_system: sys.map(|i| SYSTEMS[i]),
            upstream,
            model,
            operation: OPERATIONS[op],
            classes: &classes,
            stream,
            max_tokens,
            unscanned_bytes: unscanned,
            limits: &[],
        };
        let d = evaluate(&b, &facts);
        let e = explain(&b, &facts);
        prop_assert_eq!(&e.decision, &d);
        let enforced: Vec<&RuleTrace> = e.rules.iter().filter(|r| r.fired && !r.monitor).collect();
        let kinds: Vec<Option<EffectKind>> = enforced.iter().map(|r| kind_of(&r.effect)).collect();
        prop_assert!(kinds.iter().all(Option::is_some), "unparsed effect in {:?}", enforced);
        match kinds.into_iter().flatten().max() {
            Some(t) => prop_assert_eq!(d.effect.effect_kind(), t),
            None => {
                prop_assert_eq!(d.effect.kind(), b.default_effect().kind());
                prop_assert_eq!(d.rules.len(), 1);
                prop_assert_eq!(&*d.rules[0].id, "default");
            }
        }
        for r in &d.rules {
            prop_assert!(r.id.as_ref() == "default" || enforced.iter().any(|t| t.id == *r.id));
        }
    }
}

#[test]
fn bundle_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Bundle>();
    check::<Decision>();
}
