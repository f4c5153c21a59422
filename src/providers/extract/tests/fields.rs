//! Issue 14, item 2: each model-visible position the bypass report names is a segment (with its
//! pointer, kind and literal kind), only proven binary is skipped, text-typed base64 is decoded.

use super::super::*;
use super::{assert_complete, assert_consistent};

const AWS: &str = "AKIAQX4BZL7NW2MOSR6T";
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// The segment at `pointer` of literal kind `lit`, after checking the whole extraction.
#[track_caller]
fn at(api: Api, body: &str, pointer: &str, lit: Literal) -> Segment {
    let ex = extract(api, body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_consistent(body.as_bytes(), &ex.segments);
    assert_complete(body.as_bytes(), &ex.segments, &[]);
    ex.segments
        .iter()
        .find(|s| s.pointer == pointer && s.literal == lit)
        .unwrap_or_else(|| panic!("no {lit:?} at {pointer} in {:#?}", ex.segments))
        .clone()
}

#[test]
fn openai_chat_names_and_schemas() {
    use SegmentKind::*;
    let body = format!(
        r#"{{"model":"m","messages":[
        {{"role":"user","name":"{AWS}","content":"hi"}},
        {{"role":"assistant","content":null,"tool_calls":[
            {{"id":"a","type":"function","function":{{"name":"fn_{AWS}","arguments":"{{}}"}}}},
            {{"id":"b","type":"custom","custom":{{"name":"cu_{AWS}","input":"x"}}}}],
          "function_call":{{"name":"legacy_{AWS}","arguments":"{{}}"}}}}],
        "tools":[{{"type":"function","function":{{"name":"tool_{AWS}","parameters":{{"type":"object",
            "properties":{{"{AWS}":{{"type":"string","pattern":"^{AWS}$"}}}}}}}}}}],
        "response_format":{{"type":"json_schema","json_schema":{{"name":"rf_{AWS}","schema":{{"type":"object"}}}}}}}}"#
    );
    let chat = |p: &str, l: Literal| at(Api::OpenAiChat, &body, p, l);
    let s = chat("/messages/0/name", Literal::Str);
    assert_eq!((s.kind, s.text.as_str()), (Other, AWS));
    let s = chat("/messages/1/tool_calls/0/function/name", Literal::Str);
    assert_eq!(s.kind, ToolCall);
    assert_eq!(
        chat("/messages/1/tool_calls/1/custom/name", Literal::Str).kind,
        ToolCall
    );
    assert_eq!(
        chat("/messages/1/function_call/name", Literal::Str).kind,
        ToolCall
    );
    assert_eq!(chat("/tools/0/function/name", Literal::Str).kind, Other);
    let key = chat(
        &format!("/tools/0/function/parameters/properties/{AWS}"),
        Literal::Key,
    );
    assert_eq!(key.text, AWS, "a JSON-schema property name");
    let pattern = chat(
        &format!("/tools/0/function/parameters/properties/{AWS}/pattern"),
        Literal::Str,
    );
    assert_eq!(pattern.text, format!("^{AWS}$"));
    chat("/response_format/json_schema/name", Literal::Str);
}

#[test]
fn openai_responses_names() {
    let body = format!(
        r#"{{"model":"m","input":[
        {{"type":"function_call","call_id":"c","name":"fn_{AWS}","arguments":"{{}}"}},
        {{"type":"custom_tool_call","call_id":"d","name":"cu_{AWS}","input":"x"}}],
        "tools":[{{"type":"function","name":"tool_{AWS}","parameters":{{"type":"object"}}}}],
        "text":{{"format":{{"type":"json_schema","name":"fmt_{AWS}","schema":{{"type":"object"}}}}}}}}"#
    );
    let resp = |p: &str| at(Api::OpenAiResponses, &body, p, Literal::Str);
    assert_eq!(resp("/input/0/name").kind, SegmentKind::ToolCall);
    assert_eq!(resp("/input/1/name").kind, SegmentKind::ToolCall);
    assert_eq!(resp("/tools/0/name").text, format!("tool_{AWS}"));
    assert_eq!(resp("/text/format/name").text, format!("fmt_{AWS}"));
}

#[test]
fn anthropic_tool_names_and_tool_input_keys() {
    let body = format!(
        r#"{{"model":"m","max_tokens":5,"messages":[
        {{"role":"assistant","content":[{{"type":"tool_use","id":"t","name":"use_{AWS}","input":{{"{AWS}":{{"deeper_{AWS}":[5551234567]}}}}}}]}}],
        "tools":[{{"name":"tool_{AWS}","description":"d","input_schema":{{"type":"object"}}}}]}}"#
    );
    let anth = |p: &str, l: Literal| at(Api::AnthropicMessages, &body, p, l);
    assert_eq!(
        anth("/messages/0/content/0/name", Literal::Str).kind,
        SegmentKind::ToolCall
    );
    assert_eq!(
        anth("/tools/0/name", Literal::Str).text,
        format!("tool_{AWS}")
    );
    let key = anth(&format!("/messages/0/content/0/input/{AWS}"), Literal::Key);
    assert_eq!(key.kind, SegmentKind::ToolCall);
    let deeper = anth(
        &format!("/messages/0/content/0/input/{AWS}/deeper_{AWS}"),
        Literal::Key,
    );
    assert_eq!(deeper.text, format!("deeper_{AWS}"));
    let n = anth(
        &format!("/messages/0/content/0/input/{AWS}/deeper_{AWS}/0"),
        Literal::Number,
    );
    assert_eq!(n.text, "5551234567");
}

