//! Bypass suite: every model-visible field of every request shape is classified (issue 14, item 2) and bodies on bodiless routes are refused (item 5).
//! Each case asserts what the mock provider received and what the evidence recorded.
//!
//! Item 2 cases run under the shipped baseline bundle (credentials blocked, card numbers
//! redacted, unscanned bytes flagged for review): a credential planted in each position the issue
//! names is refused before the provider sees anything, a card number written as a JSON number is
//! redacted, a real image is skipped and counted as unscanned, base64 that is not the binary it
//! claims to be is scanned, text-typed base64 is decoded and scanned, and an unknown shape is
//! refused with 400 unless `[classify] unknown_shapes = "scan"`.

use crate::support::*;

const AWS: &str = "AKIAQX4BZL7NW2MOSR6T";
const GH: &str = "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";
/// A real 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
/// base64 of "Notes from the incident: aws_access_key_id=AKIAQX4BZL7NW2MOSR6T".
const NOTES_B64: &str =
    "Tm90ZXMgZnJvbSB0aGUgaW5jaWRlbnQ6IGF3c19hY2Nlc3Nfa2V5X2lkPUFLSUFRWDRCWkw3TlcyTU9TUjZU";
const SYS: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");

fn chat(extra: &str) -> String {
    format!(r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"hello"}}]{extra}}}"#)
}

