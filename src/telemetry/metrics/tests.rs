use super::*;
use crate::telemetry::call::Call;

fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(prefix))
}

#[test]
fn a_call_lands_in_every_family() {
    let m = Metrics::default();
    m.observe(&Call::sample());
    m.observe(&Call::sample());
    let out = m.render();
    let req = line(&out, "aimsgate_requests_total{").unwrap();
    for label in [
        "ai_system=\"support-bot\"",
        "upstream=\"openai\"",
        "model=\"gpt-4o-mini\"",
        "operation=\"chat\"",
        "effect=\"redact\"",
        "status=\"200\"",
    ] {
        assert!(req.contains(label), "{req}");
    }
    assert!(req.ends_with(" 2"), "{req}");
    assert!(out.contains("aimsgate_decisions_total{ai_system=\"support-bot\",effect=\"redact\"} 2"));
    assert!(out.contains(
        "aimsgate_rule_matches_total{rule=\"pii-redact\",effect=\"redact\",mode=\"enforced\"} 2"
    ));
    assert!(out.contains(
        "aimsgate_rule_matches_total{rule=\"secrets-block\",effect=\"block\",mode=\"monitor\"} 2"
    ));
    assert!(out.contains(
        "aimsgate_findings_total{class=\"pii.email\",direction=\"request\",action=\"redacted\"} 4"
    ));
    assert!(out.contains("token_type=\"output\"} 60"), "{out}");
    assert!(out.contains(
        "aimsgate_request_duration_seconds_count{operation=\"chat\",upstream=\"openai\"} 2"
    ));
    assert!(out.contains(
        "aimsgate_added_latency_seconds_count{operation=\"chat\",upstream=\"openai\"} 2"
    ));
    assert!(out.contains(
        "aimsgate_time_to_first_token_seconds_count{upstream=\"openai\",model=\"gpt-4o-mini\"} 2"
    ));
}

#[test]
fn unstreamed_calls_have_no_time_to_first_token() {
    let m = Metrics::default();
    let mut c = Call::sample();
    c.stream = false;
    m.observe(&c);
    assert!(!m
        .render()
        .contains("aimsgate_time_to_first_token_seconds_count{"));
}

#[test]
fn request_derived_labels_are_bounded_and_cut() {
    let b = Bounded::default();
    for i in 0..MAX_LABEL_VALUES {
        assert_eq!(b.admit(Some(&format!("m{i}"))), format!("m{i}"));
    }
    assert_eq!(b.admit(Some("one-too-many")), "other");
    assert_eq!(b.admit(Some("m7")), "m7");
    assert_eq!(b.admit(None), "-");
    let long = "é".repeat(100);
    let cut = Bounded::default().admit(Some(&long));
    assert!(cut.len() <= MAX_LABEL_LEN && cut.chars().all(|c| c == 'é'));
}

#[test]
fn reloads_and_evidence_counters_render() {
    let m = Metrics::default();
    m.reload("activated");
    m.fail_closed_refusals.inc();
    m.evidence_append.observe(0.0002);
    let out = m.render();
    assert!(out.contains("aimsgate_policy_reloads_total{result=\"activated\"} 1"));
    assert!(out.contains("aimsgate_evidence_fail_closed_refusals_total 1"));
    assert!(out.contains("aimsgate_evidence_append_seconds_count 1"));
}
