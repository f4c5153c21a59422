//! The per-request placeholder allocator: replaces finding spans with typed placeholders such as
//! `[PII.EMAIL_1]`, the same value always getting the same placeholder within one request.
//!
//! Owns only string rewriting; which classes to redact is the caller's (policy's) choice, and
//! where the text lives in a JSON body is the providers' concern.

use std::collections::HashMap;

use super::types::{Class, Finding};

/// Allocates placeholders for one request (or one stream). Never logs values.
#[derive(Debug, Default)]
pub struct Redactor {
    by_value: HashMap<(Class, String), u32>,
    next: HashMap<Class, u32>,
}

impl Redactor {
    /// A fresh allocator: numbering starts at 1 per class.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder for `value` of `class`, allocating one if new.
    pub fn placeholder(&mut self, class: &Class, value: &str) -> String {
        let key = (class.clone(), value.to_owned());
        let n = match self.by_value.get(&key) {
            Some(n) => *n,
            None => {
                let slot = self.next.entry(class.clone()).or_insert(0);
                *slot = slot.saturating_add(1);
                let n = *slot;
                self.by_value.insert(key, n);
                n
            }
        };
        format!("[{}_{n}]", class.as_str().to_ascii_uppercase())
    }

    /// Replace the findings whose class `select` accepts; everything else is copied unchanged.
    /// Findings that overlap an earlier one, are out of bounds or not on char boundaries are
    /// skipped (never panics).
    pub fn redact(
        &mut self,
        text: &str,
        findings: &[Finding],
        select: &dyn Fn(&str) -> bool,
    ) -> String {
        let mut sorted: Vec<&Finding> = findings.iter().collect();
        sorted.sort_by_key(|f| (f.start, f.end));
        let mut out = String::with_capacity(text.len());
        let mut at = 0usize;
        for f in sorted {
            if f.start < at || !select(f.class.as_str()) {
                continue;
            }
            let (Some(before), Some(value)) = (text.get(at..f.start), text.get(f.start..f.end))
            else {
                continue;
            };
            out.push_str(before);
            out.push_str(&self.placeholder(&f.class, value));
            at = f.end;
        }
        out.push_str(text.get(at..).unwrap_or(""));
        out
    }
}
