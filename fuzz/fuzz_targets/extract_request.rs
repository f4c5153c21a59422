//! Fuzz target: arbitrary bytes through request extraction for every API, then through
//! `rewrite` with every found segment replaced. Checks that nothing panics, that every
//! segment's raw range holds its literal (a string or key decoding to its text, a number as
//! written, or the content of a base64 string), and that a rewritten body stays valid and
//! re-extracts (scanning: replaced `type` values make shapes unknown) with every replacement
//! text in it.
#![no_main]

use aimsgate::providers::extract::{
    extract, extract_with, response_text, response_usage, rewrite, Api, Edit, ExtractOptions,
    Literal, UnknownShapes,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for api in Api::ALL {
        let _ = response_text(api, data);
        let _ = response_usage(api, data);
        let Ok(ex) = extract(api, data) else {
            continue;
        };
        for seg in &ex.segments {
            if seg.literal == Literal::Base64 {
                // The content between the quotes of one string literal.
                assert_eq!(data[seg.raw.start - 1], b'"');
                assert_eq!(data[seg.raw.end], b'"');
                continue;
            }
            // The raw range holds one literal that decodes to the segment's text.
            let mut probe = b"{\"prompt\":".to_vec();
            probe.extend_from_slice(&data[seg.raw.clone()]);
            probe.push(b'}');
            let decoded = extract(Api::OpenAiCompletions, &probe).expect("range is a literal");
            let value = decoded.segments.iter().find(|s| s.pointer == "/prompt");
            assert_eq!(value.map(|s| s.text.as_str()), Some(seg.text.as_str()));
        }
        let edits: Vec<Edit> = ex
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| Edit {
                raw: s.raw.clone(),
                text: format!("[R{i}]\"\n"),
            })
            .collect();
        let out = rewrite(data, &edits).expect("segment edits are valid");
        let scan = ExtractOptions {
            unknown_shapes: UnknownShapes::Scan,
        };
        let again = extract_with(api, &out, scan).expect("rewritten body stays valid");
        for (i, s) in ex.segments.iter().enumerate() {
            if s.literal != Literal::Base64 {
                let want = format!("[R{i}]\"\n");
                assert!(again.segments.iter().any(|a| a.text == want), "{want:?}");
            }
        }
    }
});
