//! Strictness: escapes, duplicate keys, depth, malformed JSON, fallbacks, pointers.

use super::super::*;
use super::{assert_consistent, rows};

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

#[test]
fn unknown_shapes_fall_back_to_every_string() {
    let body = br#"{"messages":[{"role":"user","content":[{"type":"new_part","payload":{"note":"hidden text"},"id":"x1"}],"reasoning_content":"more text"}]}"#;
    let ex = extract(Api::OpenAiChat, body).unwrap();
    assert_eq!(
        rows(&ex.segments),
        vec![
            (
                "/messages/0/content/0/payload/note",
                SegmentKind::User,
                "hidden text"
            ),
            (
                "/messages/0/reasoning_content",
                SegmentKind::User,
                "more text"
            ),
        ]
    );
}

#[test]
fn non_base64_in_a_binary_field_is_extracted_as_text() {
    let body = br#"{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"my password is hunter2"}}]}]}"#;
    let ex = extract(Api::AnthropicMessages, body).unwrap();
    assert_eq!(ex.segments.len(), 1);
    assert_eq!(ex.segments[0].text, "my password is hunter2");
    assert_eq!(ex.skipped_binary_bytes, 0);
    // A "data:" prefix does not hide plain text either.
    let url = br#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/plain,secret words"}}]}]}"#;
    assert_eq!(
        extract(Api::OpenAiChat, url).unwrap().segments[0].text,
        "data:text/plain,secret words"
    );
}

#[test]
fn pointers_escape_tilde_and_slash() {
    let body = br#"{"messages":[{"role":"user","content":"x","a/b~c":"y"}]}"#;
    let ex = extract(Api::OpenAiChat, body).unwrap();
    assert_eq!(ex.segments[1].pointer, "/messages/0/a~1b~0c");
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
