//! Fuzz target for the W3C `traceparent` parser (`aimsgate::proxy::trace`): any header value a
//! caller sends must either continue a well-formed trace or start a new one, never panic, and the
//! header aimsgate sends upstream must always be well-formed.
#![no_main]

use aimsgate::proxy::trace::TraceContext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let t = TraceContext::from_header(Some(text));
    let out = t.header();
    assert_eq!(out.len(), 55, "{out}");
    assert!(t.trace_id.iter().any(|b| *b != 0));
    assert!(t.span_id.iter().any(|b| *b != 0));
});
