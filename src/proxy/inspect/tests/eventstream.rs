//! Bedrock's AWS event-stream answers under inspection: deltas redacted and re-framed with
//! fresh CRCs, a block cut with an exception frame, InvokeModel chunks unwrapped, broken
//! framing never passed on as checked under an enforcing rule.

use super::*;
use crate::providers::eventstream::{chunk_frame, event_frame, to_event, FrameParser};

fn delta(text: &str) -> Vec<u8> {
    event_frame(
        "contentBlockDelta",
        serde_json::json!({"contentBlockIndex": 0, "delta": {"text": text}})
            .to_string()
            .as_bytes(),
    )
}

/// Feed frames through an inspector; the decoded `(event, data)` the client gets, and whether
/// the stream was cut. Every released frame must decode (CRCs recomputed).
fn run_frames(insp: &mut SseInspector, frames: &[Vec<u8>]) -> (Vec<(String, String)>, bool) {
    let mut out = Vec::new();
    let mut cut = false;
    for f in frames {
        match insp.on_chunk(Bytes::from(f.clone())) {
            Inspected::Pass(b) => out.extend_from_slice(&b),
            Inspected::Stop(b) => {
                out.extend_from_slice(&b);
                cut = true;
                break;
            }
        }
    }
    if !cut {
        if let Some(b) = insp.on_end() {
            out.extend_from_slice(&b);
        }
    }
    let mut p = FrameParser::new(1 << 20);
    let mut decoded = Vec::new();
    p.push(&out, &mut decoded).unwrap();
    p.finish().unwrap();
    let evs = decoded
        .into_iter()
        .map(to_event)
        .map(|e| (e.event.unwrap_or_default(), e.data))
        .collect();
    (evs, cut)
}

fn text_of(evs: &[(String, String)]) -> String {
    evs.iter()
        .filter(|(t, _)| t == "contentBlockDelta")
        .map(|(_, d)| {
            let v: serde_json::Value = serde_json::from_str(d).unwrap();
            v["delta"]["text"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[test]
fn a_converse_stream_is_redacted_then_cut_with_an_exception_frame() {
    let text = format!(
        "Card {CARD} on file. {}Then aws_access_key_id={AWS} and more after it.",
        "padding words ".repeat(30)
    );
    let chars: Vec<char> = text.chars().collect();
    let mut frames: Vec<Vec<u8>> = chars
        .chunks(5)
        .map(|c| delta(&c.iter().collect::<String>()))
        .collect();
    frames.push(event_frame("messageStop", br#"{"stopReason":"end_turn"}"#));
    let mut insp = SseInspector::event_stream(Api::BedrockConverse, Some(clf()), mode());
    let (evs, cut) = run_frames(&mut insp, &frames);
    assert!(cut);
    let out = text_of(&evs);
    assert!(out.contains("[FINANCIAL.CREDIT_CARD_1]"), "{out}");
    assert!(
        !out.contains("4539") && !out.contains("AKIA") && !out.contains("more after"),
        "{out}"
    );
    let (last, payload) = evs.last().unwrap();
    assert_eq!(last, "exception:AccessDeniedException");
    assert!(payload.contains("output-block-secrets"), "{payload}");
    let r = insp.report();
    assert_eq!(action_of(&r, "secret.aws_access_key"), ClassAction::Blocked);
}

#[test]
fn an_observed_converse_stream_passes_byte_for_byte_with_its_usage() {
    let frames = vec![
        delta("Hello "),
        delta("jane.doe@example.com"),
        event_frame(
            "metadata",
            br#"{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{}}"#,
        ),
    ];
    let mut insp =
        SseInspector::event_stream(Api::BedrockConverse, Some(clf()), OutputMode::observe());
    let mut out = Vec::new();
    for f in &frames {
        match insp.on_chunk(Bytes::from(f.clone())) {
            Inspected::Pass(b) => out.extend_from_slice(&b),
            Inspected::Stop(_) => panic!("observed streams are never cut"),
        }
    }
    assert!(insp.on_end().is_none());
    assert_eq!(out, frames.concat());
    let r = insp.report();
    assert_eq!(
        (r.usage.input_tokens, r.usage.output_tokens),
        (Some(3), Some(4))
    );
    assert!(
        r.findings.iter().any(|f| f.class == "pii.email"),
        "{:?}",
        r.findings
    );
}

#[test]
fn invoke_stream_chunks_are_inspected_as_anthropic_events() {
    let ev = |v: serde_json::Value| chunk_frame(v.to_string().as_bytes());
    let frames = vec![
        ev(
            serde_json::json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        ev(
            serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": format!("Card {CARD} ok")}}),
        ),
        ev(serde_json::json!({"type": "content_block_stop", "index": 0})),
        ev(serde_json::json!({"type": "message_stop"})),
    ];
    let mut insp = SseInspector::event_stream(Api::BedrockInvoke, Some(clf()), mode());
    let (evs, cut) = run_frames(&mut insp, &frames);
    assert!(!cut);
    let all: String = evs.iter().map(|(_, d)| d.as_str()).collect();
    assert!(evs.iter().all(|(t, _)| t == "chunk"));
    assert!(
        all.contains("[FINANCIAL.CREDIT_CARD_1]") && !all.contains("4539"),
        "{all}"
    );
}

#[test]
fn broken_framing_cuts_an_enforced_stream() {
    let mut bad = delta("Hello");
    let n = bad.len();
    bad[n - 1] ^= 1;
    let mut insp = SseInspector::event_stream(Api::BedrockConverse, Some(clf()), mode());
    let (evs, cut) = run_frames(&mut insp, &[delta("Hi "), bad]);
    assert!(cut);
    assert_eq!(evs.last().unwrap().0, "exception:InternalServerException");
    // A stream that ends inside a frame is cut too.
    let whole = delta("Hello");
    let mut insp = SseInspector::event_stream(Api::BedrockConverse, Some(clf()), mode());
    assert!(matches!(
        insp.on_chunk(Bytes::from(whole[..whole.len() - 2].to_vec())),
        Inspected::Pass(_)
    ));
    let end = insp.on_end().unwrap();
    let mut p = FrameParser::new(1 << 20);
    let mut f = Vec::new();
    p.push(&end, &mut f).unwrap();
    assert_eq!(
        to_event(f.remove(0)).event.as_deref(),
        Some("exception:InternalServerException")
    );
}
