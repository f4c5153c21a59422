//! Fuzz target: arbitrary bytes, cut into arbitrary chunks, through `SseParser` and every
//! API's `StreamDecoder` (plus `replace_delta_text`). Checks that nothing panics, that no event
//! exceeds the size bound, that the events' raw bytes add up to the stream, and that chunking
//! never changes the events.
#![no_main]

use aimsgate::providers::extract::Api;
use aimsgate::providers::extract::Edit;
use aimsgate::providers::sse::{
    replace_delta_text, rewrite_event, snapshot_segments, SseEvent, SseParser, StreamDecoder,
};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 4096;

fn parse(chunks: &[&[u8]]) -> Result<Vec<SseEvent>, ()> {
    let mut parser = SseParser::new(MAX);
    let mut out = Vec::new();
    for c in chunks {
        parser.push(c, &mut out).map_err(|_| ())?;
    }
    parser.finish(&mut out);
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    // First byte picks the chunk size, the rest is the stream.
    let Some((&size, stream)) = data.split_first() else {
        return;
    };
    let size = usize::from(size % 64) + 1;
    let chunks: Vec<&[u8]> = stream.chunks(size).collect();
    let whole = parse(&[stream]);
    let chunked = parse(&chunks);
    assert_eq!(whole.is_ok(), chunked.is_ok());
    let Ok(events) = chunked else {
        return;
    };
    assert_eq!(Ok(&events), whole.as_ref());
    let joined: Vec<u8> = events.iter().flat_map(|e| e.raw.iter().copied()).collect();
    assert_eq!(joined, stream);
    for api in Api::ALL {
        let mut dec = StreamDecoder::new(api);
        for ev in &events {
            assert!(ev.raw.len() <= MAX);
            let delta = dec.on_event(ev);
            if delta.text.is_some() {
                let new = replace_delta_text(api, ev, "[X]").expect("text events can be rewritten");
                let again = StreamDecoder::new(api).on_event(&new);
                assert_eq!(again.text.as_deref(), Some("[X]"));
            }
            if delta.snapshot {
                let segs = snapshot_segments(api, ev).expect("flagged snapshots parse");
                assert!(!segs.is_empty());
                let edits: Vec<Edit> = segs
                    .iter()
                    .map(|s| Edit {
                        raw: s.raw.clone(),
                        text: "[S]".into(),
                    })
                    .collect();
                let new = rewrite_event(ev, &edits).expect("snapshot edits are valid");
                let again = snapshot_segments(api, &new).expect("rewritten event parses");
                assert!(again.iter().all(|s| s.text == "[S]"));
            }
        }
        let _ = (dec.usage(), dec.finished());
    }
});
