//! Presets for the OpenAI-compatible providers people use: each names the provider's API base
//! URL, the environment variable its key is read from, and how its model names look. All of
//! them take the key as `Authorization: Bearer <key>`, as OpenAI does, and serve the OpenAI
//! routes (`/v1/chat/completions`, `/v1/embeddings`, `/v1/models`, ...), so an upstream with a
//! preset is an `openai_compatible` upstream whose `base_url` and `api_key` may be left out.
//!
//! Data only: validation applies it (`validate/upstreams.rs`); the README lists it.

/// One provider preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    /// The API base URL (the SDK's `base_url`), ending before `/chat/completions`.
    pub base_url: &'static str,
    /// The environment variable the key is read from, if the provider uses one.
    pub key_env: Option<&'static str>,
    /// How the provider's model names look (for `[[routing.models]]` patterns).
    pub models: &'static str,
}

/// Every preset, by name.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "mistral",
        base_url: "https://api.mistral.ai/v1",
        key_env: Some("MISTRAL_API_KEY"),
        models: "mistral-*, open-mistral-*, codestral-*, pixtral-*, ministral-*",
    },
    Preset {
        name: "groq",
        base_url: "https://api.groq.com/openai/v1",
        key_env: Some("GROQ_API_KEY"),
        models: "llama-3.3-70b-versatile, gemma2-9b-it, ... (Groq's model ids)",
    },
    Preset {
        name: "together",
        base_url: "https://api.together.xyz/v1",
        key_env: Some("TOGETHER_API_KEY"),
        models: "<org>/<model>, e.g. meta-llama/Llama-3.3-70B-Instruct-Turbo",
    },
    Preset {
        name: "fireworks",
        base_url: "https://api.fireworks.ai/inference/v1",
        key_env: Some("FIREWORKS_API_KEY"),
        models: "accounts/fireworks/models/<model>",
    },
    Preset {
        name: "deepseek",
        base_url: "https://api.deepseek.com/v1",
        key_env: Some("DEEPSEEK_API_KEY"),
        models: "deepseek-chat, deepseek-reasoner",
    },
    Preset {
        name: "xai",
        base_url: "https://api.x.ai/v1",
        key_env: Some("XAI_API_KEY"),
        models: "grok-*",
    },
    Preset {
        name: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        key_env: Some("OPENROUTER_API_KEY"),
        models: "<provider>/<model>, e.g. anthropic/claude-3.5-sonnet",
    },
    Preset {
        name: "ollama",
        base_url: "http://127.0.0.1:11434/v1",
        key_env: None,
        models: "the local model tags, e.g. llama3.2, qwen2.5:7b",
    },
    Preset {
        name: "vllm",
        base_url: "http://127.0.0.1:8000/v1",
        key_env: Some("VLLM_API_KEY"),
        models: "the served model name (vLLM's --served-model-name)",
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Every preset name, for error messages.
pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}
