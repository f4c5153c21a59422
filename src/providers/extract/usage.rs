//! Token usage in non-streamed response bodies.
//!
//! Owns the mapping from each API's `usage` object to [`Usage`]. Lenient by design: usage is
//! evidence about a response already received, so a missing or oddly typed field gives `None`
//! rather than an error. Anthropic's input count includes cache reads and cache writes
//! (`cache_read_input_tokens`, `cache_creation_input_tokens`), which it reports separately.

use serde_json::Value;

use super::{Api, Usage};

/// The two top-level members usage lives in; every other member of the answer (the generated
/// text, choices, tool calls) is skipped by the parser without building a tree.
#[derive(serde::Deserialize)]
struct UsageMembers {
    #[serde(default)]
    usage: Value,
    #[serde(default)]
    input_tokens: Value,
    #[serde(default, rename = "usageMetadata")]
    usage_metadata: Value,
    #[serde(default, rename = "totalTokens")]
    total_tokens: Value,
}

pub(crate) fn from_body(api: Api, body: &[u8]) -> Usage {
    match serde_json::from_slice::<UsageMembers>(body) {
        Ok(m) => {
            let mut top = serde_json::Map::with_capacity(2);
            top.insert("usage".into(), m.usage);
            top.insert("input_tokens".into(), m.input_tokens);
            top.insert("usageMetadata".into(), m.usage_metadata);
            top.insert("totalTokens".into(), m.total_tokens);
            from_value(api, &Value::Object(top))
        }
        Err(_) => Usage::default(),
    }
}

/// Usage from a parsed response (or stream event payload) object.
pub(crate) fn from_value(api: Api, v: &Value) -> Usage {
    match api {
        Api::OpenAiChat | Api::OpenAiCompletions | Api::OpenAiEmbeddings => {
            let u = &v["usage"];
            Usage {
                input_tokens: u["prompt_tokens"].as_u64(),
                output_tokens: u["completion_tokens"].as_u64(),
            }
        }
        Api::OpenAiResponses => {
            let u = &v["usage"];
            Usage {
                input_tokens: u["input_tokens"].as_u64(),
                output_tokens: u["output_tokens"].as_u64(),
            }
        }
        Api::AnthropicMessages | Api::BedrockInvoke => anthropic(&v["usage"]),
        Api::BedrockConverse => bedrock(&v["usage"]),
        // count_tokens answers `{"input_tokens": N}` at the top level.
        Api::AnthropicCountTokens => Usage {
            input_tokens: v["input_tokens"].as_u64(),
            output_tokens: None,
        },
        Api::GeminiGenerate | Api::GeminiEmbed => gemini(&v["usageMetadata"]),
        // countTokens answers `{"totalTokens": N, ...}`.
        Api::GeminiCountTokens => Usage {
            input_tokens: v["totalTokens"].as_u64(),
            output_tokens: None,
        },
    }
}

/// A Gemini `usageMetadata` object: input = prompt tokens (cached ones included, as Google
/// counts them); output = candidate tokens plus thinking tokens (both are generated and billed).
pub(crate) fn gemini(u: &Value) -> Usage {
    let candidates = u["candidatesTokenCount"].as_u64();
    let thoughts = u["thoughtsTokenCount"].as_u64();
    Usage {
        input_tokens: u["promptTokenCount"].as_u64(),
        output_tokens: match (candidates, thoughts) {
            (None, None) => None,
            (c, t) => Some(c.unwrap_or(0).saturating_add(t.unwrap_or(0))),
        },
    }
}

/// A Bedrock Converse `usage` object (`inputTokens`, `outputTokens`; cache reads and writes
/// counted as input, as for Anthropic).
pub(crate) fn bedrock(u: &Value) -> Usage {
    let input = u["inputTokens"].as_u64().map(|base| {
        ["cacheReadInputTokens", "cacheWriteInputTokens"]
            .iter()
            .filter_map(|k| u[*k].as_u64())
            .fold(base, u64::saturating_add)
    });
    Usage {
        input_tokens: input,
        output_tokens: u["outputTokens"].as_u64(),
    }
}

/// An Anthropic `usage` object: input = uncached + cache writes + cache reads.
pub(crate) fn anthropic(u: &Value) -> Usage {
    let input = u["input_tokens"].as_u64().map(|base| {
        ["cache_creation_input_tokens", "cache_read_input_tokens"]
            .iter()
            .filter_map(|k| u[*k].as_u64())
            .fold(base, u64::saturating_add)
    });
    Usage {
        input_tokens: input,
        output_tokens: u["output_tokens"].as_u64(),
    }
}
