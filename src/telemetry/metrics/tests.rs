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
        "model=\"gpt-4o*\"",
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
        "aimsgate_time_to_first_token_seconds_count{upstream=\"openai\",model=\"gpt-4o*\"} 2"
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
fn model_and_system_labels_are_the_calls_configured_label_values() {
    let m = Metrics::default();
    let mut c = Call::sample();
    c.model = Some("gpt-4o-AKIA2E4G6J7K3M5N7P2Q".into());
    c.ai_system = Some("unlisted-system".into());
    c.model_label = "gpt-4o*".into();
    c.ai_system_label = "other".into();
    m.observe(&c);
    let out = m.render();
    assert!(out.contains("model=\"gpt-4o*\""), "{out}");
    assert!(out.contains("ai_system=\"other\""), "{out}");
    assert!(
        !out.contains("AKIA") && !out.contains("unlisted-system"),
        "{out}"
    );
    let mut long = Call::sample();
    long.model_label = "é".repeat(100);
    m.observe(&long);
    let out = m.render();
    assert!(
        !out.contains(&"é".repeat(MAX_LABEL_LEN / 2 + 1)),
        "label not cut"
    );
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
