//! Every request shape of every API, on the fixtures.

use super::super::*;
use super::{assert_consistent, assert_in_order, fixture, rows, ANTH_REQ, CHAT_REQ, RESP_REQ};

#[test]
fn openai_chat_request_every_shape() {
    use SegmentKind::*;
    let ex = extract(Api::OpenAiChat, CHAT_REQ).unwrap();
    assert_consistent(CHAT_REQ, &ex.segments);
    let pem = "My email is jane.doe@example.com and my key is:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
    assert_in_order(
        rows(&ex.segments),
        vec![
            (
                "/messages/0/content",
                System,
                "You are a helpful assistant for Acme Corp.",
            ),
            (
                "/messages/1/content/0/text",
                System,
                "Answer in English.\nBe brief.",
            ),
            ("/messages/2/content", User, pem),
            (
                "/messages/3/content/0/text",
                User,
                "What is in this image? Café 😀",
            ),
            (
                "/messages/3/content/2/image_url/url",
                Other,
                "https://example.com/cat.png",
            ),
            ("/messages/3/content/4/file/filename", Other, "report.pdf"),
            (
                "/messages/4/tool_calls/0/function/arguments",
                ToolCall,
                r#"{"location":"Boston, MA","unit":"celsius"}"#,
            ),
            (
                "/messages/5/content",
                ToolResult,
                r#"{"temperature": 22, "condition": "sunny"}"#,
            ),
            ("/messages/6/content", Assistant, "It is sunny in Boston."),
            (
                "/messages/7/content",
                User,
                "Thanks! Now \"quote\" this \\ backslash and tab\there.",
            ),
            (
                "/tools/0/function/description",
                Other,
                "Get the current weather for a city",
            ),
        ],
    );
    assert_eq!(ex.model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert!(ex.stream);
    assert_eq!(ex.max_tokens, Some(512));
    // image data URL + audio data + file data URL, counted by raw literal length.
    let binary: usize = ["data:image/png;base64,", "UklGRiQ", "data:application/pdf"]
        .iter()
        .map(|needle| {
            let at = find(CHAT_REQ, needle.as_bytes()) - 1;
            let end = at + 1 + CHAT_REQ[at + 1..].iter().position(|&b| b == b'"').unwrap();
            end + 1 - at
        })
        .sum();
    assert_eq!(ex.skipped_binary_bytes, binary);
    assert!(ex.segments.iter().all(|s| !s.text.contains("base64")));
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn openai_responses_request_every_shape() {
    use SegmentKind::*;
    let ex = extract(Api::OpenAiResponses, RESP_REQ).unwrap();
    assert_consistent(RESP_REQ, &ex.segments);
    assert_in_order(
        rows(&ex.segments),
        vec![
            (
                "/instructions",
                System,
                "You are a coding assistant that talks like a pirate.",
            ),
            ("/input/0/content", User, "Plain string message content."),
            ("/input/1/content/0/text", User, "what is in this image?"),
            ("/input/1/content/3/filename", Other, "draconomicon.pdf"),
            ("/input/2/content/0/text", Assistant, "Arr, a cat!"),
            ("/input/3/arguments", ToolCall, r#"{"location":"Paris"}"#),
            ("/input/4/output", ToolResult, r#"{"temperature":"18C"}"#),
            (
                "/input/5/summary/0/text",
                Assistant,
                "Thinking about Paris.",
            ),
            ("/tools/0/description", Other, "Weather lookup"),
        ],
    );
    assert_eq!(ex.max_tokens, Some(1024));
    assert!(!ex.stream);
    assert!(ex.skipped_binary_bytes > 0);
}

#[test]
fn openai_responses_string_input() {
    let body =
        br#"{"model":"gpt-4.1","input":"Tell me a story","max_output_tokens":5,"stream":true}"#;
    let ex = extract(Api::OpenAiResponses, body).unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![("/input", SegmentKind::Input, "Tell me a story")],
    );
    assert!(ex.stream);
    assert_eq!(ex.max_tokens, Some(5));
}

#[test]
fn embeddings_strings_and_token_arrays() {
    let ex = extract(
        Api::OpenAiEmbeddings,
        fixture!("openai_embeddings_request.json"),
    )
    .unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            (
                "/input/0",
                SegmentKind::Input,
                "The food was delicious and the waiter...",
            ),
            (
                "/input/1",
                SegmentKind::Input,
                "Second text with SSN 078-05-1120",
            ),
        ],
    );
    let tokens = extract(
        Api::OpenAiEmbeddings,
        fixture!("openai_embeddings_tokens_request.json"),
    );
    // Token ids hold no text the classifier can read: no segments, their bytes unscanned.
    let tokens = tokens.unwrap();
    assert!(!tokens
        .segments
        .iter()
        .any(|s| s.pointer.starts_with("/input/")));
    assert!(tokens.skipped_binary_bytes > 0);
    let single = extract(Api::OpenAiEmbeddings, br#"{"input":"one","model":"m"}"#).unwrap();
    assert_in_order(
        rows(&single.segments),
        vec![("/input", SegmentKind::Input, "one")],
    );
}

#[test]
fn completions_prompt_shapes() {
    let ex = extract(
        Api::OpenAiCompletions,
        fixture!("openai_completions_request.json"),
    )
    .unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/prompt/0", SegmentKind::Input, "Say this is a test"),
            ("/prompt/1", SegmentKind::Input, "And this too"),
            ("/suffix", SegmentKind::Input, "End."),
        ],
    );
    assert_eq!(ex.max_tokens, Some(7));
    let tokens = extract(Api::OpenAiCompletions, br#"{"prompt":[1,2,3],"model":"m"}"#).unwrap();
    assert!(tokens
        .segments
        .iter()
        .all(|s| !s.pointer.starts_with("/prompt/")));
    assert_eq!(tokens.skipped_binary_bytes, "[1,2,3]".len());
}

#[test]
fn anthropic_messages_every_shape() {
    use SegmentKind::*;
    let ex = extract(Api::AnthropicMessages, ANTH_REQ).unwrap();
    assert_consistent(ANTH_REQ, &ex.segments);
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/system/0/text", System, "You are an AI assistant tasked with analyzing literary works."),
            ("/messages/0/content", User, "Hello, Claude. My card is 4111 1111 1111 1111."),
            ("/messages/1/content/0/thinking", Assistant, "The user shared a card number."),
            ("/messages/1/content/1/text", Assistant, "Let me check the weather."),
            ("/messages/1/content/2/input/location", ToolCall, "San Francisco, CA"),
            ("/messages/1/content/2/input/unit", ToolCall, "celsius"),
            ("/messages/1/content/2/input/id", ToolCall, "free text under an id key"),
            ("/messages/2/content/0/content/0/text", ToolResult, "15 degrees"),
            ("/messages/2/content/1/content", ToolResult, "plain string result"),
            (
                "/messages/2/content/2/source/url",
                Other,
                "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"
            ),
            ("/messages/2/content/3/title", Other, "Annual report"),
            (
                "/messages/2/content/4/source/data",
                User,
                "The grass is green. DB=postgres://admin:hunter2@db.internal/prod"
            ),
            ("/messages/2/content/6/text", User, "What should I wear?"),
            ("/tools/0/description", Other, "Get the current weather in a given location"),
        ]
    );
    assert_eq!(ex.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(ex.max_tokens, Some(1024));
    assert!(ex.stream);
    // tool_result image, pdf document and redacted_thinking are binary.
    assert!(ex.skipped_binary_bytes > 100);
}

