//! Per-API stream decoding: text deltas, usage and end of stream in OpenAI (chat, completions,
//! Responses), Anthropic (messages) and Gemini (`streamGenerateContent?alt=sse`, each event a
//! whole `GenerateContentResponse` whose parts carry the new text) streams; rewriting a delta's text; stream error events.
//!
//! Owns which event fields carry model text and usage in each provider's stream. Event payloads
//! are read with the same strict JSON reader as request bodies, so a rewritten delta changes only
//! the text literal and keeps every other byte of the payload. It does not decide what to do
//! with the text, and it does not carry text across events (the classifier's carry-over window
//! does that).

use crate::providers::extract::json::{self, decode_str, Node, Value};
use crate::providers::extract::{
    rewrite, snapshot_in, usage, Api, Edit, ExtractError, Segment, Usage,
};

use super::SseEvent;

/// What one event carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Text delta carried by this event (model text, refusal, reasoning, tool-call argument
    /// fragments), concatenated in order when an event carries several.
    pub text: Option<String>,
    /// The provider reported an error in the stream.
    pub error: bool,
    /// The payload was not strict JSON (malformed, duplicate keys, too deep), so it could not be
    /// inspected; the proxy must not record this event as checked.
    pub unparsed: bool,
    /// The event repeats text in full that its deltas already carried (Responses `*.done`,
    /// `response.output_item.*`, `response.completed`, ...). When redacting in-stream, inspect
    /// and rewrite it with [`snapshot_segments`] and [`rewrite_event`] too.
    pub snapshot: bool,
}

/// Follows one provider stream event by event.
#[derive(Clone, Debug)]
pub struct StreamDecoder {
    api: Api,
    usage: Usage,
    finished: bool,
}

/// The event name an AWS event-stream exception frame is decoded to (`exception:` + its
/// `:exception-type`), see [`crate::providers::eventstream`].
pub const EXCEPTION_PREFIX: &str = "exception:";

/// Responses API event types whose `delta` is model text.
const RESPONSES_TEXT_DELTAS: &[&str] = &[
    "response.output_text.delta",
    "response.refusal.delta",
    "response.function_call_arguments.delta",
    "response.custom_tool_call_input.delta",
    "response.reasoning_summary_text.delta",
    "response.reasoning_text.delta",
    "response.audio.transcript.delta",
];

impl StreamDecoder {
    pub fn new(api: Api) -> Self {
        StreamDecoder {
            api,
            usage: Usage::default(),
            finished: false,
        }
    }

    /// Reads one event: its text delta, and any usage or end-of-stream it carries.
    pub fn on_event(&mut self, ev: &SseEvent) -> Delta {
        let mut delta = Delta::default();
        if ev.data.is_empty()
            || matches!(
                self.api,
                Api::OpenAiEmbeddings
                    | Api::AnthropicCountTokens
                    | Api::GeminiCountTokens
                    | Api::GeminiEmbed
            )
        {
            return delta;
        }
        if matches!(self.api, Api::OpenAiChat | Api::OpenAiCompletions)
            && ev.data.trim() == "[DONE]"
        {
            self.finished = true;
            return delta;
        }
        let body = ev.data.as_bytes();
        let root = match json::parse(body) {
            Ok(root) if matches!(root.value, Value::Object(_)) => root,
            _ => {
                delta.unparsed = true;
                return delta;
            }
        };
        let kind = str_at(body, &root, &["type"]).or_else(|| ev.event.clone());
        self.track(body, &root, kind.as_deref(), &mut delta);
        let mut text: Option<String> = None;
        for node in text_nodes(self.api, body, &root, kind.as_deref()) {
            match decode_str(body, &node.span) {
                Ok(piece) => text.get_or_insert_with(String::new).push_str(&piece),
                Err(_) => delta.unparsed = true,
            }
        }
        delta.text = text;
        if self.api == Api::OpenAiResponses {
            if let Some(kind) = kind.as_deref() {
                match snapshot_in(body, &root, kind) {
                    Ok(segments) => delta.snapshot = !segments.is_empty(),
                    Err(_) => delta.unparsed = true,
                }
            }
        }
        delta
    }