fn anthropic(messages: &str, extra: &str) -> String {
    format!(r#"{{"model":"claude-sonnet-4-5","max_tokens":16,"messages":{messages}{extra}}}"#)
}

/// One planted credential: route, body, the class the evidence must name.
struct Case {
    name: &'static str,
    path: &'static str,
    body: String,
    class: &'static str,
}

fn credential_cases() -> Vec<Case> {
    let tool = |name: &str, props: &str| {
        format!(
            r#","tools":[{{"type":"function","function":{{"name":"{name}","description":"d","parameters":{{"type":"object","properties":{props}}}}}}}]"#
        )
    };
    let anth_user = r#"[{"role":"user","content":"hello"}]"#;
    vec![
        Case {
            name: "messages[].name",
            path: "/v1/chat/completions",
            body: format!(
                r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","name":"{GH}","content":"hello"}}]}}"#
            ),
            class: "secret.github_token",
        },
        Case {
            name: "tools[].function.name",
            path: "/v1/chat/completions",
            body: chat(&tool(GH, r#"{"q":{"type":"string"}}"#)),
            class: "secret.github_token",
        },
        Case {
            name: "tool_calls[].function.name",
            path: "/v1/chat/completions",
            body: format!(
                r#"{{"model":"gpt-4o-mini","messages":[{{"role":"assistant","content":null,"tool_calls":[{{"id":"c1","type":"function","function":{{"name":"{AWS}","arguments":"{{}}"}}}}]}},{{"role":"tool","tool_call_id":"c1","content":"ok"}}]}}"#
            ),
            class: "secret.aws_access_key",
        },
        Case {
            name: "JSON-schema property name",
            path: "/v1/chat/completions",
            body: chat(&tool(
                "lookup",
                &format!(r#"{{"{AWS}":{{"type":"string"}}}}"#),
            )),
            class: "secret.aws_access_key",
        },
        Case {
            name: "JSON-schema pattern",
            path: "/v1/chat/completions",
            body: chat(&tool(
                "lookup",
                &format!(r#"{{"q":{{"type":"string","pattern":"^{AWS}$"}}}}"#),
            )),
            class: "secret.aws_access_key",
        },
        Case {
            name: "response_format.json_schema.name",
            path: "/v1/chat/completions",
            body: chat(&format!(
                r#","response_format":{{"type":"json_schema","json_schema":{{"name":"{GH}","schema":{{"type":"object"}}}}}}"#
            )),
            class: "secret.github_token",
        },
        Case {
            name: "Responses text.format.name",
            path: "/v1/responses",
            body: format!(
                r#"{{"model":"gpt-4o-mini","input":"hello","text":{{"format":{{"type":"json_schema","name":"{GH}","schema":{{"type":"object"}}}}}}}}"#
            ),
            class: "secret.github_token",
        },
        Case {
            name: "Responses function_call name",
            path: "/v1/responses",
            body: format!(
                r#"{{"model":"gpt-4o-mini","input":[{{"type":"function_call","call_id":"c","name":"{AWS}","arguments":"{{}}"}},{{"type":"function_call_output","call_id":"c","output":"ok"}}]}}"#
            ),
            class: "secret.aws_access_key",
        },
        Case {
            name: "Anthropic tools[].name",
            path: "/v1/messages",
            body: anthropic(
                anth_user,
                &format!(
                    r#","tools":[{{"name":"{GH}","description":"d","input_schema":{{"type":"object"}}}}]"#
                ),
            ),
            class: "secret.github_token",
        },
        Case {
            name: "Anthropic tool_use.name",
            path: "/v1/messages",
            body: anthropic(
                &format!(
                    r#"[{{"role":"user","content":"hi"}},{{"role":"assistant","content":[{{"type":"tool_use","id":"t1","name":"{AWS}","input":{{}}}}]}},{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t1","content":"ok"}}]}}]"#
                ),
                "",
            ),
            class: "secret.aws_access_key",
        },
        Case {
            name: "Anthropic tool-input object key",
            path: "/v1/messages",
            body: anthropic(
                &format!(
                    r#"[{{"role":"user","content":"hi"}},{{"role":"assistant","content":[{{"type":"tool_use","id":"t1","name":"lookup","input":{{"{GH}":true}}}}]}},{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t1","content":"ok"}}]}}]"#
                ),
                "",
            ),
            class: "secret.github_token",
        },
        Case {
            name: "object key of a known free-form field (metadata)",
            path: "/v1/chat/completions",
            body: chat(&format!(r#","metadata":{{"{AWS}":"x"}}"#)),
            class: "secret.aws_access_key",
        },
        Case {
            name: "data under a binary media type that is not that binary",
            path: "/v1/messages",
            body: anthropic(
                &format!(
                    r#"[{{"role":"user","content":[{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{AWS}"}}}},{{"type":"text","text":"what is this?"}}]}}]"#
                ),
                "",
            ),
            class: "secret.aws_access_key",
        },
        Case {
            name: "text/plain base64 document (decoded)",
            path: "/v1/messages",
            body: anthropic(
                &format!(
                    r#"[{{"role":"user","content":[{{"type":"document","source":{{"type":"base64","media_type":"text/plain","data":"{NOTES_B64}"}}}},{{"type":"text","text":"summarise"}}]}}]"#
                ),
                "",
            ),
            class: "secret.aws_access_key",
        },
        Case {
            name: "data:text/plain;base64 URL (decoded)",
            path: "/v1/chat/completions",
            body: format!(
                r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":[{{"type":"file","file":{{"filename":"notes.txt","file_data":"data:text/plain;base64,{NOTES_B64}"}}}}]}}]}}"#
            ),
            class: "secret.aws_access_key",
        },
    ]
}

fn classes_of(d: &serde_json::Value) -> Vec<String> {
    d["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["class"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn auth(path: &str) -> (&'static str, &'static str) {
    if path.starts_with("/v1/messages") {
        ANTHROPIC_AUTH
    } else {
        OPENAI_AUTH
    }
}

#[tokio::test]
async fn a_credential_in_any_model_visible_field_never_reaches_the_provider() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let mut ids = Vec::new();
    for case in credential_cases() {
        let r = post(&gw.url(case.path), &[auth(case.path), SYS], &case.body).await;
        assert_eq!(r.status, 403, "{}: {}", case.name, r.text());
        assert!(
            !r.text().contains(AWS) && !r.text().contains(GH),
            "{}: refusals never echo the value",
            case.name
        );
        assert_eq!(
            mock.received().len(),
            0,
            "{}: the provider received nothing",
            case.name
        );
        ids.push((case.name, case.class, r.decision_id().to_owned()));
    }
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for (name, class, id) in ids {
        let d = decision_of(&records, &id);
        assert_eq!(d["effect"], "EFFECT_BLOCK", "{name}: block");
        assert_eq!(d["http_status"], 403, "{name}");
        assert_eq!(d["matched_rules"][0]["rule_id"], "block-secrets", "{name}");
        assert!(
            classes_of(d).iter().any(|c| c == class),
            "{name}: {class} in {:?}",
            classes_of(d)
        );
    }
}

#[tokio::test]
async fn a_card_number_written_as_a_json_number_is_redacted() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let body = anthropic(
        r#"[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"charge","input":{"card":4539148803436467,"amount":12.5}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"done"}]}]"#,
        "",
    );
    let r = post(&gw.url("/v1/messages"), &[ANTHROPIC_AUTH, SYS], &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = String::from_utf8(mock.received().pop().unwrap().body.to_vec()).unwrap();
    assert_eq!(
        sent,
        body.replace("4539148803436467", "\"[FINANCIAL.CREDIT_CARD_1]\""),
        "the number becomes the redaction string; nothing else changes"
    );
    let sent: serde_json::Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(sent["messages"][1]["content"][0]["input"]["amount"], 12.5);
    let id = r.decision_id().to_owned();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &id);
    assert_eq!(d["effect"], "EFFECT_REDACT", "redact");
    assert!(classes_of(d).contains(&"financial.credit_card".to_owned()));
}

#[tokio::test]
async fn a_card_inside_text_base64_is_redacted_and_re_encoded() {
    use base64::Engine;
    let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let body = anthropic(
        &format!(
            r#"[{{"role":"user","content":[{{"type":"document","source":{{"type":"base64","media_type":"text/plain","data":"{}"}}}},{{"type":"text","text":"summarise"}}]}}]"#,
            b64("Invoice paid with 4539 1488 0343 6467.")
        ),
        "",
    );
    let r = post(&gw.url("/v1/messages"), &[ANTHROPIC_AUTH, SYS], &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = String::from_utf8(mock.received().pop().unwrap().body.to_vec()).unwrap();
    assert_eq!(
        sent,
        body.replace(
            &b64("Invoice paid with 4539 1488 0343 6467."),
            &b64("Invoice paid with [FINANCIAL.CREDIT_CARD_1].")
        ),
        "the provider decodes the redacted text; nothing else changes"
    );
    let id = r.decision_id().to_owned();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &id);
    assert_eq!(d["effect"], "EFFECT_REDACT", "redact");
    assert!(classes_of(d).contains(&"financial.credit_card".to_owned()));
    assert_eq!(d["unscanned_bytes"], 0, "decoded text is scanned");
}

#[tokio::test]
async fn a_real_image_is_skipped_and_counted_unscanned() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let url = format!("data:image/png;base64,{PNG}");
    let body = format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":[{{"type":"text","text":"what is this?"}},{{"type":"image_url","image_url":{{"url":"{url}"}}}}]}}]}}"#
    );
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, SYS], &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = mock.received().pop().unwrap().body;
    assert_eq!(sent, body.as_bytes(), "forwarded untouched");
    let id = r.decision_id().to_owned();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &id);
    assert_eq!(
        d["unscanned_bytes"].as_u64(),
        Some((url.len() + 2) as u64),
        "the literal's bytes, quotes included"
    );
    assert_eq!(
        d["effect"], "EFFECT_REVIEW",
        "the baseline flags unscanned bytes for review"
    );
    let rules: Vec<&str> = d["matched_rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["rule_id"].as_str())
        .collect();
    assert!(rules.contains(&"review-unscanned-text"), "{rules:?}");
}

#[tokio::test]
async fn unknown_shapes_are_refused_by_default() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let cases = [
        (
            "/v1/chat/completions",
            chat(&format!(r#","vendor_extension":{{"{AWS}":"x"}}"#)),
        ),
        (
            "/v1/chat/completions",
            format!(
                r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":[{{"type":"input_video","video":"{GH}"}}]}}]}}"#
            ),
        ),
        (
            "/v1/messages",
            anthropic(
                &format!(
                    r#"[{{"role":"user","content":[{{"type":"future_block","words":"{GH}"}}]}}]"#
                ),
                "",
            ),
        ),
    ];
    let mut ids = Vec::new();
    for (path, body) in &cases {
        let r = post(&gw.url(path), &[auth(path), SYS], body).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        ids.push(r.decision_id().to_owned());
        let err = r.json()["error"].clone();
        assert_eq!(err["type"], "invalid_request_error", "{err}");
        if !path.starts_with("/v1/messages") {
            assert_eq!(err["code"], "unknown_shape", "{err}");
        }
        let msg = err["message"].as_str().unwrap();
        assert!(msg.contains("not recognised"), "{msg}");
        assert!(!msg.contains(AWS) && !msg.contains(GH), "{msg}");
        assert!(
            !msg.contains("vendor_extension") && !msg.contains("future_block"),
            "positions only: {msg}"
        );
    }
    assert_eq!(mock.received().len(), 0);
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for id in ids {
        let d = decision_of(&records, &id);
        assert_eq!(d["effect"], "EFFECT_ERROR", "error");
        assert_eq!(d["http_status"], 400);
        let reason = d["reason"].as_str().unwrap();
        assert!(reason.starts_with("unknown_shape: "), "{reason}");
        assert!(!reason.contains(AWS) && !reason.contains(GH), "{reason}");
    }
}

#[tokio::test]
async fn unknown_shapes_are_scanned_when_configured() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "[classify]\nunknown_shapes = \"scan\"\n")).await;
    let leaky = chat(&format!(r#","vendor_extension":{{"{AWS}":"x"}}"#));
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, SYS], &leaky).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(mock.received().len(), 0, "the provider received nothing");
    let blocked = r.decision_id().to_owned();
    let clean = chat(r#","vendor_extension":{"top_k":5}"#);
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, SYS], &clean).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(mock.received().pop().unwrap().body, clean.as_bytes());
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &blocked);
    assert_eq!(d["effect"], "EFFECT_BLOCK");
    assert!(classes_of(d).contains(&"secret.aws_access_key".to_owned()));
}
