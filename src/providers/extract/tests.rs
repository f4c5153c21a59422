//! Unit tests for request/response extraction and rewrite, on the fixtures in
//! `tests/fixtures/extract` (real provider shapes, synthetic content). Shared fixtures and
//! helpers live here; the tests are grouped by topic in `tests/`.

use super::*;

mod bedrock;
mod fields;
mod planted;
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

/// `expected` rows appear in `actual` in this order (requests also carry every other literal
/// of the body, which [`assert_complete`] checks).
#[track_caller]
pub(crate) fn assert_in_order(
    actual: Vec<(&str, SegmentKind, &str)>,
    expected: Vec<(&str, SegmentKind, &str)>,
) {
    let mut rest = actual.iter();
    for want in &expected {
        assert!(
            rest.any(|got| got == want),
            "{want:?} missing or out of order in {actual:#?}"
        );
    }
}

/// Every segment's raw range holds exactly the literal that decodes to its text (per its
/// [`Literal`] kind), and its pointer resolves to the same value in a serde_json parse.
#[track_caller]
pub(crate) fn assert_consistent(body: &[u8], segments: &[Segment]) {
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap();
    for s in segments {
        let lit = &body[s.raw.clone()];
        let at = parsed.pointer(&s.pointer);
        match s.literal {
            Literal::Str => {
                let decoded: String = serde_json::from_slice(lit).unwrap();
                assert_eq!(decoded, s.text, "literal at {}", s.pointer);
                assert_eq!(at.and_then(|v| v.as_str()), Some(s.text.as_str()));
            }
            Literal::Key => {
                let decoded: String = serde_json::from_slice(lit).unwrap();
                assert_eq!(decoded, s.text, "key at {}", s.pointer);
                assert!(at.is_some(), "member {} exists", s.pointer);
                let last = s.pointer.rsplit('/').next().unwrap();
                assert_eq!(last.replace("~1", "/").replace("~0", "~"), s.text);
            }
            Literal::Number => {
                assert_eq!(std::str::from_utf8(lit).unwrap(), s.text);
                assert!(at.is_some_and(|v| v.is_number()), "number at {}", s.pointer);
            }
            Literal::Base64 => {
                assert_eq!(body[s.raw.start - 1], b'"');
                assert_eq!(body[s.raw.end], b'"');
                let full = at.and_then(|v| v.as_str()).unwrap();
                let payload = full.rsplit(',').next().unwrap();
                let bytes =
                    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, payload)
                        .unwrap();
                assert_eq!(String::from_utf8(bytes).unwrap(), s.text);
            }
        }
    }
}

/// Completeness: every string value, object key and number of `body` is a segment, except the
/// string values at `binary` (pointers of payloads proven binary).
#[track_caller]
pub(crate) fn assert_complete(body: &[u8], segments: &[Segment], binary: &[&str]) {
    fn walk(v: &serde_json::Value, ptr: &str, out: &mut Vec<(String, Literal)>) {
        match v {
            serde_json::Value::String(_) => out.push((ptr.to_owned(), Literal::Str)),
            serde_json::Value::Number(n)
                if n.to_string().bytes().filter(u8::is_ascii_digit).count()
                    >= walk::MIN_NUMBER_DIGITS =>
            {
                out.push((ptr.to_owned(), Literal::Number))
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{ptr}/{i}"), out);
                }
            }
            serde_json::Value::Object(members) => {
                for (k, child) in members {
                    let p = walk::push(ptr, k);
                    out.push((p.clone(), Literal::Key));
                    walk(child, &p, out);
                }
            }
            _ => {}
        }
    }
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap();
    let mut literals = Vec::new();
    walk(&parsed, "", &mut literals);
    for (ptr, lit) in literals {
        if lit == Literal::Str && binary.contains(&ptr.as_str()) {
            assert!(
                !segments
                    .iter()
                    .any(|s| s.pointer == ptr && s.literal != Literal::Key),
                "{ptr} is binary, not a segment"
            );
            continue;
        }
        let found = segments.iter().any(|s| {
            s.pointer == ptr
                && (s.literal == lit || (lit == Literal::Str && s.literal == Literal::Base64))
        });
        assert!(found, "{lit:?} at {ptr} is not a segment");
    }
}
