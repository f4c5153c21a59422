//! `rewrite`: only edited literals change (unit and property tests).

use super::super::*;
use super::{ANTH_REQ, CHAT_REQ, RESP_REQ};
use proptest::prelude::*;

#[test]
fn rewrite_replaces_only_the_edited_literal() {
    let ex = extract(Api::OpenAiChat, CHAT_REQ).unwrap();
    let pem = &ex.segments[2];
    let out = rewrite(
        CHAT_REQ,
        &[Edit {
            raw: pem.raw.clone(),
            text: "[SECRET.PRIVATE_KEY_1] \"q\"\n".into(),
        }],
    )
    .unwrap();
    assert_eq!(&out[..pem.raw.start], &CHAT_REQ[..pem.raw.start]);
    let tail = CHAT_REQ.len() - pem.raw.end;
    assert_eq!(&out[out.len() - tail..], &CHAT_REQ[pem.raw.end..]);
    let again = extract(Api::OpenAiChat, &out).unwrap();
    assert_eq!(again.segments[2].text, "[SECRET.PRIVATE_KEY_1] \"q\"\n");
    assert_eq!(again.segments.len(), ex.segments.len());
    assert_eq!(rewrite(CHAT_REQ, &[]).unwrap(), CHAT_REQ);
}

#[test]
fn rewrite_rejects_bad_edits() {
    let body = br#"{"a":"x","b":"y"}"#;
    let cases = [
        vec![
            Edit {
                raw: 5..8,
                text: "z".into(),
            },
            Edit {
                raw: 6..8,
                text: "z".into(),
            },
        ],
        vec![Edit {
            raw: 5..100,
            text: "z".into(),
        }],
        vec![Edit {
            raw: 5..16,
            text: "z".into(),
        }], // `"x","b":"y"` spans two literals
        vec![Edit {
            raw: 0..1,
            text: "z".into(),
        }],
        vec![Edit {
            raw: std::ops::Range { start: 8, end: 5 },
            text: "z".into(),
        }],
    ];
    for edits in cases {
        assert_eq!(
            rewrite(body, &edits).unwrap_err().kind(),
            "invalid_edit",
            "{edits:?}"
        );
    }
    let ok = rewrite(
        body,
        &[Edit {
            raw: 13..16,
            text: "\u{1}é".into(),
        }],
    )
    .unwrap();
    assert_eq!(ok, b"{\"a\":\"x\",\"b\":\"\\u0001\xc3\xa9\"}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random edits over real bodies: the result parses to the same JSON except the edited
    /// strings, and every byte outside the edited literals is unchanged.
    #[test]
    fn rewrite_preserves_everything_else(
        which in 0usize..3,
        picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<String>()), 0..6),
    ) {
        let (api, body) = [(Api::OpenAiChat, CHAT_REQ), (Api::OpenAiResponses, RESP_REQ), (Api::AnthropicMessages, ANTH_REQ)][which];
        let ex = extract(api, body).unwrap();
        let mut chosen: std::collections::BTreeMap<usize, String> = Default::default();
        for (idx, text) in picks {
            chosen.insert(idx.index(ex.segments.len()), text);
        }
        let edits: Vec<Edit> = chosen.iter().map(|(&i, t)| Edit { raw: ex.segments[i].raw.clone(), text: t.clone() }).collect();
        let out = rewrite(body, &edits).unwrap();

        let mut expected: serde_json::Value = serde_json::from_slice(body).unwrap();
        for (&i, t) in &chosen {
            *expected.pointer_mut(&ex.segments[i].pointer).unwrap() = serde_json::Value::String(t.clone());
        }
        let got: serde_json::Value = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(got, expected);

        // Bytes between edits are identical, in order.
        let mut edits_sorted = edits.clone();
        edits_sorted.sort_by_key(|e| e.raw.start);
        let (mut src, mut dst) = (0usize, 0usize);
        for e in &edits_sorted {
            let gap = e.raw.start - src;
            prop_assert_eq!(&out[dst..dst + gap], &body[src..e.raw.start]);
            let lit_len = serde_json::to_string(&e.text).unwrap().len();
            dst += gap + lit_len;
            src = e.raw.end;
        }
        prop_assert_eq!(&out[dst..], &body[src..]);
        // And the rewritten body extracts cleanly with the new texts in place.
        let again = extract(api, &out).unwrap();
        for (&i, t) in &chosen {
            prop_assert_eq!(&again.segments[i].text, t);
        }
    }

    /// Extraction never panics and segment ranges always hold their text, on mutated bodies.
    #[test]
    fn extract_is_total_on_mutations(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut body = CHAT_REQ.to_vec();
        let at = pos.index(body.len());
        body[at] = byte;
        for api in Api::ALL {
            if let Ok(ex) = extract(api, &body) {
                for s in &ex.segments {
                    let decoded: String = serde_json::from_slice(&body[s.raw.clone()]).unwrap();
                    prop_assert_eq!(&decoded, &s.text);
                }
            }
        }
    }
}

#[test]
fn rewriting_tool_call_arguments_is_a_plain_string_replacement() {
    let ex = extract(Api::OpenAiChat, CHAT_REQ).unwrap();
    let args = ex
        .segments
        .iter()
        .find(|s| s.kind == SegmentKind::ToolCall)
        .unwrap();
    let new_args = r#"{"location":"[PII.ADDRESS_1]","unit":"celsius"}"#;
    let out = rewrite(
        CHAT_REQ,
        &[Edit {
            raw: args.raw.clone(),
            text: new_args.into(),
        }],
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let s = v.pointer(&args.pointer).unwrap().as_str().unwrap();
    assert_eq!(s, new_args);
    let inner: serde_json::Value = serde_json::from_str(s).unwrap();
    assert_eq!(inner["location"], "[PII.ADDRESS_1]");
}
