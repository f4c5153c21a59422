//! Fuzz target: classification, redaction and streaming of arbitrary bytes (as lossy UTF-8) must
//! never panic, and every finding must be an in-bounds span on char boundaries.
#![no_main]

use std::sync::{Arc, OnceLock};

use aimsgate::classify::{Classifier, ClassifierOptions, Redactor, StreamScanner};
use aimsgate::taxonomy::OutputAction;
use libfuzzer_sys::fuzz_target;

fn classifier() -> Arc<Classifier> {
    static C: OnceLock<Arc<Classifier>> = OnceLock::new();
    C.get_or_init(|| {
        let opts = ClassifierOptions {
            max_scan_bytes: 4096,
            ..ClassifierOptions::default()
        };
        Arc::new(Classifier::new(&opts).unwrap_or_else(|e| panic!("classifier: {e}")))
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let clf = classifier();
    let found = clf.classify(&text);
    assert_eq!(found.scanned_bytes + found.unscanned_bytes, text.len());
    let mut prev = 0;
    for f in &found.items {
        assert!(f.start >= prev && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        prev = f.end;
    }
    let _ = Redactor::new().redact(&text, &found.items, &|_| true);
    // Stream the same text in chunks split at the first byte's value.
    let step = usize::from(data.first().copied().unwrap_or(7)).max(1);
    let mut s = StreamScanner::new(clf, OutputAction::Redact, vec![aimsgate::taxonomy::ClassPattern::Any]);
    let mut at = 0;
    while at < text.len() {
        let mut e = (at + step).min(text.len());
        while !text.is_char_boundary(e) {
            e += 1;
        }
        let _ = s.push(&text[at..e]);
        at = e;
    }
    let _ = s.finish();
    let r = s.report();
    assert_eq!(r.scanned_bytes + r.unscanned_bytes, text.len());
});
