//! Unit tests for the SSE parser and the per-API stream decoders, on the recorded-shape
//! transcripts in `tests/fixtures/extract`.

use super::*;
use crate::providers::extract::{Api, Usage};
use proptest::prelude::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/extract/",
            $name
        ))
        .as_slice()
    };
}

const CHAT: &[u8] = fixture!("openai_chat_stream.sse");
const RESPONSES: &[u8] = fixture!("openai_responses_stream.sse");
const ANTHROPIC: &[u8] = fixture!("anthropic_messages_stream.sse");

fn parse_chunks(chunks: &[&[u8]], max: usize) -> Vec<SseEvent> {
    let mut parser = SseParser::new(max);
    let mut out = Vec::new();
    for c in chunks {
        parser.push(c, &mut out).unwrap();
    }
    parser.finish(&mut out);
    out
}

fn parse(bytes: &[u8]) -> Vec<SseEvent> {
    parse_chunks(&[bytes], 1 << 20)
}

fn decode(api: Api, events: &[SseEvent]) -> (String, StreamDecoder) {
    let mut dec = StreamDecoder::new(api);
    let mut text = String::new();
    for ev in events {
        if let Some(t) = dec.on_event(ev).text {
            text.push_str(&t);
        }
    }
    (text, dec)
}

#[test]
fn openai_chat_stream_text_usage_done() {
    let events = parse(CHAT);
    assert_eq!(events.len(), 7);
    assert!(events.iter().all(|e| e.event.is_none()));
    assert_eq!(events[6].data, "[DONE]");
    let (text, dec) = decode(Api::OpenAiChat, &events);
    assert_eq!(text, "Hello world \u{e9}{\"a\":");
    assert_eq!(
        dec.usage(),
        Usage {
            input_tokens: Some(9),
            output_tokens: Some(12)
        }
    );
    assert!(dec.finished());
    let (_, partial) = decode(Api::OpenAiChat, &events[..6]);
    assert!(!partial.finished());
}

#[test]
fn openai_responses_stream_text_usage_completed() {
    let events = parse(RESPONSES);
    assert_eq!(events.len(), 6);
    assert_eq!(
        events[2].event.as_deref(),
        Some("response.output_text.delta")
    );
    let (text, dec) = decode(Api::OpenAiResponses, &events);
    assert_eq!(text, "Hi there");
    assert_eq!(
        dec.usage(),
        Usage {
            input_tokens: Some(37),
            output_tokens: Some(11)
        }
    );
    assert!(dec.finished());
}

#[test]
fn anthropic_stream_text_tool_json_usage_stop() {
    let events = parse(ANTHROPIC);
    assert_eq!(events.len(), 11);
    let (text, dec) = decode(Api::AnthropicMessages, &events);
    assert_eq!(text, "Hello!{\"location\": \"San Fra");
    assert_eq!(
        dec.usage(),
        Usage {
            input_tokens: Some(25),
            output_tokens: Some(15)
        }
    );
    assert!(dec.finished());
}

#[test]
fn raw_bytes_add_up_to_the_stream() {
    for stream in [
        CHAT,
        RESPONSES,
        ANTHROPIC,
        b": keepalive\n\ndata: x\n\n: trailing\n".as_slice(),
    ] {
        let events = parse(stream);
        let joined: Vec<u8> = events.iter().flat_map(|e| e.raw.clone()).collect();
        assert_eq!(joined, stream);
    }
}

#[test]
fn split_at_every_byte_position_gives_the_same_events() {
    for stream in [CHAT, RESPONSES, ANTHROPIC] {
        let whole = parse(stream);
        for cut in 0..=stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(parse_chunks(&[a, b], 1 << 20), whole, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes, 1 << 20), whole);
    }
}

