//! The literal pre-filter: decides which few regions of a text the regex has to look at.
//!
//! Linear passes, all far faster than any regex:
//! - SIMD multi-literal searches (aho-corasick's packed Teddy searcher; plain aho-corasick when
//!   SIMD is unavailable) over the exact-case anchor literals of the catalog;
//! - a chunked byte scan for digits, `@` and `:`: digits open a window around the digit run, `@`
//!   around a possible e-mail, `://` around a URL, `:` between hex digits around a possible IPv6
//!   address.
//!
//! The result is a sorted list of disjoint windows snapped to char boundaries. Owns no matching
//! of detector patterns (see `engine`).

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::catalog::{
    AT_MARGIN, CASED_ANCHORS, DIGIT_MARGIN, IPV6_MARGIN, LITERAL_ANCHORS, URL_MARGIN,
};
use super::swar;
use super::types::ClassifyError;
use super::validate::{ceil_char_boundary, floor_char_boundary};

#[derive(Debug)]
enum Literals {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

/// One literal searcher and the window margins of its patterns.
#[derive(Debug)]
struct LiteralGroup {
    literals: Literals,
    margins: Vec<(usize, usize)>,
}

impl LiteralGroup {
    fn new(pats: &[(String, (usize, usize))]) -> Result<Self, ClassifyError> {
        let strs: Vec<&str> = pats.iter().map(|p| p.0.as_str()).collect();
        let searcher = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&strs)
            .build();
        let literals = match searcher {
            Some(s) => Literals::Packed(s),
            None => Literals::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&strs)
                    .map_err(|e| ClassifyError::Catalog(e.to_string()))?,
            ),
        };
        Ok(Self {
            literals,
            margins: pats.iter().map(|p| p.1).collect(),
        })
    }

    fn each(&self, hay: &[u8], push: &mut impl FnMut(usize, usize, (usize, usize))) {
        let mut one = |pid: usize, s: usize, e: usize| {
            let mg = self.margins.get(pid).copied().unwrap_or((0, 0));
            push(s, e.saturating_sub(s), mg);
        };
        match &self.literals {
            Literals::Packed(p) => {
                for m in p.find_iter(hay) {
                    one(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            Literals::Automaton(ac) => {
                for m in ac.find_iter(hay) {
                    one(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }
}

/// The pre-filter. Literals are split into four SIMD searchers (forge token prefixes, the other
/// literals with a lowercase first byte, Title-case words, the rest): Teddy's fingerprints stay
/// selective that way, which keeps prose at GB/s.
#[derive(Debug)]
pub(crate) struct Prefilter {
    groups: Vec<LiteralGroup>,
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

impl Prefilter {
    pub fn new() -> Result<Self, ClassifyError> {
        let mut all: Vec<(String, (usize, usize))> = Vec::new();
        for &(lit, b, a) in LITERAL_ANCHORS {
            all.push((lit.to_owned(), (b, a)));
        }
        for &(word, b, a) in CASED_ANCHORS {
            for v in [word.to_owned(), title_case(word), word.to_ascii_uppercase()] {
                all.push((v, (b, a)));
            }
        }
        let (lower, other): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|p| p.0.bytes().next().is_some_and(|b| b.is_ascii_lowercase()));
        // The GitHub and GitLab prefixes (`ghp_`, `glpat-`, … 17 of them) share their first
        // bytes: alone they keep exact fingerprints; mixed with the key words they blur every
        // bucket (measured: 3.4 GB/s for one lowercase searcher, 12.5 + 7.8 GB/s for two).
        let (forges, lower): (Vec<_>, Vec<_>) =
            lower.into_iter().partition(|p| p.0.starts_with('g'));
        let (title, upper): (Vec<_>, Vec<_>) = other
            .into_iter()
            .partition(|p| p.0.as_bytes().get(1).is_some_and(u8::is_ascii_lowercase));
        Ok(Self {
            groups: vec![
                LiteralGroup::new(&forges)?,
                LiteralGroup::new(&lower)?,
                LiteralGroup::new(&title)?,
                LiteralGroup::new(&upper)?,
            ],
        })
    }

    /// Candidate windows over `text[..limit]`, sorted, merged and on char boundaries.
    pub fn windows(&self, text: &str, limit: usize) -> Vec<(usize, usize)> {
        let hay = text.as_bytes().get(..limit).unwrap_or(&[]);
        let mut wins: Vec<(usize, usize)> = Vec::new();
        let mut push = |pos: usize, len: usize, (b, a): (usize, usize)| {
            wins.push((
                pos.saturating_sub(b),
                pos.saturating_add(len).saturating_add(a),
            ));
        };
        for g in &self.groups {
            g.each(hay, &mut push);
        }
        Self::special_bytes(hay, &mut push);
        merge(text, limit, wins)
    }

    /// The scan for digits, `@` and `:`, eight bytes at a time (see [`special_mask`]).
    fn special_bytes(hay: &[u8], push: &mut impl FnMut(usize, usize, (usize, usize))) {
        const CHUNK: usize = 64;
        let mut last_digit_win: Option<usize> = None;
        for (ci, chunk) in hay.chunks(CHUNK).enumerate() {
            // Most chunks of prose hold none: one vectorised pass rules them out.
            if !swar::any(chunk, is_special) {
                continue;
            }
            Self::special_words(chunk, ci * CHUNK, hay, &mut last_digit_win, push);
        }
    }

    /// [`special_bytes`](Self::special_bytes) within one chunk that has a special byte, which
    /// starts at `base` in `hay`.
    fn special_words(
        chunk: &[u8],
        base: usize,
        hay: &[u8],
        last_digit_win: &mut Option<usize>,
        push: &mut impl FnMut(usize, usize, (usize, usize)),
    ) {
        for at in (0..chunk.len()).step_by(8) {
            let mut m = swar::word_at(chunk, at).map_or(0, special_mask);
            let at = base.saturating_add(at);
            while m != 0 {
                let i = at.saturating_add((m.trailing_zeros() / 8) as usize);
                m &= m - 1;
                match hay.get(i).copied().unwrap_or(0) {
                    b'0'..=b'9' => {
                        // One window per digit run is enough; margins cover the run's neighbours.
                        if last_digit_win.is_some_and(|w| i < w) {
                            continue;
                        }
                        push(i, 1, DIGIT_MARGIN);
                        *last_digit_win = Some(i.saturating_add(DIGIT_MARGIN.1 / 2));
                    }
                    b'@' => push(i, 1, AT_MARGIN),
                    b':' if hay.get(i + 1..i + 3) == Some(b"//") => push(i, 3, URL_MARGIN),
                    b':' if ipv6_neighbourhood(hay, i) => push(i, 1, IPV6_MARGIN),
                    _ => {}
                }
            }
        }
    }
}

/// A digit, `:` (the byte after `9`) or `@`.
fn is_special(b: u8) -> bool {
    b.wrapping_sub(b'0') <= 10 || b == b'@'
}

/// Bit 7 of each byte of the result is set where that byte of `w` is [`is_special`].
fn special_mask(w: u64) -> u64 {
    swar::in_range(w, b'0', b':') | swar::eq(w, b'@')
}

/// A `:` with a hex digit or another `:` on both sides and a decimal digit close by
/// (so `std::fs` or `Face::Bad` in source code do not open windows).
fn ipv6_neighbourhood(hay: &[u8], i: usize) -> bool {
    let ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_hexdigit() || *b == b':');
    let near = hay
        .get(i.saturating_sub(5)..hay.len().min(i.saturating_add(6)))
        .is_some_and(|w| w.iter().any(u8::is_ascii_digit));
    i > 0 && ok(hay.get(i - 1)) && ok(hay.get(i + 1)) && near
}

fn merge(text: &str, limit: usize, mut wins: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    wins.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(wins.len());
    for (s, e) in wins {
        let e = e.min(limit);
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    for w in &mut merged {
        w.0 = floor_char_boundary(text, w.0);
        w.1 = ceil_char_boundary(text, w.1).min(limit);
    }
    merged.retain(|w| w.0 < w.1);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_special_mask_marks_exactly_digits_colons_and_ats() {
        let w = u64::from_le_bytes(*b"a0:9@/;A");
        assert_eq!(
            special_mask(w),
            u64::from_le_bytes([0, 0x80, 0x80, 0x80, 0x80, 0, 0, 0])
        );
    }

    #[test]
    fn special_bytes_open_one_window_per_digit_run_and_one_per_at_or_url() {
        let hay = b"call 4155550132 or mail a@b.co, see https://x.io; tail 7";
        let mut got = Vec::new();
        Prefilter::special_bytes(hay, &mut |pos, len, mg| got.push((pos, len, mg)));
        let at = hay.iter().position(|&b| b == b'@').unwrap_or(0);
        let url = hay.windows(3).position(|w| w == b"://").unwrap_or(0);
        assert_eq!(
            got,
            [
                (5, 1, DIGIT_MARGIN),
                (at, 1, AT_MARGIN),
                (url, 3, URL_MARGIN),
                (hay.len() - 1, 1, DIGIT_MARGIN),
            ]
        );
    }
}
