use super::*;

fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[test]
fn gen_ai_conventions_and_decision_attributes() {
    let a = attributes(&Call::sample());
    let s = |k: &str| get(&a, k).map(|v| v.as_str().into_owned());
    assert_eq!(s("gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(s("gen_ai.provider.name").as_deref(), Some("openai"));
    assert_eq!(s("gen_ai.request.model").as_deref(), Some("gpt-4o-mini"));
    assert_eq!(get(&a, "gen_ai.usage.input_tokens"), Some(&Value::I64(12)));
    assert_eq!(get(&a, "gen_ai.usage.output_tokens"), Some(&Value::I64(30)));
    assert_eq!(s("server.address").as_deref(), Some("api.openai.com"));
    assert_eq!(get(&a, "server.port"), Some(&Value::I64(443)));
    assert_eq!(s("aimsgate.decision.effect").as_deref(), Some("redact"));
    assert_eq!(s("aimsgate.decision.id").as_deref(), Some("0190-test"));
    assert_eq!(
        s("aimsgate.decision.rule_ids").as_deref(),
        Some("[\"pii-redact\"]")
    );
    assert_eq!(
        s("aimsgate.request.data_classes").as_deref(),
        Some("[\"pii.email\"]")
    );
    assert_eq!(
        s("aimsgate.response.data_classes").as_deref(),
        Some("[\"secret.api_key\"]")
    );
    assert!(get(&a, "error.type").is_none());
}

#[test]
fn names_follow_operation_and_model() {
    let mut c = Call::sample();
    assert_eq!(span_name(&c), "chat gpt-4o-mini");
    c.operation = Some("embeddings");
    c.model = None;
    assert_eq!(span_name(&c), "embeddings");
    c.operation = None;
    assert_eq!(span_name(&c), "aimsgate refused");
}

#[test]
fn providers_map_to_the_convention_names() {
    let mut c = Call::sample();
    c.upstream_kind = Some("anthropic");
    assert_eq!(c.gen_ai_provider().as_deref(), Some("anthropic"));
    c.upstream_kind = Some("azure_openai");
    assert_eq!(c.gen_ai_provider().as_deref(), Some("azure.ai.openai"));
    c.upstream_kind = Some("openai_compatible");
    c.upstream = Some("local-vllm".into());
    assert_eq!(c.gen_ai_provider().as_deref(), Some("local-vllm"));
    c.operation = Some("completions");
    c.gen_ai_operation = Some("text_completion");
    assert_eq!(c.gen_ai_operation, Some("text_completion"));
}

#[test]
fn no_attribute_carries_content() {
    // The call type holds no text fields beyond names and ids; check the attribute keys are the
    // documented set so a future field cannot slip content in unnoticed.
    let a = attributes(&Call::sample());
    for kv in &a {
        let k = kv.key.as_str();
        assert!(
            k.starts_with("gen_ai.")
                || k.starts_with("aimsgate.")
                || k.starts_with("server.")
                || k.starts_with("http.")
                || k == "error.type",
            "{k}"
        );
        assert!(!k.contains("prompt") && !k.contains("content") && !k.contains("message"));
    }
}

#[tokio::test]
async fn a_span_continues_the_callers_trace() {
    let t = Traces::start(&TracesSettings {
        endpoint: "http://127.0.0.1:9/v1/traces".into(),
        service_name: "test".into(),
    })
    .unwrap();
    let (span, trace, id) = t.begin(Some(([7; 16], [9; 8], true)), SystemTime::now());
    assert_eq!(trace, [7; 16]);
    assert_ne!(id, [9; 8]);
    assert_ne!(id, [0; 8]);
    t.finish(span, &Call::sample());
    let (_, fresh, _) = t.begin(None, SystemTime::now());
    assert_ne!(fresh, [0; 16]);
    assert_ne!(fresh, [7; 16]);
    tokio::task::spawn_blocking(move || t.shutdown())
        .await
        .unwrap();
}
