//! Request and response text extraction for the supported provider APIs.
//!
//! Owns: finding every piece of text a request sends to the model (after JSON unescaping), each
//! mapped back to its JSON pointer and the raw byte range of its string literal; the request
//! facts the policy needs (`model`, `stream`, `max_tokens`); splicing replacement text into the
//! body sent upstream ([`rewrite`]) without touching any other byte; and reading the model's
//! output text and token usage from non-streamed responses.
//!
//! Pure: bytes in, data out. It does not know HTTP, routes, error shapes, classification or
//! policy; streams are in [`super::sse`].
//!
//! Strictness (security): bodies that are not valid JSON, not a JSON object, nest deeper than
//! [`MAX_DEPTH`] or repeat a key in any object are rejected with an [`ExtractError`], because a
//! lenient or differently-resolving parser upstream could otherwise read text the classifier
//! never saw (see `extract/json.rs`). Shapes we do not recognise on the extraction path are not
//! skipped: all their string leaves are extracted as [`SegmentKind::Other`]. Binary payloads
//! (base64 images, documents, audio, data URLs) are not returned as text; their raw size is
//! reported in [`Extracted::skipped_binary_bytes`].

mod anthropic;
pub(crate) mod json;
mod openai;
pub(crate) mod usage;
mod walk;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub use json::MAX_DEPTH;

/// The provider APIs whose bodies aimsgate understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// OpenAI `POST /v1/chat/completions` (and OpenAI-compatible servers).
    OpenAiChat,
    /// OpenAI `POST /v1/responses`.
    OpenAiResponses,
    /// OpenAI `POST /v1/embeddings`.
    OpenAiEmbeddings,
    /// OpenAI legacy `POST /v1/completions`.
    OpenAiCompletions,
    /// Anthropic `POST /v1/messages`.
    AnthropicMessages,
    /// Anthropic `POST /v1/messages/count_tokens`.
    AnthropicCountTokens,
}

impl Api {
    /// Every API, for tests and fuzzing.
    pub const ALL: [Api; 6] = [
        Api::OpenAiChat,
        Api::OpenAiResponses,
        Api::OpenAiEmbeddings,
        Api::OpenAiCompletions,
        Api::AnthropicMessages,
        Api::AnthropicCountTokens,
    ];
}

/// Who or what a piece of text speaks for in the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// System prompts, developer messages, Responses `instructions`.
    System,
    /// User messages.
    User,
    /// Assistant messages (earlier turns in a request; the output in a response).
    Assistant,
    /// Tool or function call arguments written by the model.
    ToolCall,
    /// Tool or function results returned to the model.
    ToolResult,
    /// Embeddings / completions / Responses string input.
    Input,
    /// Anything else sent to the model: tool descriptions, URLs, unrecognised shapes.
    Other,
}

/// One extracted piece of text and where it lives in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The unescaped text, exactly as the provider's JSON parser will read it.
    pub text: String,
    /// RFC 6901 JSON pointer, e.g. `/messages/2/content/0/text`.
    pub pointer: String,
    /// Raw byte range of the JSON string literal in the body, quotes included.
    pub raw: Range<usize>,
    pub kind: SegmentKind,
}

/// Everything a request tells us: its text and the facts the policy reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    pub segments: Vec<Segment>,
    pub model: Option<String>,
    pub stream: bool,
    /// `max_tokens`, `max_completion_tokens` or `max_output_tokens`, whichever the API uses.
    pub max_tokens: Option<u64>,
    /// Raw bytes of binary payloads (base64 images, files, audio) that were not extracted.
    pub skipped_binary_bytes: usize,
}

/// Why a body could not be read. `Display` never echoes body content: only positions and fixed
/// texts, so it is safe to show to callers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    #[error("malformed JSON at line {line} column {column}: {reason}")]
    Malformed {
        line: usize,
        column: usize,
        reason: &'static str,
    },
    #[error("request body must be a JSON object")]
    NotObject,
    #[error("duplicate object key at line {line} column {column} (ambiguous JSON is refused)")]
    DuplicateKey { line: usize, column: usize },
    #[error("JSON nested deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("invalid edit: {0}")]
    InvalidEdit(&'static str),
    #[error("internal error while reading the JSON body")]
    Internal,
}

impl ExtractError {
    /// A stable machine-readable name for metrics, evidence and error `type` fields.
    pub fn kind(&self) -> &'static str {
        match self {
            ExtractError::Malformed { .. } => "malformed_json",
            ExtractError::NotObject => "not_an_object",
            ExtractError::DuplicateKey { .. } => "duplicate_key",
            ExtractError::TooDeep { .. } => "too_deep",
            ExtractError::InvalidEdit(_) => "invalid_edit",
            ExtractError::Internal => "internal",
        }
    }
}

/// Replace one extracted string literal (its [`Segment::raw`] range) with new, unescaped text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub raw: Range<usize>,
    pub text: String,
}

