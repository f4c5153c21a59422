//! Property tests: offsets are in bounds and on UTF-8 char boundaries for arbitrary text, findings
//! are sorted and disjoint, redaction never changes text outside the findings, the stream equals
//! the whole text, and a planted value obfuscated with zero-width chars, Unicode spaces and
//! full-width forms is still found with its span covering exactly the original bytes.

use proptest::prelude::*;

use super::*;
use crate::taxonomy::OutputAction;

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
        Just("1600 Maple Ave, Apt 4B,\nSpringfield, IL 62704".to_owned()),
        Just("Lindenstraße 14\n10115 Berlin 〒100-0001 東京都千代田区千代田1-1".to_owned()),
        Just("12 bis rue de la Paix, 75002 Paris C/ de Alcalá, 42, 28014 Madrid".to_owned()),
        "[\\u{80}-\\u{10FFFF}]{0,8}",
        // Obfuscation: format chars, Unicode spaces, full-width forms, a bare key body.
        Just("\u{200b}".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("4539\u{200b}1488\u{a0}0343\u{feff}6467".to_owned()),
        Just("４５３９ １４８８ ０３４３ ６４６７".to_owned()),
        Just("card4539148803436467x".to_owned()),
        Just("MC4CAQAwBQYDK2VwBCIEICT6BD+UezagNZJU+yzA7ZLQOkvEb2vfEG+vKz89hLfT".to_owned()),
        Just("AWS secret key: Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o".to_owned()),
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
        let mut s = StreamScanner::new(std::sync::Arc::new(Classifier::new(&ClassifierOptions::default()).unwrap()), OutputAction::Observe, vec![]);
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
            OutputAction::Observe,
            vec![],
        );
        let mut got = s.push(text).findings;
        got.extend(s.finish().findings);
        assert_eq!(got, whole.items, "{text:?}");
    }
}

/// A planted value and its class.
fn planted() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        Just(("4539 1488 0343 6467", "financial.credit_card")),
        Just((
            "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",
            "secret.github_token"
        )),
        Just(("AKIAQX4BZL7NW2MOSR6T", "secret.aws_access_key")),
        Just(("jane.roe@corp-mail.net", "pii.email")),
        Just(("DE89 3704 0044 0532 0130 00", "financial.iban")),
    ]
}

/// Obfuscate `v`: each char may become full-width, each space a Unicode space, and format
/// chars may be inserted between chars (never before the first or after the last).
fn obfuscate(v: &str, choices: &[u8]) -> String {
    const FORMAT: [char; 6] = [
        '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}',
    ];
    const SPACES: [char; 4] = ['\u{a0}', '\u{202f}', '\u{2009}', '\u{3000}'];
    let mut out = String::new();
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let k = choices.get(i).copied().unwrap_or(0);
        match c {
            ' ' if k % 2 == 1 => out.push(SPACES[usize::from(k / 2) % SPACES.len()]),
            '!'..='~' if k % 3 == 1 => {
                out.push(char::from_u32(u32::from(c) + 0xFEE0).unwrap());
            }
            _ => out.push(c),
        }
        if i + 1 < n && k % 5 == 2 {
            out.push(FORMAT[usize::from(k / 5) % FORMAT.len()]);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn obfuscated_planted_value_is_found((value, class) in planted(), choices in proptest::collection::vec(any::<u8>(), 48)) {
        let v = obfuscate(value, &choices);
        let text = format!("note: {v} thanks");
        let f = clf().classify(&text);
        let start = "note: ".len();
        prop_assert!(
            f.items.iter().any(|x| x.class.as_str() == class && x.start == start && x.end == start + v.len()),
            "{class} not found over {v:?}: {:?}", f.items
        );
    }
}
