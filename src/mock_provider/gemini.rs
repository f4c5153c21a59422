//! Gemini-shaped mock responses (generateContent, streamGenerateContent as server-sent events,
//! countTokens, embedContent, errors).

use serde_json::{json, Value};

fn usage() -> Value {
    json!({"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21})
}

pub fn generate(model: &str, reply: &str) -> Value {
    json!({
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": reply}]},
            "finishReason": "STOP", "index": 0
        }],
        "usageMetadata": usage(),
        "modelVersion": model,
        "responseId": "mock-response"
    })
}

/// One event per chunk; the last carries `finishReason` and the usage, as Google's do.
pub fn generate_stream(model: &str, chunks: &[String]) -> Vec<String> {
    let n = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut cand =
                json!({"content": {"role": "model", "parts": [{"text": c}]}, "index": 0});
            let mut v = json!({"modelVersion": model, "responseId": "mock-response"});
            if i + 1 == n {
                cand["finishReason"] = json!("STOP");
                v["usageMetadata"] = usage();
            }
            v["candidates"] = json!([cand]);
            format!("data: {v}\r\n\r\n")
        })
        .collect()
}

pub fn count_tokens() -> Value {
    json!({"totalTokens": 12})
}

pub fn embed() -> Value {
    json!({"embedding": {"values": [0.012, -0.034, 0.056]}})
}

/// One embedding per request in `requests[]`.
pub fn batch_embed(req: &Value) -> Value {
    let n = req["requests"].as_array().map_or(1, Vec::len);
    let one = embed()["embedding"].clone();
    json!({"embeddings": vec![one; n]})
}

pub fn error() -> Value {
    json!({"error": {"code": 500, "message": "mock upstream failure", "status": "INTERNAL"}})
}
