//! Response text and usage for every API.

use super::super::*;
use super::{assert_consistent, fixture, rows};

#[test]
fn response_text_for_each_api() {
    use SegmentKind::*;
    let chat = fixture!("openai_chat_response.json");
    let segs = response_text(Api::OpenAiChat, chat).unwrap();
    assert_consistent(chat, &segs);
    assert_eq!(
        rows(&segs),
        vec![
            (
                "/choices/0/message/content",
                Assistant,
                "Contact me at john@example.org."
            ),
            (
                "/choices/0/message/tool_calls/0/function/arguments",
                ToolCall,
                r#"{"q":"order 42"}"#
            ),
        ]
    );
    let resp = fixture!("openai_responses_response.json");
    assert_eq!(
        rows(&response_text(Api::OpenAiResponses, resp).unwrap()),
        vec![
            (
                "/output/0/summary/0/text",
                Assistant,
                "Considering unicorns."
            ),
            (
                "/output/1/content/0/text",
                Assistant,
                "In a peaceful grove beneath a silver moon, a unicorn named Lumina lived."
            ),
            ("/output/2/arguments", ToolCall, r#"{"title":"Lumina"}"#),
        ]
    );
    let comp = fixture!("openai_completions_response.json");
    assert_eq!(
        rows(&response_text(Api::OpenAiCompletions, comp).unwrap()),
        vec![("/choices/0/text", Assistant, "\n\nThis is indeed a test")]
    );
    let anth = fixture!("anthropic_messages_response.json");
    assert_eq!(
        rows(&response_text(Api::AnthropicMessages, anth).unwrap()),
        vec![
            ("/content/0/thinking", Assistant, "Let me think."),
            ("/content/1/text", Assistant, "Hi! My name is Claude."),
            ("/content/2/input/location", ToolCall, "San Francisco, CA"),
        ]
    );
    let emb = fixture!("openai_embeddings_response.json");
    assert!(response_text(Api::OpenAiEmbeddings, emb)
        .unwrap()
        .is_empty());
    assert_eq!(
        response_text(Api::OpenAiChat, b"{").unwrap_err().kind(),
        "malformed_json"
    );
}

#[test]
fn usage_for_each_api() {
    let u = |input, output| Usage {
        input_tokens: input,
        output_tokens: output,
    };
    let cases = [
        (
            Api::OpenAiChat,
            fixture!("openai_chat_response.json"),
            u(Some(1117), Some(46)),
        ),
        (
            Api::OpenAiResponses,
            fixture!("openai_responses_response.json"),
            u(Some(36), Some(87)),
        ),
        (
            Api::OpenAiCompletions,
            fixture!("openai_completions_response.json"),
            u(Some(5), Some(7)),
        ),
        (
            Api::OpenAiEmbeddings,
            fixture!("openai_embeddings_response.json"),
            u(Some(8), None),
        ),
        (
            Api::AnthropicMessages,
            fixture!("anthropic_messages_response.json"),
            u(Some(2110), Some(503)),
        ),
        (
            Api::AnthropicCountTokens,
            fixture!("anthropic_count_tokens_response.json"),
            u(Some(14), None),
        ),
    ];
    for (api, body, want) in cases {
        assert_eq!(response_usage(api, body), want, "{api:?}");
    }
    assert_eq!(
        response_usage(Api::OpenAiChat, b"not json"),
        Usage::default()
    );
    assert_eq!(
        response_usage(Api::OpenAiChat, br#"{"usage":{"prompt_tokens":-1}}"#),
        Usage::default()
    );
}
