//! Fuzz target for the AWS event-stream decoder (`aimsgate::providers::eventstream`) that reads
//! Bedrock's streamed answers: any bytes, split anywhere, decode to the same frames or fail the
//! same way, never panic; every decoded frame re-encodes from its event (when it is one aimsgate
//! may rewrite) into a frame that decodes again.
#![no_main]

use aimsgate::providers::eventstream::{decode_frame, from_event, to_event, FrameParser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let mut whole = FrameParser::new(1 << 20);
    let mut a = Vec::new();
    let ra = whole.push(bytes, &mut a);
    let cut = usize::from(split).min(bytes.len());
    let mut parts = FrameParser::new(1 << 20);
    let mut b = Vec::new();
    let rb = parts
        .push(&bytes[..cut], &mut b)
        .and_then(|()| parts.push(&bytes[cut..], &mut b));
    assert_eq!(a, b);
    assert_eq!(ra.is_ok(), rb.is_ok());
    for f in a {
        let ev = to_event(f);
        let re = from_event(&ev);
        let (g, used) = decode_frame(&re, usize::MAX).unwrap().unwrap();
        assert_eq!(used, re.len());
        assert_eq!(to_event(g).event, ev.event.or(Some("unknown".into())));
    }
});
