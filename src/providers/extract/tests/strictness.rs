//! Strictness: escapes, duplicate keys, depth, malformed JSON, fallbacks, pointers.

use super::super::*;
use super::{assert_consistent, assert_in_order, rows};

#[test]
fn unicode_escapes_and_surrogate_pairs() {
    let body = br#"{"messages":[{"role":"user","content":"\u0041\u00e9\u4e2d\ud83d\ude00\/\b\f\r\n\t\"\\"}]}"#;
    let ex = extract(Api::OpenAiChat, body).unwrap();
    assert_eq!(
        ex.segments[0].text,
        "A\u{e9}\u{4e2d}\u{1F600}/\u{8}\u{c}\r\n\t\"\\"
    );
    let lone = br#"{"messages":[{"role":"user","content":"\ud83d x"}]}"#;
    assert_eq!(
        extract(Api::OpenAiChat, lone).unwrap_err().kind(),
        "malformed_json"
    );
}

#[test]
fn pem_with_escaped_newlines_comes_out_with_real_newlines() {
    let body = br#"{"messages":[{"role":"user","content":"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"}]}"#;
    let text = &extract(Api::OpenAiChat, body).unwrap().segments[0].text;
    assert_eq!(
        text,
        "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
    );
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn duplicate_keys_are_rejected_anywhere() {
    let cases: [&[u8]; 4] = [
        br#"{"model":"a","model":"b","messages":[]}"#,
        br#"{"messages":[{"role":"user","content":"x","content":"y"}]}"#,
        br#"{"messages":[{"role":"user","content":"x","c\u006fntent":"y"}]}"#,
        br#"{"messages":[],"metadata":{"k":1,"k":2}}"#,
    ];
    for body in cases {
        let err = extract(Api::OpenAiChat, body).unwrap_err();
        assert_eq!(
            err.kind(),
            "duplicate_key",
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let err = extract(Api::OpenAiChat, cases[1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate object key at line 1 column 43 (ambiguous JSON is refused)"
    );
}

#[test]
fn deep_nesting_is_rejected_without_stack_overflow() {
    for depth in [130usize, 10_000, 200_000] {
        let body = format!(
            "{{\"messages\":{}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let err = extract(Api::OpenAiChat, body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), "too_deep");
    }
    let ok = format!("{{\"messages\":[{}{}]}}", "[".repeat(100), "]".repeat(100));
    assert!(extract(Api::OpenAiChat, ok.as_bytes()).is_ok());
}

#[test]
fn malformed_json_reports_position_without_content() {
    let body = b"{\"model\": \"secret-value\",\n  \"messages\" []}";
    let err = extract(Api::OpenAiChat, body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed JSON at line 2 column 14: expected `:`"
    );
    assert_eq!(err.kind(), "malformed_json");
    for bad in [
        &b""[..],
        b"{",
        b"{\"a\":1,}",
        b"{\"a\":NaN}",
        b"{\"a\":1} x",
        b"\xff",
        b"{\"a\":\"\xff\"}",
        b"{\"a\":1e400}",
        b"{\"a\":\"\\udc00\"}",
    ] {
        let err = extract(Api::OpenAiChat, bad).unwrap_err();
        assert_eq!(err.kind(), "malformed_json", "{bad:?}");
        assert!(!err.to_string().contains("secret"));
    }
    let err = extract(Api::OpenAiChat, b"{\"a\":\n [1, -1e999]}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed JSON at line 2 column 6: number out of range"
    );
    let err = extract(Api::OpenAiChat, b"{\"a\": \"ok \\ud800\"}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed JSON at line 1 column 7: lone surrogate in hex escape"
    );
    for not_obj in [&b"[1]"[..], b"\"s\"", b"null", b"3"] {
        assert_eq!(
            extract(Api::OpenAiChat, not_obj).unwrap_err(),
            ExtractError::NotObject
        );
    }
}

const SCAN: ExtractOptions = ExtractOptions {
    unknown_shapes: UnknownShapes::Scan,
};

#[test]
fn unknown_shapes_are_refused_by_default_and_scanned_on_request() {
    let body = br#"{"messages":[{"role":"user","content":[{"type":"new_part","payload":{"note":"hidden text"},"id":"x1"}],"reasoning_content":"more text"}]}"#;
    let err = extract(Api::OpenAiChat, body).unwrap_err();
    assert_eq!(err.kind(), "unknown_shape");
    assert_eq!(
        err,
        ExtractError::UnknownShape {
            at: "/messages/0/content/0".into()
        }
    );
    let ex = extract_with(Api::OpenAiChat, body, SCAN).unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            (
                "/messages/0/content/0/payload/note",
                SegmentKind::User,
                "hidden text",
            ),
            (
                "/messages/0/reasoning_content",
                SegmentKind::User,
                "more text",
            ),
        ],
    );
    super::assert_complete(body, &ex.segments, &[]);
}

#[test]
fn unknown_members_are_named_by_position_never_by_content() {
    let cases: [(Api, &[u8], &str); 6] = [
        (
            Api::OpenAiChat,
            br#"{"model":"m","messages":[],"AKIAQX4BZL7NW2MOSR6T":"x"}"#,
            "member 2 of the top-level object",
        ),
        (
            Api::OpenAiChat,
            br#"{"model":"m","messages":[{"role":"user","content":"hi","ghp_x":1}]}"#,
            "/messages/0 member 2",
        ),
        (
            Api::OpenAiResponses,
            br#"{"model":"m","input":[{"type":"new_item","text":"t"}]}"#,
            "/input/0",
        ),
        (
            Api::OpenAiResponses,
            br#"{"model":"m","input":[{"role":"user","content":[{"type":"input_video","url":"u"}]}]}"#,
            "/input/0/content/0",
        ),
        (
            Api::AnthropicMessages,
            br#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi","extra":"x"}]}"#,
            "/messages/0 member 2",
        ),
        (
            Api::AnthropicCountTokens,
            br#"{"model":"m","max_tokens":1,"messages":[]}"#,
            "member 1 of the top-level object",
        ),
    ];
    for (api, body, at) in cases {
        let err = extract(api, body).unwrap_err();
        assert_eq!(err, ExtractError::UnknownShape { at: at.into() }, "{api:?}");
        let msg = err.to_string();
        assert!(!msg.contains("AKIA") && !msg.contains("ghp_"), "{msg}");
        assert!(extract_with(api, body, SCAN).is_ok());
    }
}

#[test]
fn known_fields_of_each_api_are_not_unknown() {
    let cases: [(Api, &[u8]); 6] = [
        (
            Api::OpenAiChat,
            br#"{"model":"m","messages":[{"role":"user","content":"hi","name":"n"}],"temperature":0.2,"top_p":1,"metadata":{"k":"v"},"user":"u","seed":1,"tools":[],"tool_choice":"auto","parallel_tool_calls":true,"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"low","store":false,"service_tier":"auto","logprobs":true,"top_logprobs":2,"stop":["x"],"n":1,"modalities":["text"],"audio":{"voice":"alloy","format":"wav"},"prediction":{"type":"content","content":"p"},"response_format":{"type":"text"},"max_completion_tokens":5,"frequency_penalty":0,"presence_penalty":0,"logit_bias":{"1":2}}"#,
        ),
        (
            Api::OpenAiResponses,
            br#"{"model":"m","input":"hi","instructions":"i","temperature":1,"top_p":1,"metadata":{},"user":"u","tools":[],"tool_choice":"auto","parallel_tool_calls":true,"reasoning":{"effort":"low"},"store":true,"service_tier":"auto","stream":false,"text":{"format":{"type":"text"}},"truncation":"auto","include":[],"previous_response_id":"r","max_output_tokens":5}"#,
        ),
        (
            Api::OpenAiEmbeddings,
            br#"{"model":"m","input":"hi","dimensions":8,"encoding_format":"float","user":"u"}"#,
        ),
        (
            Api::OpenAiCompletions,
            br#"{"model":"m","prompt":"hi","max_tokens":5,"temperature":1,"top_p":1,"n":1,"stream":false,"logprobs":1,"echo":false,"stop":"x","best_of":1,"logit_bias":{},"user":"u","seed":1,"suffix":"s"}"#,
        ),
        (
            Api::AnthropicMessages,
            br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"system":"s","temperature":1,"top_k":5,"top_p":1,"stop_sequences":["x"],"stream":false,"metadata":{"user_id":"u"},"tools":[],"tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":1024},"service_tier":"auto","mcp_servers":[]}"#,
        ),
        (
            Api::AnthropicCountTokens,
            br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"system":"s","tools":[],"tool_choice":{"type":"auto"},"thinking":{"type":"disabled"}}"#,
        ),
    ];
    for (api, body) in cases {
        let ex = extract(api, body).unwrap_or_else(|e| panic!("{api:?}: {e}"));
        super::assert_complete(body, &ex.segments, &[]);
    }
}

