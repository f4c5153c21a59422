//! Normalisation before matching: a small NFKC-style fold applied to the text the detectors see,
//! and the map from the folded text back to the original bytes.
//!
//! The fold is char-local (each char maps on its own, no context), so folding a substring gives
//! the same result as taking the substring of the folded whole: the stream scanner and the
//! per-part scans stay consistent with a whole-text scan. It:
//! - maps width and compatibility forms to ASCII: full-width `！`–`～` (U+FF01–FF5E), small form
//!   punctuation, mathematical alphanumerics (`𝟒`, `𝐀`), circled letters and digits, super- and
//!   subscript digits, Unicode dashes and the fraction/division slashes;
//! - maps NBSP and every other Unicode space (U+1680, U+2000–200A, U+202F, U+205F, U+3000) to
//!   an ASCII space, and the line/paragraph separators to `\n`;
//! - removes zero-width and format characters (U+00AD soft hyphen, U+200B–200F, U+202A–202E,
//!   U+2060–206F, U+FEFF, variation selectors, tag characters, other `Cf`) and invisible
//!   fillers (Hangul fillers, combining grapheme joiner).
//!
//! Pure ASCII text is never copied (one `is_ascii`-speed pass), nor is text without a foldable
//! char. Folding is one forward pass and mapping an offset back is a binary search over the
//! fold points, so the cost is linear. Owns no detection (see `engine`).

use std::borrow::Cow;

use super::swar;

/// What the fold does with one char.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fold {
    Drop,
    To(char),
}

/// The fold table. `None`: the char is kept as it is.
fn fold_char(c: char) -> Option<Fold> {
    let cp = u32::from(c);
    let to = |base: u32, first: char| {
        char::from_u32(u32::from(first).wrapping_add(cp.wrapping_sub(base))).map(Fold::To)
    };
    match cp {
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Some(Fold::To(' ')),
        0x2028 | 0x2029 => Some(Fold::To('\n')),
        0x00AD
        | 0x034F
        | 0x061C
        | 0x0600..=0x0605
        | 0x06DD
        | 0x070F
        | 0x08E2
        | 0x115F
        | 0x1160
        | 0x17B4
        | 0x17B5
        | 0x180B..=0x180F
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x206F
        | 0x3164
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFA0
        | 0xFFF9..=0xFFFB
        | 0x110BD
        | 0x110CD
        | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE007F
        | 0xE0100..=0xE01EF => Some(Fold::Drop),
        0xFF01..=0xFF5E => to(0xFF01, '!'),
        0x00B2 => Some(Fold::To('2')),
        0x00B3 => Some(Fold::To('3')),
        0x00B9 => Some(Fold::To('1')),
        0x2070 => Some(Fold::To('0')),
        0x2074..=0x2079 => to(0x2074, '4'),
        0x2080..=0x2089 => to(0x2080, '0'),
        0x2010..=0x2015 | 0x2212 | 0xFE58 | 0xFE63 => Some(Fold::To('-')),
        0x2024 => Some(Fold::To('.')),
        0x2044 | 0x2215 => Some(Fold::To('/')),
        0x2460..=0x2468 => to(0x2460, '1'),
        0x24B6..=0x24CF => to(0x24B6, 'A'),
        0x24D0..=0x24E9 => to(0x24D0, 'a'),
        0x24EA => Some(Fold::To('0')),
        0xFE50..=0xFE6B => small_form(cp).map(Fold::To),
        0x1D400..=0x1D6A3 => {
            let k = (cp - 0x1D400) % 52;
            let base = if k < 26 {
                u32::from('A')
            } else {
                u32::from('a') - 26
            };
            char::from_u32(base + k).map(Fold::To)
        }
        0x1D7CE..=0x1D7FF => char::from_u32(u32::from('0') + (cp - 0x1D7CE) % 10).map(Fold::To),
        _ => None,
    }
}

/// NFKC of the small form variants (U+FE50–FE6B) that fold to ASCII.
fn small_form(cp: u32) -> Option<char> {
    const T: &[(u32, char)] = &[
        (0xFE50, ','),
        (0xFE52, '.'),
        (0xFE54, ';'),
        (0xFE55, ':'),
        (0xFE56, '?'),
        (0xFE57, '!'),
        (0xFE59, '('),
        (0xFE5A, ')'),
        (0xFE5B, '{'),
        (0xFE5C, '}'),
        (0xFE5F, '#'),
        (0xFE60, '&'),
        (0xFE61, '*'),
        (0xFE62, '+'),
        (0xFE64, '<'),
        (0xFE65, '>'),
        (0xFE66, '='),
        (0xFE68, '\\'),
        (0xFE69, '$'),
        (0xFE6A, '%'),
        (0xFE6B, '@'),
    ];
    T.iter().find(|(c, _)| *c == cp).map(|(_, a)| *a)
}

