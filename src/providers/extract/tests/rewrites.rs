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
        let mut ex = extract(api, body).unwrap();
        // String values only here; keys, numbers and decoded base64 have their own tests.
        ex.segments.retain(|s| s.literal == Literal::Str);
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
        // And the rewritten body extracts cleanly with the new texts in place (scanning: an
        // edited `type` may make a part unknown).
        let scan = ExtractOptions { unknown_shapes: UnknownShapes::Scan };
        let again = extract_with(api, &out, scan).unwrap();
        for (&i, t) in &chosen {
            let at = &ex.segments[i].pointer;
            prop_assert!(
                again.segments.iter().any(|s| &s.pointer == at && &s.text == t),
                "{} holds the new text", at
            );
        }
    }

    /// Random edits of every literal kind (values, keys, numbers, decoded base64) keep the body
    /// valid JSON, and the rewritten body reads back with each new text in place.
    #[test]
    fn rewrite_of_any_literal_kind_stays_valid_json(
        which in 0usize..3,
        picks in proptest::collection::vec((any::<prop::sample::Index>(), "[a-zA-Z0-9 \\[\\]\"\\\\_.-]{0,12}"), 0..8),
    ) {
        let (api, body) = [(Api::OpenAiChat, CHAT_REQ), (Api::OpenAiResponses, RESP_REQ), (Api::AnthropicMessages, ANTH_REQ)][which];
        let ex = extract(api, body).unwrap();
        let mut chosen: std::collections::BTreeMap<usize, String> = Default::default();
        for (idx, text) in picks {
            // Distinct texts, so renamed keys of one object never collide.
            let i = idx.index(ex.segments.len());
            chosen.insert(i, format!("{text}#{i}"));
        }
        let edits: Vec<Edit> = chosen.iter().map(|(&i, t)| Edit { raw: ex.segments[i].raw.clone(), text: t.clone() }).collect();
        let out = rewrite(body, &edits).unwrap();
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
        let scan = ExtractOptions { unknown_shapes: UnknownShapes::Scan };
        let again = extract_with(api, &out, scan).unwrap();
        for t in chosen.values() {
            prop_assert!(again.segments.iter().any(|s| &s.text == t), "{} read back", t);
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
                    let lit = &body[s.raw.clone()];
                    match s.literal {
                        Literal::Str | Literal::Key => {
                            let decoded: String = serde_json::from_slice(lit).unwrap();
                            prop_assert_eq!(&decoded, &s.text);
                        }
                        Literal::Number => prop_assert_eq!(lit, s.text.as_bytes()),
                        Literal::Base64 => prop_assert_eq!(body[s.raw.end], b'"'),
                    }
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

#[test]
fn keys_numbers_and_decoded_base64_are_rewritten_as_valid_json() {
    let b64 = |t: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, t);
    let body = format!(
        r#"{{"model":"m","max_tokens":5,"metadata":{{"AKIAQX4BZL7NW2MOSR6T":4539148803436467}},"messages":[{{"role":"user","content":[{{"type":"document","source":{{"type":"base64","media_type":"text/plain","data":"{}"}}}},{{"type":"image","source":{{"type":"url","url":"data:text/plain;base64,{}"}}}}]}}]}}"#,
        b64("key AKIAQX4BZL7NW2MOSR6T here"),
        b64("card 4539148803436467")
    );
    let body = body.as_bytes();
    let ex = extract(Api::AnthropicMessages, body).unwrap();
    super::assert_consistent(body, &ex.segments);
    let pick = |lit: Literal, text: &str| {
        ex.segments
            .iter()
            .find(|s| s.literal == lit && s.text.contains(text))
            .unwrap_or_else(|| panic!("{lit:?} {text}"))
            .clone()
    };
    let key = pick(Literal::Key, "AKIA");
    let number = pick(Literal::Number, "4539");
    let doc = pick(Literal::Base64, "key AKIA");
    let url = pick(Literal::Base64, "card");
    assert_eq!(doc.pointer, "/messages/0/content/0/source/data");
    let edits = [
        Edit {
            raw: key.raw.clone(),
            text: "[SECRET]".into(),
        },
        Edit {
            raw: number.raw.clone(),
            text: "[CARD]".into(),
        },
        Edit {
            raw: doc.raw.clone(),
            text: "key [SECRET] here".into(),
        },
        Edit {
            raw: url.raw.clone(),
            text: "card [CARD]".into(),
        },
    ];
    let out = rewrite(body, &edits).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["metadata"]["[SECRET]"], "[CARD]",
        "key renamed, number now a string"
    );
    let src = &v["messages"][0]["content"][0]["source"];
    assert_eq!(src["data"], b64("key [SECRET] here"), "re-encoded");
    assert_eq!(src["media_type"], "text/plain");
    assert_eq!(
        v["messages"][0]["content"][1]["source"]["url"],
        format!("data:text/plain;base64,{}", b64("card [CARD]")),
        "the data URL keeps its prefix"
    );
    // And the result reads back with the new texts.
    let again = extract(Api::AnthropicMessages, &out).unwrap();
    let texts: Vec<&str> = again.segments.iter().map(|s| s.text.as_str()).collect();
    for want in ["[SECRET]", "[CARD]", "key [SECRET] here", "card [CARD]"] {
        assert!(texts.contains(&want), "{want} in {texts:?}");
    }
    assert!(!String::from_utf8_lossy(&out).contains("AKIA"));
}

#[test]
fn a_range_that_is_no_literal_is_refused() {
    let body = br#"{"a":12,"b":"xy"}"#;
    for raw in [5..6, 4..6, 0..1, 13..14] {
        let err = rewrite(
            body,
            &[Edit {
                raw: raw.clone(),
                text: "z".into(),
            }],
        );
        assert!(err.is_err(), "{raw:?}");
    }
    // The number, and the content between the quotes of `"xy"` (not base64 text, but the
    // range shape is accepted and re-encoded).
    assert_eq!(
        rewrite(
            body,
            &[Edit {
                raw: 5..7,
                text: "z".into()
            }]
        )
        .unwrap(),
        br#"{"a":"z","b":"xy"}"#
    );
}
