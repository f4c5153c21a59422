//! `*` wildcards for names: models (`gpt-4o*`), principals (`svc-*`).
//!
//! Only `*` is special (any run of characters, possibly empty); everything else matches itself.
//! Matching is linear-time in practice (greedy with one backtrack point), never recursive.
//! Class selectors are not globs: they use [`crate::taxonomy::ClassPattern`].

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    text: Box<str>,
    literal: bool,
    /// `Some(prefix)` when the only `*` is the last character (the common `gpt-4o*` shape).
    prefix: Option<Box<str>>,
}

impl Glob {
    /// Compile `text`; errors say what is wrong with the pattern.
    pub(crate) fn new(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("empty pattern".to_owned());
        }
        if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("pattern `{text}` contains {c:?}; whitespace and control characters are not allowed"));
        }
        if text.contains("**") {
            return Err(format!("pattern `{text}` contains `**`; use a single `*`"));
        }
        let prefix = text
            .strip_suffix('*')
            .filter(|p| !p.contains('*'))
            .map(Box::from);
        Ok(Self {
            literal: !text.contains('*'),
            text: text.into(),
            prefix,
        })
    }

    /// Does the pattern contain no wildcard?
    pub(crate) fn is_literal(&self) -> bool {
        self.literal
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Does `s` match the pattern?
    pub(crate) fn matches(&self, s: &str) -> bool {
        if self.literal {
            return &*self.text == s;
        }
        if let Some(p) = &self.prefix {
            return s.starts_with(&**p);
        }
        wildcard(self.text.as_bytes(), s.as_bytes())
    }
}

/// Iterative wildcard match with a single backtrack point (the last `*`).
fn wildcard(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn wildcards_match_prefixes_suffixes_and_middles() {
        let g = Glob::new("gpt-4o*").unwrap();
        assert!(g.matches("gpt-4o"));
        assert!(g.matches("gpt-4o-mini"));
        assert!(!g.matches("gpt-4"));
        let g = Glob::new("*-mini").unwrap();
        assert!(g.matches("gpt-4o-mini"));
        assert!(!g.matches("gpt-4o-mini-2"));
        let g = Glob::new("claude-*-sonnet*").unwrap();
        assert!(g.matches("claude-3-5-sonnet-latest"));
        assert!(!g.matches("claude-3-opus"));
        assert!(Glob::new("exact").unwrap().matches("exact"));
        assert!(!Glob::new("exact").unwrap().matches("exactly"));
        assert!(Glob::new("*").unwrap().matches(""));
        assert!(Glob::new("a*").unwrap().matches("a"));
        assert!(!Glob::new("a*").unwrap().matches("ba"));
        assert!(Glob::new("*a*").unwrap().matches("bab"));
    }

    #[test]
    fn bad_patterns_are_rejected() {
        assert!(Glob::new("").is_err());
        assert!(Glob::new("a b").is_err());
        assert!(Glob::new("a**").is_err());
    }
}
