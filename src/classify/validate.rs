//! Pure validators shared by the detectors: checksums (Luhn, ISO 7064 mod-97, CRC32/base62),
//! entropy, placeholder recognition, boundary and UTF-8 helpers.
//!
//! Knows nothing of patterns or classes; every function is total (no panics on any input).

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// A fixed word list searched as substrings of a text: one automaton pass (built on first use)
/// instead of one substring search per word.
#[derive(Debug)]
pub(crate) struct WordList {
    words: &'static [&'static str],
    ac: OnceLock<Option<AhoCorasick>>,
}

impl WordList {
    pub(crate) const fn new(words: &'static [&'static str]) -> Self {
        Self {
            words,
            ac: OnceLock::new(),
        }
    }

    /// Some word of the list occurs in `hay`.
    pub(crate) fn any_in(&self, hay: &str) -> bool {
        match self.ac.get_or_init(|| AhoCorasick::new(self.words).ok()) {
            Some(ac) => ac.is_match(hay),
            None => self.words.iter().any(|w| hay.contains(w)),
        }
    }
}

/// Largest char boundary `<= i` (and `<= text.len()`).
pub(crate) fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary `>= i` (capped at `text.len()`).
pub(crate) fn ceil_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The byte before `i`, if any.
pub(crate) fn byte_before(text: &str, i: usize) -> Option<u8> {
    i.checked_sub(1)
        .and_then(|j| text.as_bytes().get(j).copied())
}

/// The byte at `i`, if any.
pub(crate) fn byte_at(text: &str, i: usize) -> Option<u8> {
    text.as_bytes().get(i).copied()
}

/// True when neither neighbour of `s..e` is in `set` (ASCII word boundary by hand).
pub(crate) fn bounded(text: &str, s: usize, e: usize, set: fn(u8) -> bool) -> bool {
    !byte_before(text, s).is_some_and(set) && !byte_at(text, e).is_some_and(set)
}

pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(crate) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// `text[s..e]` or "" when the range is not valid.
pub(crate) fn slice(text: &str, s: usize, e: usize) -> &str {
    text.get(s..e).unwrap_or("")
}

/// Luhn checksum over ASCII digits (non-digits make it fail).
pub(crate) fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// ISO 13616 / ISO 7064 mod-97-10 over a compact IBAN (letters and digits only).
pub(crate) fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem = 0u32;
    for &b in tail.iter().chain(head) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Number of character classes present among lower, upper, digit, other.
pub(crate) fn char_classes(s: &[u8]) -> u8 {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    let other = s.iter().any(|b| !b.is_ascii_alphanumeric());
    u8::from(lower) + u8::from(upper) + u8::from(digit) + u8::from(other)
}

/// Documentation and template values that are never real credentials.
pub(crate) fn is_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    static MARKERS: WordList = WordList::new(&[
        "example",
        "xxxx",
        "****",
        "....",
        "…",
        "0000000000",
        "your_",
        "your-",
        "<",
        ">",
        "${",
        "{{",
        "replace",
        "changeme",
        "placeholder",
        "dummy",
        "redacted",
        "insert",
        "sample",
        "abcdef123",
        "1234567890",
        "abcdefghij",
    ]);
    if MARKERS.any_in(&l) {
        return true;
    }
    // A single repeated character, or a very small alphabet, is a placeholder too.
    let distinct = {
        let mut seen = [false; 256];
        let mut n = 0;
        for &b in l.as_bytes() {
            if !seen[usize::from(b)] {
                seen[usize::from(b)] = true;
                n += 1;
            }
        }
        n
    };
    distinct < 5
}

const B62_UPPER_FIRST: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const B62_LOWER_FIRST: &[u8; 62] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `n` in base62, left-padded with '0' to 6 digits.
pub(crate) fn base62_6(mut n: u32, alphabet: &[u8; 62]) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = alphabet[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// GitHub's token checksum: the last 6 chars are the base62 CRC32 of the random part.
/// Both base62 alphabet orders in use by public implementations are accepted.
pub(crate) fn github_checksum_ok(random: &[u8], check: &[u8]) -> bool {
    let crc = crc32fast::hash(random);
    check == base62_6(crc, B62_UPPER_FIRST) || check == base62_6(crc, B62_LOWER_FIRST)
}

/// Valid IPv4 dotted quad (no leading zeros).
pub(crate) fn ipv4_ok(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
        && s != "0.0.0.0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_list_finds_any_of_its_words_anywhere() {
        static W: WordList = WordList::new(&["your", "todo", "xxxx"]);
        assert!(W.any_in("insert_your_key") && W.any_in("todo") && W.any_in("abxxxxx"));
        assert!(!W.any_in("Zr8vQm2LxT9w") && !W.any_in("") && !W.any_in("you"));
        static NONE: WordList = WordList::new(&[]);
        assert!(!NONE.any_in("anything"));
        assert!(is_placeholder("sk-EXAMPLE-key") && !is_placeholder("Zr8vQm2LxT9w"));
    }
}
