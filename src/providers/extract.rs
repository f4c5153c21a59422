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
//! never saw (see `extract/json.rs`).
//!
//! Completeness (security): every literal of a request body — each string value, each object
//! key and each number, in known fields and anywhere else — becomes a [`Segment`], so the
//! classifier sees all the model can read (names, schemas, tool inputs, numbers). The only
//! exception are payloads proven binary (strictly valid base64 of a declared binary media type
//! that starts with that type's file signature, see `extract/binary.rs`); their raw size is
//! reported in [`Extracted::skipped_binary_bytes`]. Text-typed base64 (`data:text/plain;base64,…`,
//! a text document) is decoded and its text is the segment ([`Literal::Base64`]). A request shape
//! an API's rules do not recognise (an unknown top-level field, message member, content part or
//! block type) is refused with [`ExtractError::UnknownShape`] unless [`UnknownShapes::Scan`] is
//! set, in which case it is taken literal by literal like everything else.

mod anthropic;
mod bedrock;
mod binary;
mod fields;
mod google;
pub(crate) mod json;
mod openai;
mod rewrite;
pub(crate) mod usage;
mod walk;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub use json::MAX_DEPTH;
pub use rewrite::rewrite;

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
    /// Gemini `models/{model}:generateContent` and `:streamGenerateContent`.
    GeminiGenerate,
    /// Gemini `models/{model}:countTokens`.
    GeminiCountTokens,
    /// Gemini `models/{model}:embedContent`.
    GeminiEmbed,
    /// Bedrock `model/{modelId}/converse` and `converse-stream`.
    BedrockConverse,
    /// Bedrock `model/{modelId}/invoke` and `invoke-with-response-stream`: the body is the
    /// model's own; the Anthropic shape (`anthropic_version`) is known, any other is an unknown
    /// shape.
    BedrockInvoke,
}

impl Api {
    /// Every API, for tests and fuzzing.
    pub const ALL: [Api; 11] = [
        Api::OpenAiChat,
        Api::OpenAiResponses,
        Api::OpenAiEmbeddings,
        Api::OpenAiCompletions,
        Api::AnthropicMessages,
        Api::AnthropicCountTokens,
        Api::GeminiGenerate,
        Api::GeminiCountTokens,
        Api::GeminiEmbed,
        Api::BedrockConverse,
        Api::BedrockInvoke,
    ];

    /// Gemini and Bedrock APIs name the model in the path, not the body.
    pub fn model_in_path(self) -> bool {
        matches!(
            self,
            Api::GeminiGenerate
                | Api::GeminiCountTokens
                | Api::GeminiEmbed
                | Api::BedrockConverse
                | Api::BedrockInvoke
        )
    }
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

/// What kind of JSON literal a segment was read from; [`rewrite`] splices each kind so that the
/// body stays valid JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Literal {
    /// A string value; `raw` is the literal, quotes included.
    Str,
    /// An object key; `raw` is the key's literal, quotes included. Its pointer is the member's.
    Key,
    /// A number; `raw` is the number as written (a replacement is written as a JSON string).
    Number,
    /// Base64 of text (a text-typed data URL or document): the segment's text is the *decoded*
    /// text, and `raw` is the literal's content between its quotes; a replacement is
    /// re-encoded (a data URL keeps its `data:…;base64,` prefix).
    Base64,
}

/// One extracted piece of text and where it lives in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The unescaped text, exactly as the provider's JSON parser will read it (for
    /// [`Literal::Base64`]: as the provider decodes it).
    pub text: String,
    /// RFC 6901 JSON pointer, e.g. `/messages/2/content/0/text` (for a key: its member's).
    pub pointer: String,
    /// Raw byte range of the literal in the body (see [`Literal`] for what it covers).
    pub raw: Range<usize>,
    pub kind: SegmentKind,
    pub literal: Literal,
}

/// What to do with a request shape the API rules do not recognise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownShapes {
    /// Refuse the body ([`ExtractError::UnknownShape`], a 400).
    #[default]
    Refuse,
    /// Take every string, key and number of it as text.
    Scan,
}

/// Options for [`extract_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtractOptions {
    pub unknown_shapes: UnknownShapes,
}

