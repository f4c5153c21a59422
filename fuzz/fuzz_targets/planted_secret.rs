//! Fuzz target: requests built from fuzzer-chosen JSON values for every API, with a secret
//! planted at a fuzzer-chosen model-visible position — a string value, an object key, or a card
//! number written as a JSON number, in the API's own fields or anywhere inside a free-form value.
//! Checks the property "planted ⇒ found": extraction (scanning unknown shapes, and with the
//! default options unless it refuses the shape) returns a segment containing the planted text.
//! `src/providers/extract/tests/planted.rs` checks the same property as a proptest, with the
//! classifier.
#![no_main]

use aimsgate::providers::extract::{
    extract_with, Api, ExtractError, ExtractOptions, UnknownShapes,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const AWS_IN_PROSE: &str = "see AKIAQX4BZL7NW2MOSR6T here";
const GH: &str = "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";
const CARD: &str = "4539148803436467";

/// Request skeletons: `@s@` a string slot, `@k@` a key slot, `@n@` a number slot, `@free@` the
/// fuzzer's JSON value (whose own strings, keys and numbers are slots too).
const CHAT: &str = r#"{"model":@s@,"messages":[{"role":"system","content":@s@},{"role":"user","name":@s@,"content":[{"type":"text","text":@s@}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":@s@,"arguments":@s@}}]},{"role":"tool","tool_call_id":"c1","content":@s@}],"tools":[{"type":"function","function":{"name":@s@,"description":@s@,"parameters":{"type":"object","properties":{@k@:{"type":"string","pattern":@s@},"free":@free@}}}}],"response_format":{"type":"json_schema","json_schema":{"name":@s@,"schema":{"type":"object"}}},"metadata":{@k@:@s@},"temperature":@n@}"#;
const RESPONSES: &str = r#"{"model":@s@,"instructions":@s@,"input":[{"role":"user","content":[{"type":"input_text","text":@s@}]},{"type":"function_call","call_id":"c","name":@s@,"arguments":@s@},{"type":"function_call_output","call_id":"c","output":@s@}],"tools":[{"type":"function","name":@s@,"parameters":{"type":"object","properties":{@k@:@free@}}}],"text":{"format":{"type":"json_schema","name":@s@,"schema":{"type":"object"}}},"max_output_tokens":@n@}"#;
const EMBEDDINGS: &str = r#"{"model":@s@,"input":[@s@,@free@],"dimensions":@n@}"#;
const COMPLETIONS: &str = r#"{"model":@s@,"prompt":[@s@,@free@],"suffix":@s@,"max_tokens":@n@}"#;
const MESSAGES: &str = r#"{"model":@s@,"max_tokens":@n@,"system":[{"type":"text","text":@s@}],"messages":[{"role":"user","content":@s@},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":@s@,"input":{@k@:@free@}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":@s@}]}],"tools":[{"name":@s@,"description":@s@,"input_schema":{"type":"object","properties":{@k@:{"type":"string"}}}}]}"#;
const COUNT_TOKENS: &str = r#"{"model":@s@,"messages":[{"role":"user","content":[{"type":"text","text":@s@},{"type":"tool_use","id":"t","name":@s@,"input":{@k@:@free@}}]}],"tools":[{"name":@s@,"description":@s@,"input_schema":{"type":"object","properties":{@k@:{"type":"number","minimum":@n@}}}}]}"#;
const CONVERSE: &str = r#"{"system":[{"text":@s@}],"messages":[{"role":"user","content":[{"text":@s@}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":@s@,"input":{@k@:@free@}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"text":@s@},{"json":{@k@:@n@}}]}}]}],"inferenceConfig":{"maxTokens":@n@},"toolConfig":{"tools":[{"toolSpec":{"name":@s@,"description":@s@,"inputSchema":{"json":{"type":"object","properties":{@k@:{"type":"string"}}}}}}]}}"#;
const BEDROCK_ANTHROPIC: &str = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":@n@,"system":@s@,"messages":[{"role":"user","content":@s@},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":@s@,"input":{@k@:@free@}}]}]}"#;