#[test]
fn crlf_and_cr_line_endings() {
    let lf = parse(ANTHROPIC);
    let text = std::str::from_utf8(ANTHROPIC).unwrap();
    for ending in ["\r\n", "\r"] {
        let converted = text.replace('\n', ending);
        let events = parse(converted.as_bytes());
        assert_eq!(events.len(), lf.len(), "{ending:?}");
        for (a, b) in events.iter().zip(&lf) {
            assert_eq!((&a.event, &a.data), (&b.event, &b.data));
        }
        // \r\n split between chunks at every position still parses the same.
        for cut in 0..converted.len() {
            let (a, b) = converted.as_bytes().split_at(cut);
            assert_eq!(parse_chunks(&[a, b], 1 << 20), events, "cut at {cut}");
        }
    }
}

#[test]
fn fields_comments_multiline_bom_and_id() {
    let stream = b"\xEF\xBB\xBFevent:first\ndata:a\ndata: b\ndata\n: comment\nid: 7\nretry: 100\nunknown: x\n\n";
    let events = parse(stream);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.as_deref(), Some("first"));
    assert_eq!(events[0].data, "a\nb\n");
    assert_eq!(events[0].id.as_deref(), Some("7"));
    // Only one leading space is stripped; a BOM later in the stream is data.
    let events = parse(b"data:  two\n\ndata: \xEF\xBB\xBFx\n\n");
    assert_eq!(events[0].data, " two");
    assert_eq!(events[1].data, "\u{feff}x");
    // A block with no fields but comments is not an event of its own.
    let events = parse(b": ping\n\n\n\ndata: z\n\n");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, "z");
}

#[test]
fn unterminated_final_event_is_handed_out_on_finish() {
    let mut parser = SseParser::new(1024);
    let mut out = Vec::new();
    parser.push(b"data: one\n\ndata: tw", &mut out).unwrap();
    assert_eq!(out.len(), 1);
    parser.push(b"o", &mut out).unwrap();
    parser.finish(&mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].data, "two");
    assert_eq!(out[1].raw, b"data: two");
}

#[test]
fn oversized_event_is_an_error_not_growth() {
    let mut parser = SseParser::new(64);
    let mut out = Vec::new();
    parser.push(b"data: ok\n\n", &mut out).unwrap();
    assert_eq!(out.len(), 1);
    let err = parser.push(&[b'x'; 100], &mut out).unwrap_err();
    assert_eq!(err, SseError::EventTooLarge { max: 64 });
    assert_eq!(err.kind(), "sse_event_too_large");
    // Many short lines in one event count too, and the parser stays failed.
    let mut parser = SseParser::new(64);
    let mut res = Ok(());
    for _ in 0..20 {
        res = res.and(parser.push(b"data: 0123456789\n", &mut out));
    }
    assert!(res.is_err());
    assert!(parser.push(b"\n", &mut out).is_err());
}

#[test]
fn to_bytes_round_trips_and_cannot_inject_fields() {
    for ev in parse(ANTHROPIC) {
        let again = parse(&ev.to_bytes());
        assert_eq!((&again[0].event, &again[0].data), (&ev.event, &ev.data));
    }
    let ev = SseEvent::new(Some("x\ndata: injected"), "line1\nline2\r\nline3");
    let parsed = parse(&ev.raw);
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].event.as_deref(), Some("x data: injected"));
    assert_eq!(parsed[0].data, "line1\nline2\nline3");
}

