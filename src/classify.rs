//! The classifier: finds sensitive values in text and names their data class.
//!
//! Owns the normalisation applied before matching (`normalize`: width and compatibility folding,
//! zero-width and format characters removed, spans mapped back to the original bytes), the
//! detector catalog (`catalog`), the one-pass engine (aho-corasick pre-filter over anchor
//! literals and digit runs, then one multi-pattern `regex_automata::meta::Regex` over the candidate
//! windows, then per-detector validation), the validators (Luhn, mod-97, SSA rules, CRC32 of GitHub
//! tokens, DER headers of bare key bodies, ...), organisation dictionaries, the scan of values
//! split across the parts of one request (`parts`), the per-request [`Redactor`] and the [`StreamScanner`]
//! for chunked responses. It is pure and synchronous: text in, [`Findings`] out. It deliberately
//! knows nothing of HTTP, JSON request shapes (see `providers`) or policy decisions (see `policy`).

mod address;
mod cand;
mod catalog;
mod classifier;
mod context;
mod dictionary;
mod engine;
mod keybody;
mod names;
mod normalize;
mod numeric;
mod parts;
mod prefilter;
mod redact;
mod secrets;
mod stream;
mod swar;
mod testvalues;
mod types;
mod validate;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod credential_tests;
#[cfg(test)]
mod obfuscation_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use classifier::Classifier;
pub use normalize::normalize;
pub use parts::{PartsFindings, SplitValue, SEAM};
pub use redact::Redactor;
pub use stream::{StreamReport, StreamScanner, StreamStep};
pub use types::{
    count_test_values, Class, ClassifierOptions, ClassifyError, Dictionary, Finding, Findings,
    TestValues,
};

/// The candidate pattern of every built-in detector, for baselines and tooling (benches compare
/// the one-pass engine against running each of these separately).
pub fn detector_patterns() -> Vec<(&'static str, String)> {
    catalog::detectors()
        .into_iter()
        .map(|(d, p)| (d.id, p))
        .collect()
}