#[test]
fn numbers_are_segments_as_written() {
    let body = r#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"pay"}]}],"metadata":{"card":4539148803436467,"neg":-1234.5678e3},"temperature":0.7}"#;
    let card = at(
        Api::AnthropicMessages,
        body,
        "/metadata/card",
        Literal::Number,
    );
    assert_eq!(card.text, "4539148803436467");
    let neg = at(
        Api::AnthropicMessages,
        body,
        "/metadata/neg",
        Literal::Number,
    );
    assert_eq!(neg.text, "-1234.5678e3");
    // Numbers of fewer than 7 digits can hold no class: not segments.
    let ex = extract(Api::AnthropicMessages, body.as_bytes()).unwrap();
    assert!(!ex
        .segments
        .iter()
        .any(|s| s.pointer == "/temperature" && s.literal == Literal::Number));
    // The facts still read the number.
    let ex = extract(Api::AnthropicMessages, body.as_bytes()).unwrap();
    assert_eq!(ex.max_tokens, Some(5));
}

#[test]
fn keys_of_unknown_fields_are_scanned_when_scanning() {
    let body = format!(r#"{{"model":"m","messages":[],"vendor":{{"{AWS}":{{"x":1}}}}}}"#);
    assert_eq!(
        extract(Api::OpenAiChat, body.as_bytes())
            .unwrap_err()
            .kind(),
        "unknown_shape"
    );
    let opts = ExtractOptions {
        unknown_shapes: UnknownShapes::Scan,
    };
    let ex = extract_with(Api::OpenAiChat, body.as_bytes(), opts).unwrap();
    assert_complete(body.as_bytes(), &ex.segments, &[]);
    let key = ex.segments.iter().find(|s| s.text == AWS).unwrap();
    assert_eq!(key.literal, Literal::Key);
    assert_eq!(key.pointer, format!("/vendor/{AWS}"));
}

#[test]
fn only_proven_binary_is_skipped_and_counted() {
    let wav = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";
    let chat = format!(
        r#"{{"model":"m","messages":[{{"role":"user","content":[
        {{"type":"image_url","image_url":{{"url":"data:image/png;base64,{PNG}"}}}},
        {{"type":"input_audio","input_audio":{{"data":"{wav}","format":"wav"}}}},
        {{"type":"input_audio","input_audio":{{"data":"{AWS}","format":"wav"}}}},
        {{"type":"image_url","image_url":{{"url":"data:image/jpeg;base64,{PNG}"}}}}]}}]}}"#
    );
    let ex = extract(Api::OpenAiChat, chat.as_bytes()).unwrap();
    assert_complete(
        chat.as_bytes(),
        &ex.segments,
        &[
            "/messages/0/content/0/image_url/url",
            "/messages/0/content/1/input_audio/data",
        ],
    );
    let png_lit = format!("\"data:image/png;base64,{PNG}\"").len();
    assert_eq!(ex.skipped_binary_bytes, png_lit + wav.len() + 2);
    // Not a WAV, and a PNG declared as JPEG: scanned as written.
    let texts: Vec<&str> = ex.segments.iter().map(|s| s.text.as_str()).collect();
    assert!(texts.contains(&AWS));
    assert!(texts.contains(&format!("data:image/jpeg;base64,{PNG}").as_str()));

    let anth = format!(
        r#"{{"model":"m","max_tokens":5,"messages":[{{"role":"user","content":[
        {{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{PNG}"}}}},
        {{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{AWS}"}}}}]}}]}}"#
    );
    let ex = extract(Api::AnthropicMessages, anth.as_bytes()).unwrap();
    assert_eq!(ex.skipped_binary_bytes, PNG.len() + 2);
    let aws = ex.segments.iter().find(|s| s.text == AWS).unwrap();
    assert_eq!(aws.pointer, "/messages/0/content/1/source/data");
    assert_eq!(aws.kind, SegmentKind::User);
}

#[test]
fn text_typed_base64_is_decoded() {
    let b64 = |t: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, t);
    let anth = format!(
        r#"{{"model":"m","max_tokens":5,"messages":[{{"role":"user","content":[
        {{"type":"document","source":{{"type":"base64","media_type":"text/plain","data":"{}"}}}}]}}]}}"#,
        b64(&format!("key {AWS}"))
    );
    let doc = at(
        Api::AnthropicMessages,
        &anth,
        "/messages/0/content/0/source/data",
        Literal::Base64,
    );
    assert_eq!(doc.text, format!("key {AWS}"));
    assert_eq!(doc.kind, SegmentKind::User);
    let chat = format!(
        r#"{{"model":"m","messages":[{{"role":"user","content":[
        {{"type":"file","file":{{"filename":"a.txt","file_data":"data:text/plain;charset=utf-8;base64,{}"}}}}]}}]}}"#,
        b64("notes")
    );
    let file = at(
        Api::OpenAiChat,
        &chat,
        "/messages/0/content/0/file/file_data",
        Literal::Base64,
    );
    assert_eq!(file.text, "notes");
    let ex = extract(Api::OpenAiChat, chat.as_bytes()).unwrap();
    assert_eq!(
        ex.skipped_binary_bytes, 0,
        "decoded text is scanned, not unscanned"
    );
}