#[test]
fn replace_delta_text_in_each_api() {
    let cases = [
        (Api::OpenAiChat, parse(CHAT)[1].clone(), "Hello"),
        (Api::OpenAiResponses, parse(RESPONSES)[2].clone(), "Hi"),
        (Api::AnthropicMessages, parse(ANTHROPIC)[3].clone(), "Hello"),
    ];
    for (api, ev, old) in cases {
        let new = replace_delta_text(api, &ev, "[PII.EMAIL_1] \"q\"").unwrap();
        assert_eq!(new.event, ev.event);
        let mut dec = StreamDecoder::new(api);
        assert_eq!(
            dec.on_event(&new).text.as_deref(),
            Some("[PII.EMAIL_1] \"q\"")
        );
        let old_lit = format!("\"{old}\"");
        assert_eq!(
            new.data,
            ev.data.replacen(&old_lit, "\"[PII.EMAIL_1] \\\"q\\\"\"", 1)
        );
        assert_eq!(parse(&new.raw)[0].data, new.data);
    }
    let ping = &parse(ANTHROPIC)[2];
    assert_eq!(replace_delta_text(Api::AnthropicMessages, ping, "x"), None);
    let done = &parse(CHAT)[6];
    assert_eq!(replace_delta_text(Api::OpenAiChat, done, "x"), None);
}

#[test]
fn error_events_in_each_provider_shape() {
    for api in Api::ALL {
        let bytes = error_event(
            api,
            "policy_violation",
            "Refused by rule r1: \"secret\"\nfix it",
        );
        let events = parse(&bytes);
        assert_eq!(events.len(), 1);
        assert!(bytes.ends_with(b"\n\n"));
        let v: serde_json::Value = serde_json::from_str(&events[0].data).unwrap();
        match api {
            Api::OpenAiChat | Api::OpenAiCompletions | Api::OpenAiEmbeddings => {
                assert_eq!(events[0].event, None);
                assert_eq!(v["error"]["type"], "policy_violation");
                assert_eq!(
                    v["error"]["message"],
                    "Refused by rule r1: \"secret\"\nfix it"
                );
            }
            Api::OpenAiResponses => {
                assert_eq!(events[0].event.as_deref(), Some("error"));
                assert_eq!(v["type"], "error");
                assert_eq!(v["code"], "policy_violation");
                assert_eq!(
                    v["error"]["message"],
                    "Refused by rule r1: \"secret\"\nfix it"
                );
            }
            Api::AnthropicMessages | Api::AnthropicCountTokens => {
                assert_eq!(events[0].event.as_deref(), Some("error"));
                assert_eq!(v["type"], "error");
                assert_eq!(v["error"]["type"], "policy_violation");
            }
            Api::GeminiGenerate | Api::GeminiCountTokens | Api::GeminiEmbed => {
                assert_eq!(events[0].event, None);
                assert_eq!(v["error"]["status"], "INTERNAL");
                assert_eq!(v["error"]["details"][0]["reason"], "policy_violation");
                assert_eq!(
                    v["error"]["message"],
                    "Refused by rule r1: \"secret\"\nfix it"
                );
            }
            // Bedrock streams are event-stream frames: this is the exception frame's payload.
            Api::BedrockConverse | Api::BedrockInvoke => {
                assert_eq!(v["message"], "Refused by rule r1: \"secret\"\nfix it");
                continue;
            }
        }
        let no_stream = [
            Api::OpenAiEmbeddings,
            Api::AnthropicCountTokens,
            Api::GeminiCountTokens,
            Api::GeminiEmbed,
        ];
        if !no_stream.contains(&api) {
            let mut dec = StreamDecoder::new(api);
            assert!(dec.on_event(&events[0]).error, "{api:?}");
            assert!(dec.finished());
        }
    }
}

#[test]
fn decoder_flags_unparsable_payloads_and_ignores_empty_ones() {
    let mut dec = StreamDecoder::new(Api::OpenAiChat);
    let dup = SseEvent::new(
        None,
        r#"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
    );
    let d = dec.on_event(&dup);
    assert!(d.unparsed);
    assert_eq!(d.text, None);
    assert!(dec.on_event(&SseEvent::new(None, "{not json")).unparsed);
    let empty = SseEvent {
        event: Some("ping".into()),
        ..SseEvent::default()
    };
    assert_eq!(dec.on_event(&empty), Delta::default());
    assert!(!dec.finished());
}

