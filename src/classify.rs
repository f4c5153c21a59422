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

mod catalog;
mod context;
mod dictionary;
mod engine;
mod keybody;
mod normalize;
mod numeric;
mod parts;
mod prefilter;
mod redact;
mod secrets;
mod stream;
mod validate;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod obfuscation_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use normalize::normalize;
pub use parts::{PartsFindings, SplitValue, SEAM};
pub use redact::Redactor;
pub use stream::{StreamMode, StreamReport, StreamScanner, StreamStep};

/// A data class: a built-in taxonomy name or `custom.<name>`. Cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// One of [`crate::taxonomy::BUILTIN_CLASSES`].
    Builtin(&'static str),
    /// `custom.<name>` from an organisation dictionary.
    Custom(Arc<str>),
}

impl Class {
    /// The dotted class name, e.g. `pii.email`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Builtin(s) => s,
            Self::Custom(s) => s,
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detected value. `start..end` are UTF-8 byte offsets of the value itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The data class of the value.
    pub class: Class,
    /// Byte offset of the first byte of the value.
    pub start: usize,
    /// Byte offset one past the last byte of the value.
    pub end: usize,
    /// Stable id of the detector that confirmed it (e.g. `github_token`).
    pub detector: &'static str,
}

/// The result of classifying one text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Findings sorted by start, non-overlapping.
    pub items: Vec<Finding>,
    /// Bytes that were scanned (a prefix of the text).
    pub scanned_bytes: usize,
    /// Bytes beyond `max_scan_bytes` that were NOT scanned. Never treat them as clean.
    pub unscanned_bytes: usize,
}

impl Findings {
    /// Number of findings per class, sorted by class name.
    pub fn counts(&self) -> Vec<(Class, u32)> {
        count_classes(&self.items)
    }
}

pub(crate) fn count_classes(items: &[Finding]) -> Vec<(Class, u32)> {
    let mut out: Vec<(Class, u32)> = Vec::new();
    for f in items {
        match out.iter_mut().find(|(c, _)| *c == f.class) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => out.push((f.class.clone(), 1)),
        }
    }
    out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    out
}

/// An organisation dictionary: every term is reported as `custom.<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dictionary {
    /// Lowercase identifier (`[a-z0-9_]+`); the class becomes `custom.<name>`.
    pub name: String,
    /// Terms, matched ASCII-case-insensitively on word boundaries.
    pub terms: Vec<String>,
}

/// How a [`Classifier`] is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassifierOptions {
    /// Organisation dictionaries.
    pub dictionaries: Vec<Dictionary>,
    /// Bytes scanned per text; the rest is reported as unscanned. Default 8 MiB.
    pub max_scan_bytes: usize,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        Self {
            dictionaries: Vec::new(),
            max_scan_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Why a classifier could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifyError {
    /// A dictionary name is not a valid `custom.<name>` identifier.
    #[error("dictionary name `{0}` is invalid: use lowercase letters, digits and `_`")]
    InvalidDictionaryName(String),
    /// Two dictionaries share a name.
    #[error("dictionary `{0}` is defined twice")]
    DuplicateDictionary(String),
    /// The built-in detector patterns failed to compile (a bug).
    #[error("internal detector catalog failed to build: {0}")]
    Catalog(String),
    /// The dictionary automaton failed to build (e.g. too large).
    #[error("dictionary automaton failed to build: {0}")]
    Dictionary(String),
}

/// The built classifier. `Send + Sync`; build once and share through an `Arc`.
#[derive(Debug)]
pub struct Classifier {
    engine: engine::Engine,
    dictionaries: Option<dictionary::DictionaryMatcher>,
    max_scan_bytes: usize,
}

impl Classifier {
    /// Compile the detector catalog and the dictionaries.
    pub fn new(opts: &ClassifierOptions) -> Result<Self, ClassifyError> {
        Ok(Self {
            engine: engine::Engine::new()?,
            dictionaries: dictionary::DictionaryMatcher::new(&opts.dictionaries)?,
            max_scan_bytes: opts.max_scan_bytes,
        })
    }

    /// Classify one text. Only the first `max_scan_bytes` (rounded down to a char boundary) are
    /// scanned; the rest is reported in [`Findings::unscanned_bytes`].
    pub fn classify(&self, text: &str) -> Findings {
        self.classify_from(text, 0, None)
    }

    /// [`classify`](Self::classify) for the stream scanner: no finding starts before `from`
    /// (the text before it is context only), and `spans` receives the candidates the scan
    /// stepped over (see [`engine::Engine::scan`]) so the next scan can restart where this
    /// one would have been.
    pub(crate) fn classify_from(
        &self,
        text: &str,
        from: usize,
        spans: Option<&mut Vec<(usize, usize)>>,
    ) -> Findings {
        let limit = validate::floor_char_boundary(text, self.max_scan_bytes.min(text.len()));
        let head = text.get(..limit).unwrap_or("");
        let items = match normalize::fold(head) {
            // Fast path: nothing to fold (pure ASCII, or no foldable char).
            None => self.scan_text(text, from, limit, spans),
            Some(folded) => {
                let nfrom = folded.norm_of(from);
                let mut nspans = spans.as_ref().map(|_| Vec::new());
                let items = self.scan_text(&folded.text, nfrom, folded.text.len(), nspans.as_mut());
                if let (Some(out), Some(ns)) = (spans, nspans) {
                    out.extend(
                        ns.into_iter()
                            .map(|(s, p)| (folded.orig_start(s), folded.orig_start(p))),
                    );
                }
                items
                    .into_iter()
                    .map(|f| Finding {
                        start: folded.orig_start(f.start),
                        end: folded.orig_end(f.end),
                        ..f
                    })
                    .collect()
            }
        };
        Findings {
            items: resolve_overlaps(items),
            scanned_bytes: limit,
            unscanned_bytes: text.len().saturating_sub(limit),
        }
    }
}

impl Classifier {
    /// Engine and dictionaries over `text[from..limit]` (offsets in `text`).
    fn scan_text(
        &self,
        text: &str,
        from: usize,
        limit: usize,
        spans: Option<&mut Vec<(usize, usize)>>,
    ) -> Vec<Finding> {
        let mut items = self.engine.scan(text, from, limit, spans);
        if let Some(d) = &self.dictionaries {
            d.scan(text, limit, &mut items);
            items.retain(|f| f.start >= from);
        }
        items
    }
}

/// Sort by start (longer first on ties) and drop findings overlapping an earlier kept one.
fn resolve_overlaps(mut items: Vec<Finding>) -> Vec<Finding> {
    items.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(items.len());
    for f in items {
        if f.start >= f.end {
            continue;
        }
        match out.last() {
            Some(prev) if f.start < prev.end => {}
            _ => out.push(f),
        }
    }
    out
}

/// The candidate pattern of every built-in detector, for baselines and tooling (benches compare
/// the one-pass engine against running each of these separately).
pub fn detector_patterns() -> Vec<(&'static str, String)> {
    catalog::detectors()
        .into_iter()
        .map(|(d, p)| (d.id, p))
        .collect()
}
