//! OpenAI-shaped mock responses (chat completions, responses, completions, embeddings, models).

use serde_json::{json, Value};

pub fn models() -> Value {
    json!({"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1_700_000_000, "owned_by": "mock"},
        {"id": "mock-model", "object": "model", "created": 1_700_000_000, "owned_by": "mock"}
    ]})
}

pub fn chat(model: &str, reply: &str) -> Value {
    json!({
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply, "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}
    })
}

pub fn chat_stream(model: &str, chunks: &[String]) -> Vec<String> {
    let base = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
               "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
    };
    let mut out = vec![format!(
        "data: {}\n\n",
        base(json!({"role": "assistant", "content": ""}), Value::Null)
    )];
    for c in chunks {
        out.push(format!(
            "data: {}\n\n",
            base(json!({"content": c}), Value::Null)
        ));
    }
    out.push(format!("data: {}\n\n", base(json!({}), json!("stop"))));
    out.push(format!(
        "data: {}\n\n",
        json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": [],
               "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}})
    ));
    out.push("data: [DONE]\n\n".to_owned());
    out
}

fn response_obj(model: &str, reply: &str, status: &str) -> Value {
    json!({
        "id": "resp_mock", "object": "response", "created_at": 1_700_000_000, "status": status, "model": model,
        "output": [{"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": reply, "annotations": []}]}],
        "usage": {"input_tokens": 12, "output_tokens": 9, "total_tokens": 21,
                  "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
        "parallel_tool_calls": true, "tool_choice": "auto", "tools": []
    })
}

pub fn responses(model: &str, reply: &str) -> Value {
    response_obj(model, reply, "completed")
}

pub fn responses_stream(model: &str, chunks: &[String]) -> Vec<String> {
    let ev = |name: &str, v: Value| format!("event: {name}\ndata: {v}\n\n");
    let mut out = vec![ev(
        "response.created",
        json!({"type": "response.created", "sequence_number": 0, "response": response_obj(model, "", "in_progress")}),
    )];
    let mut seq = 1;
    for c in chunks {
        out.push(ev(
            "response.output_text.delta",
            json!({"type": "response.output_text.delta", "sequence_number": seq, "item_id": "msg_mock", "output_index": 0, "content_index": 0, "delta": c}),
        ));
        seq += 1;
    }
    let full: String = chunks.concat();
    out.push(ev("response.completed", json!({"type": "response.completed", "sequence_number": seq, "response": response_obj(model, &full, "completed")})));
    out
}

pub fn completions(model: &str, reply: &str) -> Value {
    json!({"id": "cmpl-mock", "object": "text_completion", "created": 1_700_000_000, "model": model,
           "choices": [{"text": reply, "index": 0, "logprobs": null, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}})
}

pub fn embeddings(model: &str) -> Value {
    json!({"object": "list", "model": model,
           "data": [{"object": "embedding", "index": 0, "embedding": [0.1, -0.2, 0.3]}],
           "usage": {"prompt_tokens": 4, "total_tokens": 4}})
}