    /// Usage seen so far (the last report wins for each field).
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// The provider signalled the end of the stream (`[DONE]`, `message_stop`,
    /// `response.completed`/`incomplete`/`failed`) or an error.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Usage, end of stream and errors.
    fn track(&mut self, body: &[u8], root: &Node, kind: Option<&str>, delta: &mut Delta) {
        let parsed = || serde_json::from_slice::<serde_json::Value>(body).ok();
        match self.api {
            Api::OpenAiChat | Api::OpenAiCompletions => {
                if root
                    .get("error")
                    .is_some_and(|e| !matches!(e.value, Value::Null))
                {
                    delta.error = true;
                    self.finished = true;
                }
                if root
                    .get("usage")
                    .is_some_and(|u| matches!(u.value, Value::Object(_)))
                {
                    if let Some(v) = parsed() {
                        self.merge(usage::from_value(self.api, &v));
                    }
                }
            }
            Api::OpenAiResponses => match kind {
                Some("response.completed" | "response.incomplete" | "response.failed") => {
                    self.finished = true;
                    delta.error = kind == Some("response.failed");
                    if let Some(v) = parsed() {
                        self.merge(usage::from_value(self.api, &v["response"]));
                    }
                }
                Some("error") => {
                    delta.error = true;
                    self.finished = true;
                }
                _ => {}
            },
            // An InvokeModel stream's chunks, once unwrapped, are Anthropic stream events.
            Api::AnthropicMessages | Api::BedrockInvoke => match kind {
                Some("message_start") => {
                    if let Some(v) = parsed() {
                        self.merge(usage::anthropic(&v["message"]["usage"]));
                    }
                }
                Some("message_delta") => {
                    if let Some(v) = parsed() {
                        self.merge(usage::anthropic(&v["usage"]));
                    }
                }
                Some("message_stop") => self.finished = true,
                Some("error") => {
                    delta.error = true;
                    self.finished = true;
                }
                _ => {}
            },
            Api::GeminiGenerate => {
                if root.get("error").is_some() {
                    delta.error = true;
                    self.finished = true;
                }
                if root.get("usageMetadata").is_some() {
                    if let Some(v) = parsed() {
                        self.merge(usage::gemini(&v["usageMetadata"]));
                    }
                }
                // The last chunk names why generation stopped; the stream ends with it.
                let stopped = root
                    .get("candidates")
                    .and_then(Node::as_array)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| c.get("finishReason").is_some_and(Node::is_str));
                if stopped {
                    self.finished = true;
                }
            }
            // ConverseStream: the event type is the frame's `:event-type`; `metadata` carries the
            // usage and comes last; an exception frame ends the stream.
            Api::BedrockConverse => match kind {
                Some("metadata") => {
                    if let Some(v) = parsed() {
                        self.merge(usage::bedrock(&v["usage"]));
                    }
                    self.finished = true;
                }
                Some(k) if k.starts_with(EXCEPTION_PREFIX) => {
                    delta.error = true;
                    self.finished = true;
                }
                _ => {}
            },
            Api::OpenAiEmbeddings
            | Api::AnthropicCountTokens
            | Api::GeminiCountTokens
            | Api::GeminiEmbed => {}
        }
        if self.api == Api::BedrockInvoke && kind.is_some_and(|k| k.starts_with(EXCEPTION_PREFIX)) {
            delta.error = true;
            self.finished = true;
        }
    }

    fn merge(&mut self, u: Usage) {
        self.usage.input_tokens = u.input_tokens.or(self.usage.input_tokens);
        self.usage.output_tokens = u.output_tokens.or(self.usage.output_tokens);
    }
}