/// Token usage reported by the provider, when it reports it.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// Extracts every piece of text `body` sends to the model, plus the request facts.
pub fn extract(api: Api, body: &[u8]) -> Result<Extracted, ExtractError> {
    let root = json::parse(body)?;
    if !matches!(root.value, json::Value::Object(_)) {
        return Err(ExtractError::NotObject);
    }
    let mut walker = walk::Walker::new(body);
    match api {
        Api::OpenAiChat => openai::chat_request(&mut walker, &root)?,
        Api::OpenAiResponses => openai::responses_request(&mut walker, &root)?,
        Api::OpenAiEmbeddings => openai::embeddings_request(&mut walker, &root)?,
        Api::OpenAiCompletions => openai::completions_request(&mut walker, &root)?,
        Api::AnthropicMessages | Api::AnthropicCountTokens => {
            anthropic::messages_request(&mut walker, &root)?;
        }
    }
    let max_keys: &[&str] = match api {
        Api::OpenAiChat => &["max_completion_tokens", "max_tokens"],
        Api::OpenAiResponses => &["max_output_tokens"],
        Api::OpenAiCompletions | Api::AnthropicMessages => &["max_tokens"],
        Api::OpenAiEmbeddings | Api::AnthropicCountTokens => &[],
    };
    let max_tokens = max_keys.iter().find_map(|k| {
        let node = root.get(k)?;
        let raw = body.get(node.span.clone())?;
        std::str::from_utf8(raw).ok()?.parse::<u64>().ok()
    });
    Ok(Extracted {
        segments: walker.segments,
        model: walk::str_field(body, &root, "model"),
        stream: matches!(
            root.get("stream").map(|n| &n.value),
            Some(json::Value::Bool(true))
        ),
        max_tokens,
        skipped_binary_bytes: walker.skipped,
    })
}

/// Applies `edits` to `body`: each edit's literal is replaced by the JSON-escaped new text; every
/// byte outside the edited literals is copied unchanged. Edits must each cover one whole string
/// literal (as given by [`Segment::raw`]) and must not overlap; their order does not matter.
pub fn rewrite(body: &[u8], edits: &[Edit]) -> Result<Vec<u8>, ExtractError> {
    let mut order: Vec<&Edit> = edits.iter().collect();
    order.sort_by_key(|e| (e.raw.start, e.raw.end));
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0usize;
    for edit in order {
        let Range { start, end } = edit.raw.clone();
        if start < at {
            return Err(ExtractError::InvalidEdit("edits overlap"));
        }
        let lit = body
            .get(start..end)
            .ok_or(ExtractError::InvalidEdit("range outside the body"))?;
        if !is_one_literal(lit) {
            return Err(ExtractError::InvalidEdit("range is not one string literal"));
        }
        let gap = body
            .get(at..start)
            .ok_or(ExtractError::InvalidEdit("range outside the body"))?;
        out.extend_from_slice(gap);
        let escaped = serde_json::to_string(&edit.text).map_err(|_| ExtractError::Internal)?;
        out.extend_from_slice(escaped.as_bytes());
        at = end;
    }
    out.extend_from_slice(body.get(at..).unwrap_or_default());
    Ok(out)
}

/// True when `lit` is exactly one JSON string literal: quoted, no unescaped quote inside.
fn is_one_literal(lit: &[u8]) -> bool {
    let [b'"', inner @ .., b'"'] = lit else {
        return false;
    };
    let mut escaped = false;
    for &b in inner {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return false,
            _ => {}
        }
    }
    !escaped
}

/// The model's output text in a non-streamed response body (empty for embeddings and
/// count_tokens). Segments carry pointers and raw ranges like request segments.
pub fn response_text(api: Api, body: &[u8]) -> Result<Vec<Segment>, ExtractError> {
    let root = json::parse(body)?;
    if !matches!(root.value, json::Value::Object(_)) {
        return Err(ExtractError::NotObject);
    }
    let mut walker = walk::Walker::new(body);
    match api {
        Api::OpenAiChat => openai::chat_response(&mut walker, &root)?,
        Api::OpenAiResponses => openai::responses_response(&mut walker, &root)?,
        Api::OpenAiCompletions => openai::completions_response(&mut walker, &root)?,
        Api::AnthropicMessages => anthropic::messages_response(&mut walker, &root)?,
        Api::OpenAiEmbeddings | Api::AnthropicCountTokens => {}
    }
    Ok(walker.segments)
}

/// Text that a stream event repeats in full after its deltas (OpenAI Responses `*.done`,
/// `response.output_item.*`, `response.content_part.*`, `response.completed`, ...), as segments
/// of the event's `data` (pointers and raw ranges into `data`). A proxy that redacts deltas must
/// redact these too, with [`rewrite`] on `data`, or the original text reaches the client anyway.
/// Empty for APIs whose streams carry no snapshots (chat, completions, Anthropic).
pub fn stream_snapshot_text(
    api: Api,
    event_type: &str,
    data: &[u8],
) -> Result<Vec<Segment>, ExtractError> {
    if api != Api::OpenAiResponses {
        return Ok(Vec::new());
    }
    snapshot_in(data, &json::parse(data)?, event_type)
}

/// [`stream_snapshot_text`] on an already parsed Responses event payload.
pub(crate) fn snapshot_in(
    data: &[u8],
    root: &json::Node,
    event_type: &str,
) -> Result<Vec<Segment>, ExtractError> {
    let mut walker = walk::Walker::new(data);
    openai::responses_stream_snapshot(&mut walker, root, event_type)?;
    Ok(walker.segments)
}

/// Token usage from a non-streamed response body; unknown or missing fields are `None`.
pub fn response_usage(api: Api, body: &[u8]) -> Usage {
    usage::from_body(api, body)
}