#[test]
fn anthropic_count_tokens_string_system() {
    let ex = extract(
        Api::AnthropicCountTokens,
        fixture!("anthropic_count_tokens_request.json"),
    );
    let ex = ex.unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/system", SegmentKind::System, "You are a scientist"),
            ("/messages/0/content", SegmentKind::User, "Hello, Claude"),
        ],
    );
    assert_eq!(ex.max_tokens, None);
}

#[test]
fn openai_chat_tool_parts_legacy_function_call_and_custom_tools() {
    use SegmentKind::*;
    let body = br#"{"model":"m","messages":[
        {"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"tool part"}]},
        {"role":"assistant","content":[{"type":"refusal","refusal":"I can't."}],"function_call":{"name":"f","arguments":"{\"x\":1}"}},
        {"role":"assistant","tool_calls":[{"id":"c2","type":"custom","custom":{"name":"sql","input":"SELECT 1"}}]},
        {"role":"function","name":"f","content":"legacy result"}
    ],"max_tokens":9}"#;
    let ex = extract(Api::OpenAiChat, body).unwrap();
    assert_consistent(body, &ex.segments);
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/messages/0/content/0/text", ToolResult, "tool part"),
            ("/messages/1/content/0/refusal", Assistant, "I can't."),
            ("/messages/1/function_call/arguments", ToolCall, "{\"x\":1}"),
            (
                "/messages/2/tool_calls/0/custom/input",
                ToolCall,
                "SELECT 1",
            ),
            ("/messages/3/content", ToolResult, "legacy result"),
        ],
    );
    assert_eq!(
        ex.max_tokens,
        Some(9),
        "max_tokens is read when max_completion_tokens is absent"
    );
    assert!(!ex.stream);
}

