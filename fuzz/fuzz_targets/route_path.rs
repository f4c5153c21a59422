//! Fuzz target for the request-line router (`aimsgate::providers::route`) and the Gemini and
//! Bedrock path parsers (`gemini::parse_path`, `bedrock::parse_path`): any method and path a
//! caller sends either names one operation or gets a 404/405, never panics; a recognised Gemini
//! path's model and version are safe to put in an upstream URL (ids only, a known version); a
//! recognised Bedrock path's decoded model id is a model id, and encoding it back gives one path
//! segment that decodes to the same id.
#![no_main]

use aimsgate::providers::{bedrock, gemini, route};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, path) = text.split_once(' ').unwrap_or(("POST", text));
    match route(method, path) {
        Ok(op) => assert!(!op.as_str().is_empty()),
        Err(e) => assert!(matches!(e.status().as_u16(), 404 | 405), "{e}"),
    }
    if let Some(g) = gemini::parse_path(path) {
        assert!(gemini::is_id(g.model), "{g:?}");
        assert!(gemini::VERSIONS.contains(&g.version));
        assert!(g.method.bytes().all(|b| b.is_ascii_alphabetic()));
        assert!(!g.model.contains(['/', '?', '#', '%', ':']));
    }
    if let Some(b) = bedrock::parse_path(path) {
        assert!(bedrock::is_model_id(&b.model), "{b:?}");
        assert!(bedrock::ACTIONS.contains(&b.action));
        let seg = bedrock::encode_segment(&b.model);
        assert!(!seg.contains(['/', '?', '#']));
        let path = format!("/model/{seg}/{}", b.action);
        let again = bedrock::parse_path(&path).map(|a| a.model);
        assert_eq!(again, Some(b.model));
    }
});
