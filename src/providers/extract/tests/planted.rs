//! Property: a secret planted anywhere in a request — a string value, an object key, or a card
//! number written as a JSON number — is in the extracted segments and the real classifier finds
//! it there, for every API; or, when the planting made the shape unknown, the body is refused.
//! Requests are a valid skeleton per API with random JSON values in its free-form members. The
//! fuzz target `fuzz/fuzz_targets/planted_secret.rs` checks the same property on fuzzer input.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::super::*;
use crate::classify::{Classifier, ClassifierOptions};

const AWS: &str = "AKIAQX4BZL7NW2MOSR6T";
const GH: &str = "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";
const CARD: u64 = 4539148803436467;

fn clf() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        Classifier::new(&ClassifierOptions::default()).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Random JSON, a few levels deep, with keys and strings that are not the secrets.
fn random_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[a-z0-9 ,.:/_-]{0,16}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid request for `api` carrying `free` in members whose content the API leaves open
/// (metadata, tool input and schemas, prompt variables, embeddings input).
pub(crate) fn skeleton(api: Api, free: Value) -> Value {
    let schema = json!({"type": "object", "properties": {"q": free.clone()}});
    match api {
        Api::OpenAiChat => json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hello"}], "name": "ann"},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok"}
            ],
            "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": schema}}],
            "metadata": {"k": free},
            "temperature": 0.5
        }),
        Api::OpenAiResponses => json!({
            "model": "gpt-4o-mini",
            "instructions": "be brief",
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "hello"}]},
                {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c", "output": "ok"}
            ],
            "tools": [{"type": "function", "name": "f", "parameters": schema}],
            "prompt": {"id": "p", "variables": {"v": free}},
            "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}}}
        }),
        Api::OpenAiEmbeddings => json!({"model": "m", "input": ["hello", free]}),
        Api::OpenAiCompletions => json!({"model": "m", "prompt": ["hello", free], "max_tokens": 5}),
        Api::AnthropicMessages | Api::AnthropicCountTokens => {
            let mut v = json!({
                "model": "claude-sonnet-4-5",
                "system": [{"type": "text", "text": "be brief"}],
                "messages": [
                    {"role": "user", "content": "hello"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"x": free}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]}
                ],
                "tools": [{"name": "f", "description": "d", "input_schema": schema}]
            });
            if api == Api::AnthropicMessages {
                v["max_tokens"] = json!(16);
            }
            v
        }
        Api::GeminiGenerate | Api::GeminiCountTokens => json!({
            "systemInstruction": {"parts": [{"text": "be brief"}]},
            "contents": [
                {"role": "user", "parts": [{"text": "hello"}]},
                {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"x": free.clone()}}}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"ok": free}}}]}
            ],
            "tools": [{"functionDeclarations": [{"name": "f", "description": "d", "parameters": schema}]}],
            "generationConfig": {"maxOutputTokens": 16}
        }),
        Api::GeminiEmbed => json!({
            "content": {"parts": [{"text": "hello"}]},
            "title": free,
            "taskType": "RETRIEVAL_DOCUMENT"
        }),
        Api::BedrockConverse => json!({
            "system": [{"text": "be brief"}],
            "messages": [
                {"role": "user", "content": [{"text": "hello"}]},
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {"x": free.clone()}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": [{"json": {"ok": free}}]}}]}
            ],
            "toolConfig": {"tools": [{"toolSpec": {"name": "f", "description": "d", "inputSchema": {"json": schema}}}]},
            "inferenceConfig": {"maxTokens": 16}
        }),
        Api::BedrockInvoke => json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 16,
            "system": "be brief",
            "messages": [
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"x": free}}]}
            ],
            "tools": [{"name": "f", "description": "d", "input_schema": schema}]
        }),
    }
}

/// Where a secret can be planted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    Str,
    Key,
    Number,
}

