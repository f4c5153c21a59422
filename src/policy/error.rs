//! The one error type of policy loading: [`LoadError`].
//!
//! Every variant names the file and, where the text gives one, the line and the key, so an
//! operator can fix a bundle from the message alone. Evaluation never fails and has no error type.

/// Why a bundle (or a test-case file) could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading the bundle directory or one of its files failed.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The path that could not be read.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or does not fit the schema (unknown key, wrong type, missing key).
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// File name inside the bundle.
        file: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// The parser's description, which names the offending key.
        message: String,
    },
    /// The file parses but a value is wrong (unknown class, duplicate id, unreachable rule, ...).
    #[error("{file}:{line}: `{key}`: {message}")]
    Invalid {
        /// File name inside the bundle.
        file: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// Dotted path of the key, with the owning rule or system id, e.g. `rule[block-secrets].when.class`.
        key: String,
        /// What is wrong and, when obvious, how to fix it.
        message: String,
    },
    /// A file in the bundle is missing or has a name the format does not know.
    #[error("{file}: {message}")]
    File {
        /// File name inside the bundle.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// 1-based line number of byte offset `at` in `text` (clamped to the text).
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    let end = at.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        .saturating_add(1)
}

impl LoadError {
    /// Build a [`LoadError::Syntax`] from a `toml` error.
    pub(crate) fn syntax(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map_or(0, |s| line_of(text, s.start));
        Self::Syntax {
            file: file.to_owned(),
            line,
            message: err.message().trim().to_owned(),
        }
    }
}
