//! Corpus test: per-class precision and recall over tests/fixtures/classify (written below).