/// One stretch of the folded text: either copied verbatim from `orig` (`orig_len == 0`), or one
/// folded char whose original spans `orig..orig + orig_len`.
#[derive(Clone, Copy, Debug)]
struct Seg {
    norm: usize,
    orig: usize,
    orig_len: usize,
}

/// A folded copy of a text and the map back to the original offsets.
#[derive(Debug)]
pub(crate) struct Folded {
    pub text: String,
    segs: Vec<Seg>,
    orig_total: usize,
}

/// Fold `text`; `None` when nothing changes (pure ASCII, or no foldable char), which is the
/// fast path: nothing is copied.
pub(crate) fn fold(text: &str) -> Option<Folded> {
    // `is_ascii` checks a word at a time: the fast path costs a fraction of the scan.
    if text.is_ascii() {
        return None;
    }
    let first = text.bytes().position(|b| !b.is_ascii())?;
    let (at, _) = next_fold(text, first)?;
    let mut out = Folded {
        text: String::with_capacity(text.len()),
        segs: Vec::new(),
        orig_total: text.len(),
    };
    let mut copy_from = 0usize;
    let mut i = at;
    while let Some((pos, (len, f))) = next_fold(text, i) {
        out.verbatim(text, copy_from, pos);
        if let Fold::To(ch) = f {
            out.segs.push(Seg {
                norm: out.text.len(),
                orig: pos,
                orig_len: len,
            });
            out.text.push(ch);
        }
        copy_from = pos.saturating_add(len);
        i = copy_from;
    }
    out.verbatim(text, copy_from, text.len());
    Some(out)
}

/// The next foldable char at or after byte `from`: (its offset, (its length, its fold)).
/// ASCII is skipped eight bytes at a time, and so are the lead bytes whose chars never fold
/// (see [`never_folds`]) without decoding them.
fn next_fold(text: &str, from: usize) -> Option<(usize, (usize, Fold))> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            // Zero padding past the end is ASCII: the loop then ends.
            let m = swar::word_at(bytes, i).unwrap_or(0) & swar::HI;
            i += if m == 0 {
                8
            } else {
                (m.trailing_zeros() / 8) as usize
            };
            continue;
        }
        if let Some(len) = never_folds(b, bytes.get(i + 1).copied()) {
            i += len;
            continue;
        }
        let c = text.get(i..).and_then(|t| t.chars().next())?;
        if let Some(f) = fold_char(c) {
            return Some((i, (c.len_utf8(), f)));
        }
        i += c.len_utf8();
    }
    None
}

/// The UTF-8 length of the chars led by `b` (then `next`) when none of them folds:
/// U+00C0..=U+033F (Latin-1 letters, Latin Extended, IPA, combining marks before U+034F),
/// U+3040..=U+313F and U+3180..=U+3FFF (kana, CJK punctuation but the ideographic space U+3000
/// and the Hangul filler U+3164) and U+4000..=U+9FFF (CJK ideographs). [`fold_char`] folds
/// nothing in those ranges (a test checks every char).
fn never_folds(b: u8, next: Option<u8>) -> Option<usize> {
    match (b, next) {
        (0xC3..=0xCC, _) => Some(2),
        (0xE3, Some(n)) if n != 0x80 && n != 0x85 => Some(3),
        (0xE4..=0xE9, _) => Some(3),
        _ => None,
    }
}

/// `text` with the fold applied (borrowed when nothing changes).
pub fn normalize(text: &str) -> Cow<'_, str> {
    match fold(text) {
        Some(f) => Cow::Owned(f.text),
        None => Cow::Borrowed(text),
    }
}

impl Folded {
    fn verbatim(&mut self, text: &str, s: usize, e: usize) {
        if let Some(run) = text.get(s..e).filter(|r| !r.is_empty()) {
            self.segs.push(Seg {
                norm: self.text.len(),
                orig: s,
                orig_len: 0,
            });
            self.text.push_str(run);
        }
    }

