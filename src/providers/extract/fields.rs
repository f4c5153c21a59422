//! The top-level members each request API defines (OpenAI chat completions, Responses,
//! embeddings, legacy completions; Anthropic Messages and count_tokens), from the providers' API
//! references. A member not listed is an unknown shape (refused, or scanned under
//! `[classify] unknown_shapes = "scan"`). Knows names only; where text lives in them is
//! `openai.rs` and `anthropic.rs`, and every literal of every member is taken anyway.

/// Top-level members of a chat completions request.
pub(crate) const CHAT: &[&str] = &[
    "model",
    "messages",
    "audio",
    "frequency_penalty",
    "function_call",
    "functions",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "metadata",
    "modalities",
    "n",
    "parallel_tool_calls",
    "prediction",
    "presence_penalty",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning_effort",
    "response_format",
    "safety_identifier",
    "seed",
    "service_tier",
    "stop",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "verbosity",
    "web_search_options",
];

/// Top-level members of a Responses API request.
pub(crate) const RESPONSES: &[&str] = &[
    "model",
    "input",
    "instructions",
    "background",
    "conversation",
    "include",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
];

/// Top-level members of an embeddings request.
pub(crate) const EMBEDDINGS: &[&str] = &["model", "input", "dimensions", "encoding_format", "user"];

/// Top-level members of a legacy completions request.
pub(crate) const COMPLETIONS: &[&str] = &[
    "model",
    "prompt",
    "best_of",
    "echo",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "max_tokens",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "suffix",
    "temperature",
    "top_p",
    "user",
];

/// Top-level members of a Messages request.
pub(crate) const MESSAGES: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "container",
    "context_management",
    "mcp_servers",
    "metadata",
    "output_config",
    "output_format",
    "service_tier",
    "stop_sequences",
    "stream",
    "system",
    "temperature",
    "thinking",
    "tool_choice",
    "tools",
    "top_k",
    "top_p",
];

/// Top-level members of a count_tokens request.
pub(crate) const COUNT_TOKENS: &[&str] = &[
    "model",
    "messages",
    "context_management",
    "mcp_servers",
    "output_config",
    "output_format",
    "system",
    "thinking",
    "tool_choice",
    "tools",
];

/// Top-level members of a Gemini `generateContent` / `streamGenerateContent` request, in both
/// proto3 JSON spellings (`labels` is Vertex AI's).
pub(crate) const GEMINI_GENERATE: &[&str] = &[
    "contents",
    "systemInstruction",
    "system_instruction",
    "tools",
    "toolConfig",
    "tool_config",
    "safetySettings",
    "safety_settings",
    "generationConfig",
    "generation_config",
    "cachedContent",
    "cached_content",
    "labels",
    "model",
];

/// Top-level members of a Gemini `countTokens` request.
pub(crate) const GEMINI_COUNT_TOKENS: &[&str] = &[
    "contents",
    "generateContentRequest",
    "generate_content_request",
    // Vertex AI's countTokens takes the generate fields at the top level.
    "systemInstruction",
    "system_instruction",
    "tools",
    "generationConfig",
    "generation_config",
    "model",
];

/// Top-level members of a Gemini `embedContent` request (and `batchEmbedContents`' `requests`).
pub(crate) const GEMINI_EMBED: &[&str] = &[
    "requests",
    "content",
    "model",
    "taskType",
    "task_type",
    "title",
    "outputDimensionality",
    "output_dimensionality",
];

/// Top-level members of a Bedrock `Converse` / `ConverseStream` request (the model id is in the
/// path; `modelId` is tolerated as the SDKs never send it in the body).
pub(crate) const BEDROCK_CONVERSE: &[&str] = &[
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
];

/// Top-level members of an InvokeModel body in the Anthropic-on-Bedrock shape
/// (`anthropic_version: "bedrock-2023-05-31"`; no `model` or `stream`: the path says both).
pub(crate) const BEDROCK_ANTHROPIC: &[&str] = &[
    "anthropic_version",
    "anthropic_beta",
    "messages",
    "system",
    "max_tokens",
    "metadata",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
];
