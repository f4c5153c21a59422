//! Organisation dictionaries (`custom.<name>`): one aho-corasick automaton over every term of
//! every dictionary, ASCII-case-insensitive, leftmost-longest, with Unicode word boundaries
//! checked by hand around each hit. Scales to many thousands of terms.
//!
//! Owns only term matching; dictionary loading from policy files belongs to `policy`.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::types::{Class, ClassifyError, Dictionary, Finding};
use crate::taxonomy::is_known_class;

#[derive(Debug)]
pub(crate) struct DictionaryMatcher {
    ac: AhoCorasick,
    /// Pattern id -> class.
    classes: Vec<Class>,
}

impl DictionaryMatcher {
    /// `None` when there are no terms at all.
    pub fn new(dicts: &[Dictionary]) -> Result<Option<Self>, ClassifyError> {
        let mut terms: Vec<&str> = Vec::new();
        let mut classes = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for d in dicts {
            let class = format!("custom.{}", d.name);
            if !is_known_class(&class) {
                return Err(ClassifyError::InvalidDictionaryName(d.name.clone()));
            }
            if names.contains(&d.name.as_str()) {
                return Err(ClassifyError::DuplicateDictionary(d.name.clone()));
            }
            names.push(&d.name);
            let class = Class::Custom(Arc::from(class));
            for t in &d.terms {
                let t = t.trim();
                if !t.is_empty() {
                    terms.push(t);
                    classes.push(class.clone());
                }
            }
        }
        if terms.is_empty() {
            return Ok(None);
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&terms)
            .map_err(|e| ClassifyError::Dictionary(e.to_string()))?;
        Ok(Some(Self { ac, classes }))
    }

    /// Append every term occurrence in `text[..limit]` that stands on word boundaries.
    pub fn scan(&self, text: &str, limit: usize, out: &mut Vec<Finding>) {
        let Some(hay) = text.get(..limit) else {
            return;
        };
        for m in self.ac.find_iter(hay) {
            let (s, e) = (m.start(), m.end());
            let before = hay.get(..s).and_then(|t| t.chars().next_back());
            let after = hay.get(e..).and_then(|t| t.chars().next());
            let word = |c: char| c.is_alphanumeric() || c == '_';
            if before.is_some_and(word) || after.is_some_and(word) {
                continue;
            }
            if let Some(class) = self.classes.get(m.pattern().as_usize()) {
                out.push(Finding {
                    class: class.clone(),
                    start: s,
                    end: e,
                    detector: "dictionary",
                    test_value: false,
                });
            }
        }
    }
}