#[test]
fn a_credential_under_a_binary_type_that_is_not_that_binary_is_scanned() {
    let body = br#"{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"my password is hunter2"}},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AKIAQX4BZL7NW2MOSR6T"}}]}]}"#;
    let ex = extract(Api::AnthropicMessages, body).unwrap();
    let data: Vec<&str> = ex
        .segments
        .iter()
        .filter(|s| s.pointer.ends_with("/source/data") && s.literal == Literal::Str)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(data, vec!["my password is hunter2", "AKIAQX4BZL7NW2MOSR6T"]);
    assert_eq!(ex.skipped_binary_bytes, 0);
    // A "data:" prefix does not hide plain text either.
    let url = br#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/plain,secret words"}}]}]}"#;
    assert!(extract(Api::OpenAiChat, url)
        .unwrap()
        .segments
        .iter()
        .any(|s| s.text == "data:text/plain,secret words"));
}

#[test]
fn pointers_escape_tilde_and_slash() {
    let body = br#"{"messages":[{"role":"user","content":"x","a/b~c":"y"}]}"#;
    let ex = extract_with(Api::OpenAiChat, body, SCAN).unwrap();
    let y = ex.segments.iter().find(|s| s.text == "y").unwrap();
    assert_eq!(y.pointer, "/messages/0/a~1b~0c");
    let key = ex.segments.iter().find(|s| s.text == "a/b~c").unwrap();
    assert_eq!(
        (key.pointer.as_str(), key.literal),
        ("/messages/0/a~1b~0c", Literal::Key)
    );
    assert_consistent(body, &ex.segments);
}