#[test]
fn completions_stream_text() {
    let stream = b"data: {\"choices\":[{\"text\":\"Hel\",\"index\":0}]}\n\ndata: {\"choices\":[{\"text\":\"lo\",\"index\":0}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";
    let (text, dec) = decode(Api::OpenAiCompletions, &parse(stream));
    assert_eq!(text, "Hello");
    assert_eq!(
        dec.usage(),
        Usage {
            input_tokens: Some(3),
            output_tokens: Some(2)
        }
    );
    assert!(dec.finished());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any chunking of a real transcript yields the same events as the whole stream.
    #[test]
    fn random_chunking_is_invisible(which in 0usize..3, cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12), crlf in any::<bool>()) {
        let base = [CHAT, RESPONSES, ANTHROPIC][which];
        let stream: Vec<u8> = if crlf {
            std::str::from_utf8(base).unwrap().replace('\n', "\r\n").into_bytes()
        } else {
            base.to_vec()
        };
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for p in points {
            chunks.push(&stream[prev..p]);
            prev = p;
        }
        chunks.push(&stream[prev..]);
        prop_assert_eq!(parse_chunks(&chunks, 1 << 20), parse(&stream));
    }

    /// Arbitrary bytes never panic the parser or decoder, and never exceed the bound.
    #[test]
    fn arbitrary_bytes_are_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut parser = SseParser::new(128);
        let mut out = Vec::new();
        let mut dec = StreamDecoder::new(Api::AnthropicMessages);
        if parser.push(&bytes, &mut out).is_ok() {
            parser.finish(&mut out);
        }
        for ev in &out {
            prop_assert!(ev.raw.len() <= 128);
            dec.on_event(ev);
        }
    }
}

#[test]
fn other_delta_kinds_and_provider_errors() {
    let stream = b"event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc\",\"output_index\":0,\"delta\":\"{\\\"q\\\":\"}\n\nevent: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"usage\":null}}\n\n";
    let events = parse(stream);
    let mut dec = StreamDecoder::new(Api::OpenAiResponses);
    assert_eq!(dec.on_event(&events[0]).text.as_deref(), Some("{\"q\":"));
    assert!(dec.on_event(&events[1]).error);
    assert!(dec.finished());
    assert_eq!(dec.usage(), Usage::default());

    let stream = b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let events = parse(stream);
    let mut dec = StreamDecoder::new(Api::AnthropicMessages);
    assert_eq!(dec.on_event(&events[0]).text.as_deref(), Some("hmm"));
    assert_eq!(dec.on_event(&events[1]).text, None);
    let d = dec.on_event(&events[2]);
    assert!(d.error && dec.finished());

    let mut dec = StreamDecoder::new(Api::OpenAiChat);
    let err = SseEvent::new(
        None,
        r#"{"error":{"message":"boom","type":"server_error"}}"#,
    );
    assert!(dec.on_event(&err).error);
    assert!(dec.finished());
}

#[test]
fn replace_with_several_text_fields_keeps_one() {
    let ev = SseEvent::new(
        None,
        r#"{"choices":[{"index":0,"delta":{"content":"a@b.c"}},{"index":1,"delta":{"content":"x"}}]}"#,
    );
    let new = replace_delta_text(Api::OpenAiChat, &ev, "[PII.EMAIL_1]").unwrap();
    assert_eq!(
        new.data,
        r#"{"choices":[{"index":0,"delta":{"content":"[PII.EMAIL_1]"}},{"index":1,"delta":{"content":""}}]}"#
    );
}

