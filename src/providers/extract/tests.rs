//! Unit tests for request/response extraction and rewrite, on the fixtures in
//! `tests/fixtures/extract` (real provider shapes, synthetic content). Shared fixtures and
//! helpers live here; the tests are grouped by topic in `tests/`.

use super::*;

mod requests;
mod responses;
mod rewrites;
mod strictness;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/extract/",
            $name
        ))
        .as_slice()
    };
}
pub(crate) use fixture;

pub(crate) const CHAT_REQ: &[u8] = fixture!("openai_chat_request.json");
pub(crate) const RESP_REQ: &[u8] = fixture!("openai_responses_request.json");
pub(crate) const ANTH_REQ: &[u8] = fixture!("anthropic_messages_request.json");

pub(crate) fn rows(segments: &[Segment]) -> Vec<(&str, SegmentKind, &str)> {
    segments
        .iter()
        .map(|s| (s.pointer.as_str(), s.kind, s.text.as_str()))
        .collect()
}

/// Every segment's raw range holds exactly the literal that decodes to its text, and its
/// pointer resolves to the same string in a serde_json parse.
pub(crate) fn assert_consistent(body: &[u8], segments: &[Segment]) {
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap();
    for s in segments {
        let lit = &body[s.raw.clone()];
        let decoded: String = serde_json::from_slice(lit).unwrap();
        assert_eq!(decoded, s.text, "literal at {}", s.pointer);
        assert_eq!(
            parsed.pointer(&s.pointer).and_then(|v| v.as_str()),
            Some(s.text.as_str())
        );
    }
}
