//! Property tests: offsets are in bounds and on UTF-8 char boundaries for arbitrary text, findings
//! are sorted and disjoint, and redaction never changes text outside the findings.

use proptest::prelude::*;

use super::*;

fn clf() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(|| Classifier::new(&ClassifierOptions::default()).unwrap())
}

/// Arbitrary text mixing non-ASCII, digits, separators and fragments of real values.
fn mixed_text() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        any::<String>(),
        "[0-9 ()+./-]{0,30}",
        "[a-zA-Z0-9@._:=-]{0,40}",
        Just("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".to_owned()),
        Just("4539 1488 0343 6467".to_owned()),
        Just("a@b.co".to_owned()),
        Just("DE89 3704 0044 0532 0130 00".to_owned()),
        Just("password=Tr0ub4dor&3xq".to_owned()),
        Just("-----BEGIN PRIVATE KEY-----\n".to_owned()),
        Just("DOB: 03/14/1985 Dr. Ünal Çelik 東京".to_owned()),
        "[\\u{80}-\\u{10FFFF}]{0,8}",
    ];
    proptest::collection::vec(frag, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn offsets_are_char_boundaries(text in mixed_text(), limit in 0usize..400) {
        for c in [clf().classify(&text), Classifier::new(&ClassifierOptions { max_scan_bytes: limit, ..Default::default() }).unwrap().classify(&text)] {
            prop_assert_eq!(c.scanned_bytes + c.unscanned_bytes, text.len());
            let mut prev_end = 0;
            for f in &c.items {
                prop_assert!(f.start < f.end && f.end <= c.scanned_bytes);
                prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
                prop_assert!(f.start >= prev_end);
                prev_end = f.end;
            }
        }
    }

    #[test]
    fn redaction_keeps_outside_text(text in mixed_text()) {
        let f = clf().classify(&text);
        let out = Redactor::new().redact(&text, &f.items, &|_| true);
        // Rebuild the expected text by walking the findings.
        let mut at = 0;
        let mut rest = out.as_str();
        for x in &f.items {
            let before = &text[at..x.start];
            prop_assert!(rest.starts_with(before));
            rest = &rest[before.len()..];
            let close = rest.find(']').unwrap();
            prop_assert!(rest.starts_with('['));
            rest = &rest[close + 1..];
            at = x.end;
        }
        prop_assert_eq!(rest, &text[at..]);
    }

    #[test]
    fn stream_equals_whole_text(text in mixed_text(), cuts in proptest::collection::vec(0usize..64, 0..6)) {
        let whole = clf().classify(&text);
        let mut s = StreamScanner::new(std::sync::Arc::new(Classifier::new(&ClassifierOptions::default()).unwrap()), StreamMode::Observe, vec![]);
        let mut at = 0;
        let mut got = Vec::new();
        for c in cuts {
            let mut e = (at + c).min(text.len());
            while !text.is_char_boundary(e) { e += 1; }
            got.extend(s.push(&text[at..e]).findings);
            at = e;
        }
        got.extend(s.push(&text[at..]).findings);
        got.extend(s.finish().findings);
        prop_assert_eq!(got, whole.items);
        let r = s.report();
        prop_assert_eq!(r.scanned_bytes + r.unscanned_bytes, text.len());
    }
}

/// A candidate can swallow the context of the text right after it (the first case's private
/// key ends inside `Dr.`, the title before a name): the stream, which rescans released text as
/// context, must restart where the one-pass scan of the whole text was, not find the name anyway.
#[test]
fn stream_restarts_where_the_whole_scan_was() {
    // Found by `stream_equals_whole_text` (PROPTEST_RNG_SEED=4 and 5): the second one rescans
    // released text from a point the whole-text scan had stepped over (inside the leading
    // token), and so misread what follows.
    for text in [
        "-----BEGIN PRIVATE KEY-----\nDE89 3704 0044 0532 0130 00DE89 3704 0044 0532 0130 004539 1488 0343 6467DOB: 03/14/1985 Dr. Ünal Çelik 東京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DE89 3704 0044 0532 0130 00ퟋ0ಎ 𖹀𞺡®aa🄀ぁA 0🌀\u{e0100}྾  A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",
        "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password=Tr0ub4dor&3xqࠀ¡𐀀\u{2ee5e}DOB: 03/14/1985 Dr. Ünal Çelik 東京DE89 3704 0044 0532 0130 00ࠀ𐀀ࠀ𐀀𐀀-----BEGIN PRIVATE KEY-----\n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DOB: 03/14/1985 Dr. Ünal Çelik 東京-----BEGIN PRIVATE KEY-----\nDE89 3704 0044 0532 0130 00",
    ] {
        let whole = clf().classify(text);
        let mut s = StreamScanner::new(
            std::sync::Arc::new(Classifier::new(&ClassifierOptions::default()).unwrap()),
            StreamMode::Observe,
            vec![],
        );
        let mut got = s.push(text).findings;
        got.extend(s.finish().findings);
        assert_eq!(got, whole.items, "{text:?}");
    }
}