/// A JSON value from the fuzzer.
enum J {
    Null,
    Bool(bool),
    Num(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn gen(u: &mut Unstructured, depth: u32) -> Result<J> {
    let pick = if depth == 0 {
        u.int_in_range(0..=3)?
    } else {
        u.int_in_range(0..=5)?
    };
    Ok(match pick {
        0 => J::Null,
        1 => J::Bool(u.arbitrary()?),
        2 => J::Num(u.arbitrary()?),
        3 => J::Str(u.arbitrary()?),
        4 => {
            let n = u.int_in_range(0..=4)?;
            J::Arr((0..n).map(|_| gen(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut members: Vec<(String, J)> = Vec::new();
            for _ in 0..n {
                let key: String = u.arbitrary()?;
                if key != GH && members.iter().all(|(k, _)| *k != key) {
                    members.push((key, gen(u, depth - 1)?));
                }
            }
            J::Obj(members)
        }
    })
}

fn slots(j: &J) -> usize {
    match j {
        J::Str(_) | J::Num(_) => 1,
        J::Arr(items) => items.iter().map(slots).sum(),
        J::Obj(members) => members.iter().map(|(_, v)| 1 + slots(v)).sum(),
        J::Null | J::Bool(_) => 0,
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes `j`; slot number `*at` (counting down) gets the plant. Returns what was planted.
fn render(j: &J, at: &mut Option<usize>, out: &mut String) -> Option<&'static str> {
    let take = |at: &mut Option<usize>| match at {
        Some(0) => {
            *at = None;
            true
        }
        Some(n) => {
            *n -= 1;
            false
        }
        None => false,
    };
    let mut planted = None;
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(_) if take(at) => {
            out.push_str(CARD);
            planted = Some(CARD);
        }
        J::Num(n) => out.push_str(&n.to_string()),
        J::Str(_) if take(at) => {
            string(out, AWS_IN_PROSE);
            planted = Some(AWS_IN_PROSE);
        }
        J::Str(s) => string(out, s),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                planted = planted.or(render(item, at, out));
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if take(at) {
                    string(out, GH);
                    planted = Some(GH);
                } else {
                    string(out, k);
                }
                out.push(':');
                planted = planted.or(render(v, at, out));
            }
            out.push('}');
        }
    }
    planted
}

/// The body for `template` with `free`, the plant going to slot `target`.
fn build(template: &str, free: &J, target: usize) -> (String, Option<&'static str>) {
    let mut out = String::new();
    let mut at = Some(target);
    let mut planted = None;
    for (i, part) in template.split('@').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
            continue;
        }
        let hit = at == Some(0);
        match (part, hit) {
            ("free", _) => planted = planted.or(render(free, &mut at, &mut out)),
            ("s", true) => string(&mut out, AWS_IN_PROSE),
            ("k", true) => string(&mut out, GH),
            ("n", true) => out.push_str(CARD),
            ("s", false) => out.push_str("\"text\""),
            ("k", false) => out.push_str(&format!("\"key{i}\"")),
            (_, false) => out.push('1'),
            (_, true) => {}
        }
        if part != "free" {
            if hit {
                planted = Some(match part {
                    "s" => AWS_IN_PROSE,
                    "k" => GH,
                    _ => CARD,
                });
                at = None;
            } else if let Some(n) = at.as_mut() {
                *n -= 1;
            }
        }
    }
    (out, planted)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(api) = u.choose(&Api::ALL).copied() else {
        return;
    };
    let Ok(free) = gen(&mut u, 6) else {
        return;
    };
    let template = match api {
        Api::OpenAiChat => CHAT,
        Api::OpenAiResponses => RESPONSES,
        Api::OpenAiEmbeddings => EMBEDDINGS,
        Api::OpenAiCompletions => COMPLETIONS,
        Api::AnthropicMessages => MESSAGES,
        Api::AnthropicCountTokens => COUNT_TOKENS,
        Api::BedrockConverse => CONVERSE,
        Api::BedrockInvoke => BEDROCK_ANTHROPIC,
        // No template yet for the Gemini APIs.
        Api::GeminiGenerate | Api::GeminiCountTokens | Api::GeminiEmbed => return,
    };
    let fixed = template.matches('@').count() / 2 - 1;
    let total = fixed + slots(&free);
    let Ok(target) = u.int_in_range(0..=total - 1) else {
        return;
    };
    let (body, planted) = build(template, &free, target);
    let planted = planted.expect("every slot plants");
    let scan = ExtractOptions {
        unknown_shapes: UnknownShapes::Scan,
    };
    for opts in [ExtractOptions::default(), scan] {
        match extract_with(api, body.as_bytes(), opts) {
            Ok(ex) => assert!(
                ex.segments.iter().any(|s| s.text.contains(planted)),
                "{api:?}: {planted} not extracted from {body}"
            ),
            Err(ExtractError::UnknownShape { .. })
                if opts.unknown_shapes == UnknownShapes::Refuse => {}
            Err(e) => panic!("{api:?}: {e} on {body}"),
        }
    }
});