#[test]
fn error_kinds_and_messages_are_stable() {
    let cases = [
        (
            ExtractError::NotObject,
            "not_an_object",
            "request body must be a JSON object",
        ),
        (
            ExtractError::TooDeep { max: 128 },
            "too_deep",
            "JSON nested deeper than 128 levels",
        ),
        (
            ExtractError::InvalidEdit("edits overlap"),
            "invalid_edit",
            "invalid edit: edits overlap",
        ),
        (
            ExtractError::Internal,
            "internal",
            "internal error while reading the JSON body",
        ),
    ];
    for (err, kind, msg) in cases {
        assert_eq!(err.kind(), kind);
        assert_eq!(err.to_string(), msg);
    }
}

#[test]
fn surrogate_pairing_matches_serde_json() {
    let cases = [
        r#""\ud83d\ude00""#,
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83dx""#,
        r#""\ud83d\u0041""#,
        r#""\ud83d\ud83d\ude00""#,
        r#""\\ud800""#,
        r#""a\n\u00e9\ud800\udc00\t""#,
        r#""\ude00\ud83d""#,
    ];
    for lit in cases {
        let body = format!("{{\"prompt\":{lit}}}");
        let ours = extract(Api::OpenAiCompletions, body.as_bytes()).is_ok();
        let serde = serde_json::from_str::<serde_json::Value>(&body).is_ok();
        assert_eq!(ours, serde, "{lit}");
    }
}

#[test]
fn a_body_of_too_many_values_is_refused_and_small_numbers_are_not_segments() {
    // Millions of tiny values would multiply the body's size in memory: refused past the cap.
    let many = vec!["\"a\""; walk::MAX_SEGMENTS + 1].join(",");
    let body =
        format!(r#"{{"model":"m","messages":[{{"role":"user","content":"hi"}}],"stop":[{many}]}}"#);
    let err = extract(Api::OpenAiChat, body.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), "too_many_values");
    assert!(!err.to_string().contains("\"a\""));
    // The same count of small numbers costs nothing: they can hold no class.
    let zeros = vec!["0"; walk::MAX_SEGMENTS + 1].join(",");
    let body = format!(
        r#"{{"model":"m","messages":[{{"role":"user","content":"hi"}}],"logit_bias":{{"1":5}},"tools":[{{"type":"function","function":{{"name":"f","parameters":{{"type":"integer","enum":[{zeros}]}}}}}}]}}"#
    );
    let ex = extract(Api::OpenAiChat, body.as_bytes()).unwrap();
    assert!(ex.segments.len() < 50, "{}", ex.segments.len());
}