/// The string nodes of one event payload that carry model text, in order.
fn text_nodes<'a>(api: Api, body: &[u8], root: &'a Node, kind: Option<&str>) -> Vec<&'a Node> {
    let mut out = Vec::new();
    let mut push = |node: Option<&'a Node>| {
        if let Some(n) = node.filter(|n| n.is_str()) {
            out.push(n);
        }
    };
    match api {
        Api::OpenAiChat => {
            for choice in root
                .get("choices")
                .and_then(Node::as_array)
                .unwrap_or_default()
            {
                let Some(d) = choice.get("delta") else {
                    continue;
                };
                for key in ["reasoning_content", "content", "refusal"] {
                    push(d.get(key));
                }
                push(at(d, &["function_call", "arguments"]));
                for call in d
                    .get("tool_calls")
                    .and_then(Node::as_array)
                    .unwrap_or_default()
                {
                    push(at(call, &["function", "arguments"]));
                }
            }
        }
        Api::OpenAiCompletions => {
            for choice in root
                .get("choices")
                .and_then(Node::as_array)
                .unwrap_or_default()
            {
                push(choice.get("text"));
            }
        }
        Api::OpenAiResponses => {
            if kind.is_some_and(|k| RESPONSES_TEXT_DELTAS.contains(&k)) {
                push(root.get("delta"));
            }
        }
        Api::AnthropicMessages | Api::BedrockInvoke => match kind {
            Some("content_block_delta") => {
                let d = root.get("delta");
                match d.and_then(|d| str_at(body, d, &["type"])).as_deref() {
                    Some("text_delta") => push(d.and_then(|d| d.get("text"))),
                    Some("input_json_delta") => push(d.and_then(|d| d.get("partial_json"))),
                    Some("thinking_delta") => push(d.and_then(|d| d.get("thinking"))),
                    _ => {}
                }
            }
            Some("content_block_start") => {
                let block = root.get("content_block");
                if block.and_then(|b| str_at(body, b, &["type"])).as_deref() == Some("text") {
                    push(block.and_then(|b| b.get("text")));
                }
            }
            _ => {}
        },
        Api::GeminiGenerate => {
            for cand in root
                .get("candidates")
                .and_then(Node::as_array)
                .unwrap_or_default()
            {
                for part in at(cand, &["content", "parts"])
                    .and_then(Node::as_array)
                    .unwrap_or_default()
                {
                    push(part.get("text"));
                    push(at(part, &["executableCode", "code"]));
                    push(at(part, &["codeExecutionResult", "output"]));
                    // A Gemini tool call arrives whole in one event: its arguments' strings are
                    // model output too.
                    if let Some(args) = at(part, &["functionCall", "args"]) {
                        let mut leaves = Vec::new();
                        string_leaves(args, &mut leaves);
                        leaves.into_iter().for_each(|n| push(Some(n)));
                    }
                }
            }
        }
        Api::BedrockConverse => {
            if kind == Some("contentBlockDelta") {
                let d = root.get("delta");
                push(d.and_then(|d| d.get("text")));
                push(d.and_then(|d| at(d, &["reasoningContent", "text"])));
                push(d.and_then(|d| at(d, &["toolUse", "input"])));
            }
        }
        Api::OpenAiEmbeddings
        | Api::AnthropicCountTokens
        | Api::GeminiCountTokens
        | Api::GeminiEmbed => {}
    }
    out
}

/// Every string value below `node`, in document order (object keys are the model's schema
/// names, not its output).
fn string_leaves<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match &node.value {
        Value::Str => out.push(node),
        Value::Array(items) => items.iter().for_each(|n| string_leaves(n, out)),
        Value::Object(members) => members.iter().for_each(|(_, n)| string_leaves(n, out)),
        Value::Null | Value::Bool(_) | Value::Number => {}
    }
}

fn at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(node, |n, key| n.get(key))
}

fn str_at(body: &[u8], node: &Node, path: &[&str]) -> Option<String> {
    at(node, path)
        .filter(|n| n.is_str())
        .and_then(|n| decode_str(body, &n.span).ok())
}