/// Everything a request tells us: its text and the facts the policy reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    pub segments: Vec<Segment>,
    pub model: Option<String>,
    pub stream: bool,
    /// `max_tokens`, `max_completion_tokens` or `max_output_tokens`, whichever the API uses.
    pub max_tokens: Option<u64>,
    /// Raw bytes the classifier cannot read and did not get: payloads proven binary (base64
    /// images, files, audio) and token-id input. Counted as unscanned in the decision facts.
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
    #[error("request carries more than {max} strings, keys and numbers to inspect; split it into smaller requests")]
    TooManyValues { max: usize },
    #[error("invalid edit: {0}")]
    InvalidEdit(&'static str),
    /// `at` is built from known field names and indices only, never from body content.
    #[error("request shape not recognised at {at}; aimsgate refuses fields and content types it cannot classify")]
    UnknownShape { at: String },
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
            ExtractError::TooManyValues { .. } => "too_many_values",
            ExtractError::InvalidEdit(_) => "invalid_edit",
            ExtractError::UnknownShape { .. } => "unknown_shape",
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

/// Extracts every piece of text `body` sends to the model, plus the request facts, with the
/// default options (unknown shapes refused).
pub fn extract(api: Api, body: &[u8]) -> Result<Extracted, ExtractError> {
    extract_with(api, body, ExtractOptions::default())
}

/// [`extract`] with explicit options.
pub fn extract_with(
    api: Api,
    body: &[u8],
    opts: ExtractOptions,
) -> Result<Extracted, ExtractError> {
    let root = json::parse(body)?;
    if !matches!(root.value, json::Value::Object(_)) {
        return Err(ExtractError::NotObject);
    }
    let mut walker = walk::Walker::request(body, opts.unknown_shapes);
    known_top_level(&mut walker, api, &root)?;
    match api {
        Api::OpenAiChat => openai::chat_request(&mut walker, &root)?,
        Api::OpenAiResponses => openai::responses_request(&mut walker, &root)?,
        Api::OpenAiEmbeddings => openai::embeddings_request(&mut walker, &root)?,
        Api::OpenAiCompletions => openai::completions_request(&mut walker, &root)?,
        Api::AnthropicMessages | Api::AnthropicCountTokens => {
            anthropic::messages_request(&mut walker, &root)?;
        }
        Api::GeminiGenerate => google::generate_request(&mut walker, &root)?,
        Api::GeminiCountTokens => google::count_tokens_request(&mut walker, &root)?,
        Api::GeminiEmbed => google::embed_request(&mut walker, &root)?,
        Api::BedrockConverse => bedrock::converse_request(&mut walker, &root)?,
        Api::BedrockInvoke if is_bedrock_anthropic(body, &root) => {
            anthropic::messages_request(&mut walker, &root)?;
        }
        // Another model family's body: every member was an unknown shape above.
        Api::BedrockInvoke => {}
    }
    walker.sweep(&root)?;
    if walker.overflowed() {
        return Err(ExtractError::TooManyValues {
            max: walk::MAX_SEGMENTS,
        });
    }
    let max_keys: &[&str] = match api {
        Api::OpenAiChat => &["max_completion_tokens", "max_tokens"],
        Api::OpenAiResponses => &["max_output_tokens"],
        Api::OpenAiCompletions | Api::AnthropicMessages | Api::BedrockInvoke => &["max_tokens"],
        Api::OpenAiEmbeddings | Api::AnthropicCountTokens => &[],
        Api::GeminiGenerate | Api::GeminiCountTokens | Api::GeminiEmbed => &[],
        Api::BedrockConverse => &[],
    };
    let number = |node: &json::Node| -> Option<u64> {
        let raw = body.get(node.span.clone())?;
        std::str::from_utf8(raw).ok()?.parse::<u64>().ok()
    };
    let max_tokens = match api {
        Api::GeminiGenerate => ["generationConfig", "generation_config"]
            .iter()
            .filter_map(|k| root.get(k))
            .find_map(|g| {
                ["maxOutputTokens", "max_output_tokens"]
                    .iter()
                    .find_map(|k| g.get(k).and_then(number))
            }),
        Api::BedrockConverse => root
            .get("inferenceConfig")
            .and_then(|c| c.get("maxTokens"))
            .and_then(number),
        _ => max_keys.iter().find_map(|k| root.get(k).and_then(number)),
    };
    Ok(Extracted {
        segments: walker.segments,
        // A Gemini body's `model` (embedContent, countTokens) does not pick the model; the path
        // does, and the pipeline takes it from there.
        model: (!api.model_in_path())
            .then(|| walk::str_field(body, &root, "model"))
            .flatten(),
        stream: matches!(
            root.get("stream").map(|n| &n.value),
            Some(json::Value::Bool(true))
        ),
        max_tokens,
        skipped_binary_bytes: walker.skipped,
    })
}

/// The top-level members `api` knows; any other member is an unknown shape.
fn known_top_level(w: &mut walk::Walker, api: Api, root: &json::Node) -> Result<(), ExtractError> {
    let known: &[&str] = match api {
        Api::OpenAiChat => fields::CHAT,
        Api::OpenAiResponses => fields::RESPONSES,
        Api::OpenAiEmbeddings => fields::EMBEDDINGS,
        Api::OpenAiCompletions => fields::COMPLETIONS,
        Api::AnthropicMessages => fields::MESSAGES,
        Api::AnthropicCountTokens => fields::COUNT_TOKENS,
        Api::GeminiGenerate => fields::GEMINI_GENERATE,
        Api::GeminiCountTokens => fields::GEMINI_COUNT_TOKENS,
        Api::GeminiEmbed => fields::GEMINI_EMBED,
        Api::BedrockConverse => fields::BEDROCK_CONVERSE,
        Api::BedrockInvoke if is_bedrock_anthropic(w.body, root) => fields::BEDROCK_ANTHROPIC,
        // An InvokeModel body of a model family aimsgate has no rules for: all of it is an
        // unknown shape (refused, or scanned literal by literal).
        Api::BedrockInvoke => &[],
    };
    if let json::Value::Object(members) = &root.value {
        for (i, (key, child)) in members.iter().enumerate() {
            if !known.contains(&key.as_str()) {
                let at = format!("member {i} of the top-level object");
                w.unknown(child, &walk::push("", key), &at, SegmentKind::Other)?;
            }
        }
    }
    Ok(())
}

/// An InvokeModel body in the Anthropic-on-Bedrock shape (`"anthropic_version": "bedrock-…"`).
fn is_bedrock_anthropic(body: &[u8], root: &json::Node) -> bool {
    walk::str_field(body, root, "anthropic_version").is_some_and(|v| v.starts_with("bedrock-"))
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
        Api::AnthropicMessages | Api::BedrockInvoke => {
            anthropic::messages_response(&mut walker, &root)?;
        }
        Api::BedrockConverse => bedrock::converse_response(&mut walker, &root)?,
        Api::GeminiGenerate => google::generate_response(&mut walker, &root)?,
        Api::OpenAiEmbeddings
        | Api::AnthropicCountTokens
        | Api::GeminiCountTokens
        | Api::GeminiEmbed => {}
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
