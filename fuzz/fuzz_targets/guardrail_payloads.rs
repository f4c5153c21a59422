//! Fuzz target for what other gateways send the guardrail listener: LiteLLM's guardrail request
//! and Portkey's hook context (JSON), and Envoy's ext_proc `ProcessingRequest` (protobuf). Any
//! input either fails to parse or maps without panicking; a LiteLLM request's texts survive the
//! round trip through the chat request aimsgate judges, so an unredacted text comes back intact.
#![no_main]

use aimsgate::proxy::guardrail::{ext_proc, litellm, portkey};
use envoy_types::pb::envoy::service::ext_proc::v3::{processing_request::Request, ProcessingRequest};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(g) = serde_json::from_slice::<litellm::GuardRequest>(data) {
        let body = litellm::chat_request(&g);
        let n = g.texts.as_ref().map_or(0, Vec::len);
        let (texts, tools_changed) = litellm::request_texts(&body, n, &body).expect("round trip");
        assert_eq!(texts, g.texts.clone().unwrap_or_default());
        assert!(!tools_changed);
    }
    if let Ok(c) = serde_json::from_slice::<portkey::HookContext>(data) {
        if let Ok(op) = c.operation() {
            assert!(!op.as_str().is_empty());
        }
        let v = serde_json::json!({"a": 1});
        assert_eq!(c.key(&v, "x"), c.key(&v, "x"));
    }
    if let Ok(m) = ProcessingRequest::decode(data) {
        if let Some(Request::RequestHeaders(h) | Request::ResponseHeaders(h)) = &m.request {
            let split = ext_proc::split_headers(h);
            assert!(split.map.keys().all(|k| !k.as_str().starts_with(':')));
        }
    }
});
