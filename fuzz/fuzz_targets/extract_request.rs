//! Fuzz target: arbitrary bytes through request extraction for every API, then through
//! `rewrite` with every found segment replaced. Checks that nothing panics, that every
//! segment's raw range decodes to its text, and that a rewritten body re-extracts to the
//! replacement texts with every other byte left alone.
#![no_main]

use aimsgate::providers::extract::{extract, response_text, response_usage, rewrite, Api, Edit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for api in Api::ALL {
        let _ = response_text(api, data);
        let _ = response_usage(api, data);
        let Ok(ex) = extract(api, data) else {
            continue;
        };
        for seg in &ex.segments {
            // The raw range holds one literal that decodes to the segment's text.
            let mut probe = b"{\"prompt\":".to_vec();
            probe.extend_from_slice(&data[seg.raw.clone()]);
            probe.push(b'}');
            let decoded = extract(Api::OpenAiCompletions, &probe).expect("range is a literal");
            assert_eq!(decoded.segments.len(), 1);
            assert_eq!(decoded.segments[0].text, seg.text);
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
        let again = extract(api, &out).expect("rewritten body stays valid");
        assert_eq!(again.segments.len(), ex.segments.len());
        for (i, s) in again.segments.iter().enumerate() {
            assert_eq!(s.text, format!("[R{i}]\"\n"));
        }
        assert_eq!(again.model, ex.model);
        assert_eq!(again.stream, ex.stream);
        assert_eq!(again.max_tokens, ex.max_tokens);
    }
});