#[test]
fn openai_responses_tool_outputs_as_parts_and_custom_calls() {
    use SegmentKind::*;
    let body = br#"{"model":"m","input":[
        {"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"part out"},{"type":"input_image","image_url":"https://x.test/a.png"}]},
        {"type":"custom_tool_call","call_id":"d","name":"grammar","input":"raw input"},
        {"type":"custom_tool_call_output","call_id":"d","output":"custom out"},
        {"type":"computer_call_output","call_id":"e","output":{"type":"computer_screenshot","image_url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}},
        {"role":"developer","content":"dev note"}
    ]}"#;
    let ex = extract(Api::OpenAiResponses, body).unwrap();
    assert_consistent(body, &ex.segments);
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/input/0/output/0/text", ToolResult, "part out"),
            ("/input/0/output/1/image_url", Other, "https://x.test/a.png"),
            ("/input/1/input", ToolCall, "raw input"),
            ("/input/2/output", ToolResult, "custom out"),
            ("/input/4/content", System, "dev note"),
        ],
    );
    assert_eq!(
        ex.skipped_binary_bytes,
        r#""data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==""#
            .len()
    );
}

#[test]
fn anthropic_unknown_blocks_and_document_content_source() {
    use SegmentKind::*;
    let body = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
        {"type":"document","source":{"type":"content","content":[{"type":"text","text":"chunk one"}]},"context":"ctx"},
        {"type":"future_block","body":{"words":"new text"},"id":"x"},
        {"type":"search_result","source":"https://s.test","title":"T","content":[{"type":"text","text":"found"}]}
    ]}]}"#;
    assert_eq!(
        extract(Api::AnthropicMessages, body),
        Err(ExtractError::UnknownShape {
            at: "/messages/0/content/1".into()
        }),
        "an unknown block type is refused by default"
    );
    let scan = ExtractOptions {
        unknown_shapes: UnknownShapes::Scan,
    };
    let ex = extract_with(Api::AnthropicMessages, body, scan).unwrap();
    assert_consistent(body, &ex.segments);
    assert_in_order(
        rows(&ex.segments),
        vec![
            (
                "/messages/0/content/0/source/content/0/text",
                User,
                "chunk one",
            ),
            ("/messages/0/content/0/context", Other, "ctx"),
            ("/messages/0/content/1/body/words", User, "new text"),
            ("/messages/0/content/2/title", Other, "T"),
            ("/messages/0/content/2/source", Other, "https://s.test"),
            ("/messages/0/content/2/content/0/text", User, "found"),
        ],
    );
}

#[test]
fn tool_schemas_and_structured_output_schemas() {
    let body = br#"{"model":"m","messages":[],
        "tools":[{"type":"function","function":{"name":"f","description":"Find a customer",
            "parameters":{"type":"object","required":["name"],"properties":{
                "name":{"type":"string","description":"Customer name, e.g. Project Falcon"},
                "tier":{"type":"string","enum":["gold","silver"]},
                "enum":{"type":"object","properties":{"x":{"description":"nested under a property named enum"}}}}}}}],
        "response_format":{"type":"json_schema","json_schema":{"name":"r","description":"Reply shape","schema":{"type":"object","title":"Reply"}}}}"#;
    let ex = extract(Api::OpenAiChat, body).unwrap();
    assert_consistent(body, &ex.segments);
    let texts: Vec<&str> = ex.segments.iter().map(|s| s.text.as_str()).collect();
    // Prose, names (tool `f`, format `r`), property names (keys) and structural strings alike.
    for want in [
        "f",
        "Find a customer",
        "name",
        "Customer name, e.g. Project Falcon",
        "tier",
        "gold",
        "silver",
        "x",
        "nested under a property named enum",
        "r",
        "Reply shape",
        "Reply",
        "string",
    ] {
        assert!(texts.contains(&want), "{want} in {texts:?}");
    }
    let key = ex.segments.iter().find(|s| s.text == "tier").unwrap();
    assert_eq!(key.literal, Literal::Key);
    assert_eq!(key.pointer, "/tools/0/function/parameters/properties/tier");
    assert!(ex.segments.iter().all(|s| s.kind == SegmentKind::Other));

    let anth = br#"{"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"t","description":"d","input_schema":{"type":"object","properties":{"q":{"type":"string","description":"query text"}}}}]}"#;
    let ex = extract(Api::AnthropicMessages, anth).unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/tools/0/description", SegmentKind::Other, "d"),
            (
                "/tools/0/input_schema/properties/q/description",
                SegmentKind::Other,
                "query text",
            ),
        ],
    );
    let resp = br#"{"model":"m","input":"hi","text":{"format":{"type":"json_schema","name":"n","schema":{"properties":{"a":{"enum":["x"]}}}}}}"#;
    let ex = extract(Api::OpenAiResponses, resp).unwrap();
    assert_in_order(
        rows(&ex.segments),
        vec![
            ("/input", SegmentKind::Input, "hi"),
            (
                "/text/format/schema/properties/a/enum/0",
                SegmentKind::Other,
                "x",
            ),
        ],
    );
}
