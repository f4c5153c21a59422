//! The classifier's vocabulary: [`Class`], [`Finding`], [`Findings`], [`Dictionary`],
//! [`ClassifierOptions`] and [`ClassifyError`].
//!
//! A leaf: every other file of `classify` imports these from here, and this file imports nothing
//! from its siblings, so the parent and its children never import each other. Owns no detection
//! (see `engine`, `classifier`).

use std::sync::Arc;

use crate::taxonomy::ClassCounts;

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

impl AsRef<str> for Class {
    fn as_ref(&self) -> &str {
        self.as_str()
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
    /// A published test value (a documentation card number, the AWS example key, ...): found
    /// like a real one and marked as such (see `testvalues`).
    pub test_value: bool,
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
    pub fn counts(&self) -> ClassCounts<Class> {
        count_classes(&self.items)
    }
}

/// Findings per class in `items`, sorted by class name.
pub(crate) fn count_classes(items: &[Finding]) -> ClassCounts<Class> {
    let mut out = ClassCounts::new();
    for f in items {
        out.add(f.class.clone(), 1);
    }
    out.sort_by_name();
    out
}

/// Per class, how many of `items` are published test values (classes with none are absent).
pub fn count_test_values<'a>(items: impl IntoIterator<Item = &'a Finding>) -> ClassCounts<Class> {
    let mut out = ClassCounts::new();
    for f in items.into_iter().filter(|f| f.test_value) {
        out.add(f.class.clone(), 1);
    }
    out.sort_by_name();
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
    /// What to do with well-known test values.
    pub test_values: TestValues,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        Self {
            dictionaries: Vec::new(),
            max_scan_bytes: 8 * 1024 * 1024,
            test_values: TestValues::Detect,
        }
    }
}

/// Well-known test values (`4111 1111 1111 1111`, `AKIAIOSFODNN7EXAMPLE`, `123-45-6789`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TestValues {
    /// Found like real values of their class and marked as test values (the default: a control
    /// can be demonstrated with standard test data).
    #[default]
    Detect,
    /// Not reported at all.
    Ignore,
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