/// The event with its text delta replaced by `new_text` (when an event carries several text
/// fields, the first gets `new_text` and the others become empty). Every other byte of the
/// payload is kept. `None` when the event carries no text or is not strict JSON.
pub fn replace_delta_text(api: Api, ev: &SseEvent, new_text: &str) -> Option<SseEvent> {
    let body = ev.data.as_bytes();
    let root = json::parse(body).ok()?;
    let kind = str_at(body, &root, &["type"]).or_else(|| ev.event.clone());
    let edits: Vec<Edit> = text_nodes(api, body, &root, kind.as_deref())
        .iter()
        .enumerate()
        .map(|(i, n)| Edit {
            raw: n.span.clone(),
            text: if i == 0 {
                new_text.to_owned()
            } else {
                String::new()
            },
        })
        .collect();
    if edits.is_empty() {
        return None;
    }
    rewrite_event(ev, &edits).ok()
}

/// The full-text snapshots an event repeats (see [`Delta::snapshot`]); each segment's `raw`
/// range indexes into `ev.data`. Empty for events and APIs without snapshots.
pub fn snapshot_segments(api: Api, ev: &SseEvent) -> Result<Vec<Segment>, ExtractError> {
    if api != Api::OpenAiResponses || ev.data.is_empty() {
        return Ok(Vec::new());
    }
    let body = ev.data.as_bytes();
    let root = json::parse(body)?;
    match str_at(body, &root, &["type"]).or_else(|| ev.event.clone()) {
        Some(kind) => snapshot_in(body, &root, &kind),
        None => Ok(Vec::new()),
    }
}

/// The event with `edits` (raw ranges into `ev.data`, e.g. from [`snapshot_segments`]) applied
/// to its payload; `raw` is re-serialised.
pub fn rewrite_event(ev: &SseEvent, edits: &[Edit]) -> Result<SseEvent, ExtractError> {
    let data = rewrite(ev.data.as_bytes(), edits)?;
    let data = String::from_utf8(data).map_err(|_| ExtractError::Internal)?;
    let mut out = SseEvent {
        event: ev.event.clone(),
        data,
        id: ev.id.clone(),
        raw: Vec::new(),
    };
    out.raw = out.to_bytes();
    Ok(out)
}

/// A terminating error event in the provider's own stream error shape, ready to write to the
/// client: OpenAI chat/completions `data: {"error":{...}}`; Responses `event: error` with both
/// the Responses fields and an `error` object (so the SDKs raise); Anthropic
/// `event: error` + `{"type":"error","error":{"type":..,"message":..}}`.
pub fn error_event(api: Api, kind: &str, message: &str) -> Vec<u8> {
    use serde_json::json;
    let (event, payload) = match api {
        Api::OpenAiChat | Api::OpenAiCompletions | Api::OpenAiEmbeddings => (
            None,
            json!({"error": {"message": message, "type": kind, "param": null, "code": kind}}),
        ),
        Api::OpenAiResponses => (
            Some("error"),
            json!({
                "type": "error",
                "code": kind,
                "message": message,
                "param": null,
                "error": {"type": kind, "code": kind, "message": message},
            }),
        ),
        // Bedrock streams are re-framed by the caller of this function
        // (`eventstream::exception_frame`); this payload is the message for its body.
        Api::BedrockConverse | Api::BedrockInvoke => (None, json!({"message": message})),
        Api::AnthropicMessages | Api::AnthropicCountTokens => (
            Some("error"),
            json!({"type": "error", "error": {"type": kind, "message": message}}),
        ),
        // A google.rpc.Status in a data-only event, as Google's streams end on an error; the
        // aimsgate kind is its ErrorInfo reason.
        Api::GeminiGenerate | Api::GeminiCountTokens | Api::GeminiEmbed => {
            let (code, status) = if kind == "output_blocked" {
                (403, "PERMISSION_DENIED")
            } else {
                (500, "INTERNAL")
            };
            (
                None,
                json!({"error": {"code": code, "message": message, "status": status, "details": [
                    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": kind, "domain": "aimsgate"}
                ]}}),
            )
        }
    };
    SseEvent::new(event, &payload.to_string()).raw
}
