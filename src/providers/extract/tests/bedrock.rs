//! Bedrock: Converse requests and responses, Anthropic-on-Bedrock InvokeModel bodies, other
//! invoke shapes as unknown shapes, usage, and rewrite of a Converse body.

use super::super::*;
use super::{assert_complete, assert_consistent, assert_in_order, rows};

const CONVERSE: &[u8] = br#"{
  "system": [{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
  "messages": [
    {"role": "user", "content": [
      {"text": "card 4539 1488 0343 6467"},
      {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="}}},
      {"document": {"format": "txt", "name": "notes", "source": {"text": "doc text"}}}
    ]},
    {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"q": "who"}}}]},
    {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "result text"}, {"json": {"k": "json value"}}], "status": "success"}}]}
  ],
  "inferenceConfig": {"maxTokens": 512, "temperature": 0.2},
  "toolConfig": {"tools": [{"toolSpec": {"name": "lookup", "description": "Look up", "inputSchema": {"json": {"type": "object", "properties": {"q": {"type": "string"}}}}}}]}
}"#;

#[test]
fn converse_requests_are_read_everywhere_the_model_reads() {
    let ex = extract(Api::BedrockConverse, CONVERSE).unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/system/0/text", SegmentKind::System, "You are terse."),
            (
                "/messages/0/content/0/text",
                SegmentKind::User,
                "card 4539 1488 0343 6467",
            ),
            (
                "/messages/0/content/2/document/source/text",
                SegmentKind::User,
                "doc text",
            ),
            (
                "/messages/1/content/0/toolUse/input/q",
                SegmentKind::ToolCall,
                "who",
            ),
            (
                "/messages/2/content/0/toolResult/content/0/text",
                SegmentKind::ToolResult,
                "result text",
            ),
            (
                "/messages/2/content/0/toolResult/content/1/json/k",
                SegmentKind::ToolResult,
                "json value",
            ),
            (
                "/toolConfig/tools/0/toolSpec/description",
                SegmentKind::Other,
                "Look up",
            ),
        ],
    );
    assert_eq!(ex.max_tokens, Some(512));
    assert_eq!(ex.model, None, "the model is the path's");
    assert!(ex.skipped_binary_bytes > 0, "the PNG is proven binary");
    assert_consistent(CONVERSE, &ex.segments);
    assert_complete(
        CONVERSE,
        &ex.segments,
        &["/messages/0/content/1/image/source/bytes"],
    );
}

#[test]
fn converse_unknown_shapes_follow_the_setting() {
    let body = br#"{"messages":[{"role":"user","content":[{"hologram":{"x":"secret"}}]}]}"#;
    assert!(matches!(
        extract(Api::BedrockConverse, body),
        Err(ExtractError::UnknownShape { .. })
    ));
    let scan = ExtractOptions {
        unknown_shapes: UnknownShapes::Scan,
    };
    let ex = extract_with(Api::BedrockConverse, body, scan).unwrap();
    assert!(ex.segments.iter().any(|s| s.text == "secret"));
    assert!(extract(Api::BedrockConverse, br#"{"modelId":"x","messages":[]}"#).is_err());
}

#[test]
fn invoke_bodies_in_the_anthropic_shape_use_the_anthropic_rules() {
    let body = br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"sys","messages":[{"role":"user","content":[{"type":"text","text":"hello"}]}]}"#;
    let ex = extract(Api::BedrockInvoke, body).unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/system", SegmentKind::System, "sys"),
            ("/messages/0/content/0/text", SegmentKind::User, "hello"),
        ],
    );
    assert_eq!(ex.max_tokens, Some(100));
    // Another model family's body (Titan, Llama, ...) is an unknown shape.
    let titan = br#"{"inputText":"hi there","textGenerationConfig":{"maxTokenCount":10}}"#;
    assert!(matches!(
        extract(Api::BedrockInvoke, titan),
        Err(ExtractError::UnknownShape { .. })
    ));
    let scan = ExtractOptions {
        unknown_shapes: UnknownShapes::Scan,
    };
    let ex = extract_with(Api::BedrockInvoke, titan, scan).unwrap();
    assert!(ex.segments.iter().any(|s| s.text == "hi there"));
    // `model` in an Anthropic-on-Bedrock body is not part of the shape.
    let with_model = br#"{"anthropic_version":"bedrock-2023-05-31","model":"x","messages":[]}"#;
    assert!(extract(Api::BedrockInvoke, with_model).is_err());
}

#[test]
fn converse_responses_and_usage() {
    let resp = br#"{"output":{"message":{"role":"assistant","content":[{"text":"the answer"},{"reasoningContent":{"reasoningText":{"text":"thinking"}}}]}},"stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":9,"totalTokens":21,"cacheReadInputTokens":3}}"#;
    let seg = response_text(Api::BedrockConverse, resp).unwrap();
    let texts: Vec<_> = seg.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["the answer", "thinking"]);
    let u = response_usage(Api::BedrockConverse, resp);
    assert_eq!((u.input_tokens, u.output_tokens), (Some(15), Some(9)));
    let inv = br#"{"content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":5,"output_tokens":2}}"#;
    let u = response_usage(Api::BedrockInvoke, inv);
    assert_eq!((u.input_tokens, u.output_tokens), (Some(5), Some(2)));
}

#[test]
fn a_converse_body_is_rewritten_in_place() {
    let ex = extract(Api::BedrockConverse, CONVERSE).unwrap();
    let card = ex
        .segments
        .iter()
        .find(|s| s.text.contains("4539"))
        .unwrap();
    let out = rewrite(
        CONVERSE,
        &[Edit {
            raw: card.raw.clone(),
            text: "card [FINANCIAL.CREDIT_CARD_1]".into(),
        }],
    )
    .unwrap();
    let again = extract(Api::BedrockConverse, &out).unwrap();
    assert!(again
        .segments
        .iter()
        .any(|s| s.text == "card [FINANCIAL.CREDIT_CARD_1]"));
    assert!(!String::from_utf8_lossy(&out).contains("4539"));
}