/// Plants into the `n`-th slot (mod the number of slots) of `v`, depth first: a string becomes
/// a secret in prose, a key becomes a secret, a number becomes a card number. Returns the
/// planted text and the class that finds it, or `None` when `v` has no slot.
pub(crate) fn plant(v: &mut Value, n: usize) -> Option<(String, &'static str)> {
    let mut slots = Vec::new();
    collect(v, &mut Vec::new(), &mut slots);
    if slots.is_empty() {
        return None;
    }
    let (path, slot) = slots.swap_remove(n % slots.len());
    let (parent_path, last) = path.split_at(path.len().saturating_sub(1));
    let mut at = &mut *v;
    for step in parent_path {
        at = step.get_mut(at)?;
    }
    match slot {
        Slot::Key => {
            let Step::Key(k) = last.first()? else {
                return None;
            };
            let obj = at.as_object_mut()?;
            if obj.contains_key(GH) {
                return None;
            }
            let moved = obj.remove(k)?;
            obj.insert(GH.to_owned(), moved);
            Some((GH.to_owned(), "secret.github_token"))
        }
        Slot::Str => {
            *last.first()?.get_mut(at)? = Value::String(format!("see {AWS} here"));
            Some((AWS.to_owned(), "secret.aws_access_key"))
        }
        Slot::Number => {
            *last.first()?.get_mut(at)? = Value::from(CARD);
            Some((CARD.to_string(), "financial.credit_card"))
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    fn get_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        match self {
            Step::Key(k) => v.get_mut(k.as_str()),
            Step::Index(i) => v.get_mut(*i),
        }
    }
}

fn collect(v: &Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, Slot)>) {
    match v {
        Value::String(_) => out.push((path.clone(), Slot::Str)),
        Value::Number(_) => out.push((path.clone(), Slot::Number)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect(item, path, out);
                path.pop();
            }
        }
        Value::Object(members) => {
            for (k, child) in members {
                path.push(Step::Key(k.clone()));
                out.push((path.clone(), Slot::Key));
                collect(child, path, out);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_planted_secret_is_always_found(
        api in proptest::sample::select(Api::ALL.to_vec()),
        free in random_json(),
        n in any::<usize>(),
    ) {
        let mut req = skeleton(api, free);
        let Some((planted, class)) = plant(&mut req, n) else {
            return Ok(());
        };
        let body = serde_json::to_vec(&req).unwrap();
        let scan = ExtractOptions { unknown_shapes: UnknownShapes::Scan };
        for opts in [ExtractOptions::default(), scan] {
            let ex = match extract_with(api, &body, opts) {
                Ok(ex) => ex,
                // Planting can make a shape unknown (a renamed `messages`, a `type` value):
                // refused, so nothing reaches the model. Scanning never refuses.
                Err(ExtractError::UnknownShape { .. }) if opts.unknown_shapes == UnknownShapes::Refuse => continue,
                Err(e) => return Err(TestCaseError::fail(format!("{api:?}: {e}"))),
            };
            let holder = ex.segments.iter().find(|s| s.text.contains(&planted));
            prop_assert!(holder.is_some(), "{:?}: {} not in any segment of {}", api, planted, String::from_utf8_lossy(&body));
            let found = ex
                .segments
                .iter()
                .filter(|s| s.text.contains(&planted))
                .any(|s| clf().classify(&s.text).items.iter().any(|f| f.class.as_str() == class));
            prop_assert!(found, "{:?}: {} not classified as {}", api, planted, class);
        }
    }
}

#[test]
fn planting_reaches_every_slot_kind() {
    // The generator is not vacuous: each slot kind is planted and found in each API.
    for api in Api::ALL {
        let mut kinds = std::collections::HashSet::new();
        for n in 0..200 {
            let mut req = skeleton(api, json!({"a": [1, "b"]}));
            if let Some((_, class)) = plant(&mut req, n) {
                kinds.insert(class);
            }
        }
        assert_eq!(kinds.len(), 3, "{api:?}: {kinds:?}");
    }
}