#[test]
fn responses_snapshots_are_flagged_and_rewritable() {
    use crate::providers::extract::Edit;
    let events = parse(RESPONSES);
    let mut dec = StreamDecoder::new(Api::OpenAiResponses);
    let flags: Vec<bool> = events.iter().map(|e| dec.on_event(e).snapshot).collect();
    // created (empty output) no; item.added (empty content) no; deltas no; text.done yes;
    // completed (full output) yes.
    assert_eq!(flags, vec![false, false, false, false, true, true]);
    for ev in &events[4..] {
        let segs = snapshot_segments(Api::OpenAiResponses, ev).unwrap();
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].text, "Hi there");
        let edits = [Edit {
            raw: segs[0].raw.clone(),
            text: "[PII.NAME_1] there".into(),
        }];
        let new = rewrite_event(ev, &edits).unwrap();
        assert!(!new.data.contains("Hi there"));
        assert_eq!(new.data.replace("[PII.NAME_1] there", "Hi there"), ev.data);
        assert_eq!(parse(&new.raw)[0].data, new.data);
    }
    assert_eq!(segs_of(&events[4]).pointer_list(), vec!["/text"]);
    assert_eq!(
        segs_of(&events[5]).pointer_list(),
        vec!["/response/output/0/content/0/text"]
    );
    assert!(
        snapshot_segments(Api::AnthropicMessages, &parse(ANTHROPIC)[3])
            .unwrap()
            .is_empty()
    );
}

struct Segs(Vec<crate::providers::extract::Segment>);
impl Segs {
    fn pointer_list(&self) -> Vec<&str> {
        self.0.iter().map(|s| s.pointer.as_str()).collect()
    }
}
fn segs_of(ev: &SseEvent) -> Segs {
    Segs(snapshot_segments(Api::OpenAiResponses, ev).unwrap())
}

#[test]
fn no_dispatched_event_exceeds_the_limit() {
    for max in 8..40 {
        for len in 0..40 {
            let mut stream = b"data: ".to_vec();
            stream.extend(vec![b'x'; len]);
            for tail in [&b"\r\n\r\n"[..], b"\r", b"\n\n", b""] {
                let mut parser = SseParser::new(max);
                let mut out = Vec::new();
                let mut full = stream.clone();
                full.extend_from_slice(tail);
                if parser.push(&full, &mut out).is_ok() {
                    parser.finish(&mut out);
                }
                assert!(
                    out.iter().all(|e| e.raw.len() <= max),
                    "max {max} len {len} tail {tail:?}"
                );
            }
        }
    }
}

#[test]
fn gemini_stream_text_tool_args_usage_and_finish() {
    let stream = concat!(
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hel\"}]},\"index\":0}]}\r\n\r\n",
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"lo\"},{\"functionCall\":{\"name\":\"lookup\",\"args\":{\"q\":\"card 4111\",\"n\":3,\"tags\":[\"a\"]}}}]},\"index\":0}]}\r\n\r\n",
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"!\"}]},\"finishReason\":\"STOP\",\"index\":0}],",
        "\"usageMetadata\":{\"promptTokenCount\":7,\"candidatesTokenCount\":3,\"thoughtsTokenCount\":2}}\r\n\r\n",
    );
    let events = parse(stream.as_bytes());
    assert_eq!(events.len(), 3);
    let (text, dec) = decode(Api::GeminiGenerate, &events[..2]);
    assert_eq!(
        text, "Hellocard 4111a",
        "text and the tool call's argument strings"
    );
    assert!(!dec.finished());
    let (_, dec) = decode(Api::GeminiGenerate, &events);
    assert!(dec.finished(), "finishReason ends the stream");
    assert_eq!(
        dec.usage(),
        Usage {
            input_tokens: Some(7),
            output_tokens: Some(5)
        }
    );
    let new = replace_delta_text(Api::GeminiGenerate, &events[0], "[X]").unwrap();
    assert_eq!(new.data, events[0].data.replace("\"Hel\"", "\"[X]\""));
    let mut err = StreamDecoder::new(Api::GeminiGenerate);
    let e =
        parse(b"data: {\"error\":{\"code\":500,\"message\":\"x\",\"status\":\"INTERNAL\"}}\n\n");
    assert!(err.on_event(&e[0]).error && err.finished());
}