    /// The segment holding folded byte `n`.
    fn seg_at(&self, n: usize) -> Option<&Seg> {
        let i = self.segs.partition_point(|s| s.norm <= n);
        i.checked_sub(1).and_then(|i| self.segs.get(i))
    }

    /// Original offset of the char that starts at folded offset `n` (the original length at or
    /// past the end).
    pub fn orig_start(&self, n: usize) -> usize {
        if n >= self.text.len() {
            return self.orig_total;
        }
        match self.seg_at(n) {
            Some(s) if s.orig_len == 0 => s.orig.saturating_add(n - s.norm),
            Some(s) => s.orig,
            None => n,
        }
    }

    /// Original offset just past the char that ends at folded offset `n` (exclusive end).
    pub fn orig_end(&self, n: usize) -> usize {
        let Some(last) = n.checked_sub(1) else {
            return 0;
        };
        match self.seg_at(last) {
            Some(s) if s.orig_len == 0 => s.orig.saturating_add(n - s.norm),
            Some(s) => s.orig.saturating_add(s.orig_len),
            None => n,
        }
    }

    /// Folded offset of the first char at or after original offset `o`.
    pub fn norm_of(&self, o: usize) -> usize {
        let i = self.segs.partition_point(|s| s.orig <= o);
        let Some(s) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return 0;
        };
        let norm_len = self
            .segs
            .get(i)
            .map_or(self.text.len(), |next| next.norm)
            .saturating_sub(s.norm);
        if s.orig_len == 0 {
            s.norm.saturating_add((o - s.orig).min(norm_len))
        } else if o == s.orig {
            s.norm
        } else {
            s.norm.saturating_add(norm_len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skipped_lead_bytes_lead_no_foldable_char() {
        for cp in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let mut buf = [0u8; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes();
            if never_folds(enc[0], enc.get(1).copied()) == Some(c.len_utf8()) {
                assert!(
                    fold_char(c).is_none(),
                    "U+{cp:04X} folds but its lead byte is skipped"
                );
            }
        }
        // Found after a skipped run of ASCII, Latin-1 letters and kanji.
        let t = "Grüße aus München 東京 and then\u{200b}x";
        assert_eq!(
            next_fold(t, 0).map(|(at, (len, _))| (at, len)),
            Some((t.find('\u{200b}').unwrap_or(0), 3))
        );
    }

    #[test]
    fn ascii_and_plain_unicode_are_not_copied() {
        assert!(fold("plain ascii 4539 1488").is_none());
        assert!(fold("Ünal Çelik 東京 “quoted”").is_none());
        assert!(matches!(normalize("abc"), Cow::Borrowed(_)));
    }

    #[test]
    fn folds_width_spaces_and_drops_format_chars() {
        let t = "ｃａｒｄ：４５３９\u{a0}1488\u{200b}0343\u{feff}6467\u{ad}";
        let f = fold(t).unwrap();
        assert_eq!(f.text, "card:4539 148803436467");
        assert_eq!(
            normalize("𝟒𝟓 ⓐ ① x²\u{2009}y\u{2013}z\u{3000}"),
            "45 a 1 x2 y-z "
        );
    }

    #[test]
    fn spans_map_back_to_the_original_bytes() {
        let t = "id: ４５\u{200b}３９ end";
        let f = fold(t).unwrap();
        let n = f.text.find("4539").unwrap();
        let (s, e) = (f.orig_start(n), f.orig_end(n + 4));
        assert_eq!(&t[s..e], "４５\u{200b}３９");
        assert_eq!(f.orig_start(0), 0);
        assert_eq!(f.orig_end(f.text.len()), t.len());
        assert_eq!(f.orig_start(f.text.len()), t.len());
        // Original -> folded: a removed char maps to the next kept one.
        let zw = t.find('\u{200b}').unwrap();
        assert_eq!(f.norm_of(zw), n + 2);
        assert_eq!(f.norm_of(t.len()), f.text.len());
        for o in (0..=t.len()).filter(|&o| t.is_char_boundary(o)) {
            let n = f.norm_of(o);
            assert!(f.text.is_char_boundary(n));
            assert!(f.orig_start(n) >= o || n == f.text.len());
        }
    }

    #[test]
    fn only_format_chars_fold_to_nothing() {
        let t = "\u{200b}\u{200c}\u{feff}";
        let f = fold(t).unwrap();
        assert_eq!(f.text, "");
        assert_eq!(f.norm_of(3), 0);
        assert_eq!(f.orig_start(0), t.len());
    }
}
