//! Person names (`pii.person_name`) in free text, in the Latin-script locales (en, de, fr, es,
//! romanised Japanese) and in Japanese script (`ja`).
//!
//! A linear pass over the text: a chunked byte scan skips everything without an uppercase
//! letter; at each capitalised word start a run of name-shaped words is read (`Anna`,
//! `Jean-Pierre`, `O'Brien`, `McLeod`, initials `Q.`, particles `von der`, `de la`; at most
//! [`MAX_NAME`] bytes) and judged by the embedded lexicon (`lexicon`: is the first word a given
//! name, the last a family name?) and by the cue before it (`cues`: a title, a greeting, a
//! context word such as `patient` or `"assignee":`, an e-mail header, a letter closing on the
//! line above). Common capitalised words (`words::STOP`) cut a run. The span is the name alone:
//! titles and honorifics stay outside.
//!
//! Every judgement looks at most [`lexicon::LOOKBACK`] bytes before a run and [`MAX_NAME`] bytes into it,
//! so a streamed scan (which keeps `stream::CONTEXT` bytes of released text) finds exactly what
//! the whole-text scan finds. Owns name detection only; other classes are the engine's.

mod cues;
mod ja;
mod lexicon;
#[cfg(test)]
mod tests;
mod words;

use super::swar;
use super::types::{Class, Finding};
use cues::Cue;
use lexicon::{set_of, Lexicon, Set};

/// Longest name run read from one start, in bytes.
pub(crate) const MAX_NAME: usize = 64;
fn set(words: &[&'static str]) -> Set {
    set_of(words.iter().copied())
}

/// The built name detector (lexicon and word sets); shared by every scan.
#[derive(Debug)]
pub(crate) struct NameDetector {
    lex: Lexicon,
    /// Common capitalised words and titles: either cuts a run.
    stop: Set,
    place_ends: Set,
    ambiguous: Set,
    titles: Set,
    cues: cues::CueWords,
    ja: ja::JaNames,
}

/// One word of a run: `Anna` (title case), `ANNA` (capitals) or an initial `Q.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Title,
    Caps,
    Initial,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    s: usize,
    e: usize,
    shape: Shape,
}

impl NameDetector {
    pub fn new() -> Self {
        let lex = Lexicon::new();
        let ja = ja::JaNames::new(&lex);
        Self {
            lex,
            stop: set_of(words::STOP.iter().chain(words::TITLES).copied()),
            place_ends: set(words::PLACE_ENDS),
            ambiguous: set(words::AMBIGUOUS_GIVEN),
            titles: set(words::TITLES),
            cues: cues::CueWords::new(),
            ja,
        }
    }

    /// Append every person name in `text[..limit]`.
    pub fn scan(&self, text: &str, limit: usize, out: &mut Vec<Finding>) {
        let Some(hay) = text.as_bytes().get(..limit) else {
            return;
        };
        let mut i = 0;
        while let Some(at) = next_upper_lead(hay, i) {
            i = at;
            if let Some(t) = token_at(text, limit, i) {
                match self.run_at(text, limit, t, out) {
                    Some(end) => i = end,
                    None => i = t.e,
                }
                continue;
            }
            i += utf8_len(hay[i]);
        }
        if has_cjk(hay) {
            self.ja.scan(&self.lex, text, limit, out);
        }
    }

    fn is_stop(&self, text: &str, t: &Tok) -> bool {
        let w = &text[t.s..t.e];
        match t.shape {
            Shape::Initial => false,
            Shape::Title => self.stop.contains(w),
            Shape::Caps => self.stop.contains(&title_case(w)),
        }
    }

    fn given(&self, text: &str, t: &Tok) -> bool {
        let w = &text[t.s..t.e];
        match t.shape {
            Shape::Title => self.lex.is_given(w),
            Shape::Caps => self.lex.is_given(&title_case(w)),
            Shape::Initial => false,
        }
    }

    fn family(&self, text: &str, t: &Tok) -> bool {
        let w = &text[t.s..t.e];
        match t.shape {
            Shape::Title => self.lex.is_family(w),
            Shape::Caps => self.lex.is_family(&title_case(w)),
            Shape::Initial => false,
        }
    }

    /// Read the run of name-shaped words from `first`, judge it, and push the name it holds.
    /// Returns the end of the pushed name.
    fn run_at(
        &self,
        text: &str,
        limit: usize,
        first: Tok,
        out: &mut Vec<Finding>,
    ) -> Option<usize> {
        let mut buf = [first; 8];
        let mut len = 1;
        let mut at = first.e;
        while len < buf.len() {
            let Some(next) = next_in_run(text, limit, at, first.s) else {
                break;
            };
            // One shape per run, but for `KATO Aya` (family name in capitals, then given).
            let mixed = next.shape != Shape::Initial
                && next.shape != first.shape
                && first.shape != Shape::Initial;
            if mixed && !(len == 1 && first.shape == Shape::Caps && next.shape == Shape::Title) {
                break;
            }
            at = next.e;
            buf[len] = next;
            len += 1;
        }
        let run = &buf[..len];
        // A lone word (most capitalised words: sentence starts, German nouns) is a name only
        // after a cue: look for one before any lookup.
        if len == 1 {
            if first.shape != Shape::Title {
                return None;
            }
            let cue = self.cues.before(text, first.s, &self.titles)?;
            if self.is_stop(text, &first) || !self.judge_single(text, first, Some(cue)) {
                return None;
            }
            return Some(push_name(out, first.s, first.e));
        }
        // Common words cut the run: drop them from the front; stop at the first one after.
        let start = run.iter().position(|t| !self.is_stop(text, t))?;
        let mut run = &run[start..];
        if let Some(cut) = run.iter().position(|t| self.is_stop(text, t)) {
            run = &run[..cut];
        }
        while run.last().is_some_and(|t| t.shape == Shape::Initial) {
            run = &run[..run.len() - 1];
        }
        let &head = run.first()?;
        if head.shape == Shape::Initial {
            return None;
        }
        let words = run.iter().filter(|t| t.shape != Shape::Initial).count();
        let cue = self.cues.before(text, head.s, &self.titles);
        let name = if words >= 2 {
            self.judge_run(text, run, cue)
        } else {
            self.judge_single(text, head, cue)
                .then_some((head.s, head.e))
        }?;
        let (s, e) = name;
        Some(push_name(out, s, e))
    }

    /// A run of two or more words: the span of the name in it, if any.
    fn judge_run(&self, text: &str, run: &[Tok], cue: Option<Cue>) -> Option<(usize, usize)> {
        let head = run.first()?;
        let last = run.last()?;
        let caps = head.shape == Shape::Caps && last.shape == Shape::Caps;
        if head.shape == Shape::Caps && !caps {
            // `KATO Aya`: a family name in capitals, then a given name.
            let ok = self.family(text, head) && self.given(text, last);
            return (ok || cue.is_some()).then_some((head.s, last.e));
        }
        let place = self.place_ends.contains(&text[last.s..last.e]);
        if place && cue.is_none() {
            return None;
        }
        let g0 = self.given(text, head);
        let amb0 = self.ambiguous.contains(&text[head.s..head.e]);
        let fl = self.family(text, last);
        if caps {
            return (g0 && fl || cue.is_some_and(Cue::strong)).then_some((head.s, last.e));
        }
        let framed = cue.is_some_and(|c| c != Cue::Dash && c != Cue::List)
            || ja_honorific_after(text, last.e);
        let listed = cue == Some(Cue::List) && g0;
        if framed || listed || (g0 && !amb0) || (g0 && fl) {
            return Some((head.s, last.e));
        }
        // Family name first (`Watanabe Yuma`).
        if run.len() == 2 && self.family(text, head) && self.given(text, last) && !amb0 {
            return Some((head.s, last.e));
        }
        // A given name later in the run starts the name (`Visit Katrin Vogel`).
        if let Some(k) = run.iter().skip(1).position(|t| {
            t.shape == Shape::Title
                && self.given(text, t)
                && !self.ambiguous.contains(&text[t.s..t.e])
        }) {
            let t = run.get(k + 1)?;
            if run.len() > k + 2 {
                return Some((t.s, last.e));
            }
        }
        // An unknown first word before a known family name (`Xaverine Müller`).
        let plausible = head.e - head.s >= 3 && !self.family(text, head) && !amb0;
        let words = run.iter().filter(|t| t.shape != Shape::Initial).count();
        (words == 2 && fl && plausible).then_some((head.s, last.e))
    }

    /// One word alone: a name only after a cue.
    fn judge_single(&self, text: &str, t: Tok, cue: Option<Cue>) -> bool {
        if t.shape != Shape::Title {
            return false;
        }
        let w = &text[t.s..t.e];
        match cue {
            Some(Cue::Title) => !cues::is_title_brand(w),
            Some(Cue::Greeting | Cue::Signature) => true,
            Some(Cue::Dash) => self.lex.is_given(w) && line_ends(text, t.e),
            Some(Cue::List) => false,
            Some(Cue::Context) => self.lex.is_given(w) || self.lex.is_family(w),
            None => false,
        }
    }
}

/// Only spaces stand between `at` and the end of its line.
fn line_ends(text: &str, at: usize) -> bool {
    let rest = text.get(at..).unwrap_or("");
    rest.trim_start_matches([' ', '\t'])
        .chars()
        .next()
        .is_none_or(|c| matches!(c, '\n' | '\r' | ','))
}

/// A Japanese honorific right after a romanised name (`Shota Yoshida氏`).
fn ja_honorific_after(text: &str, at: usize) -> bool {
    text.get(at..)
        .is_some_and(|t| words::JA_HONORIFICS.iter().any(|h| t.starts_with(h)))
}

fn push_name(out: &mut Vec<Finding>, s: usize, e: usize) -> usize {
    out.push(Finding {
        class: Class::Builtin("pii.person_name"),
        start: s,
        end: e,
        detector: "person_name",
        test_value: false,
    });
    e
}

/// The first position at or after `from` whose byte may start an uppercase Latin letter: `A`-`Z`,
/// or the UTF-8 lead bytes of `À`-`Þ` and Latin Extended (0xC3..=0xC9). Eight bytes at a time
/// (most prose bytes are lowercase letters, spaces and punctuation).
fn next_upper_lead(hay: &[u8], mut from: usize) -> Option<usize> {
    while let Some(w) = swar::word_at(hay, from) {
        let m = swar::in_range(w, b'A', b'Z') | swar::in_range(w, 0xC3, 0xC9);
        if m != 0 {
            return Some(from + (m.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    None
}

/// `hay` holds a UTF-8 lead byte of U+3000..=U+9FFF (kana, CJK punctuation and kanji: every
/// char a Japanese name or its cue is written with).
fn has_cjk(hay: &[u8]) -> bool {
    swar::any(hay, |b| b.wrapping_sub(0xE3) < 7)
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `ANNA-LENA` → `Anna-Lena` (the case the lexicon uses).
fn title_case(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut up = true;
    for c in w.chars() {
        if up {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        up = matches!(c, '-' | '\'' | '’');
    }
    out
}

fn latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (('\u{C0}'..='\u{24F}').contains(&c) && c.is_alphabetic())
}

/// The word before `s` ends here: `s` is not inside a word, an identifier, an address or a path.
fn boundary_before(text: &str, s: usize) -> bool {
    match text.get(..s).and_then(|t| t.chars().next_back()) {
        None => true,
        Some(c) => {
            !((c.is_alphanumeric() && c < '\u{3000}')
                || matches!(
                    c,
                    '_' | '.' | '@' | '/' | '\\' | '$' | '#' | '-' | '\'' | '’' | '`'
                ))
        }
    }
}

/// A name-shaped word starting at `s`, if one does.
fn token_at(text: &str, limit: usize, s: usize) -> Option<Tok> {
    if !boundary_before(text, s) {
        return None;
    }
    let rest = text.get(s..limit)?;
    match ascii_token(rest, s) {
        Some(t) => t,
        None => general_token(rest, s),
    }
}

/// [`token_at`] for any word (after the boundary check): char by char.
fn general_token(rest: &str, s: usize) -> Option<Tok> {
    let mut chars = rest.char_indices();
    let (_, c0) = chars.next()?;
    if !(c0.is_uppercase() && latin_letter(c0)) {
        return None;
    }
    let mut end = c0.len_utf8();
    let (mut lower, mut upper, mut inner_upper) = (0usize, 1usize, false);
    let mut prev = c0;
    let mut joined = false;
    for (i, c) in chars {
        if latin_letter(c) {
            if c.is_uppercase() {
                upper += 1;
                // McLeod, MacArthur, O'Brien, Jean-Pierre: a capital after a joiner or Mc/Mac.
                let word = &rest[..i];
                let mc = word.ends_with("Mc") || word.ends_with("Mac");
                if lower > 0 && !joined && !mc {
                    inner_upper = true;
                }
            } else {
                lower += 1;
            }
            joined = false;
            end = i + c.len_utf8();
        } else if matches!(c, '\'' | '’' | '-') && latin_letter(prev) && !joined {
            joined = true;
        } else {
            break;
        }
        prev = c;
        if end > 24 {
            return None;
        }
    }
    let after = rest.get(end..).and_then(|t| t.chars().next());
    let cjk = |c: char| c >= '\u{3000}';
    if after.is_some_and(|c| (c.is_alphanumeric() && !cjk(c)) || c == '_') || inner_upper {
        return None;
    }
    let shape = if lower == 0 && upper == 1 {
        if after == Some('.') {
            return Some(Tok {
                s,
                e: s + end + 1,
                shape: Shape::Initial,
            });
        }
        return None;
    } else if lower == 0 {
        Shape::Caps
    } else {
        Shape::Title
    };
    Some(Tok {
        s,
        e: s + end,
        shape,
    })
}

/// [`token_at`] for a word of ASCII and Latin-1 letters (`Anna`, `Müller`, `JOSÉ`) followed by
/// an ASCII byte (most words): `None` when the word needs the general path (other letters,
/// joiners, `Mc`).
#[allow(clippy::option_option)]
fn ascii_token(rest: &str, s: usize) -> Option<Option<Tok>> {
    let b = rest.as_bytes();
    let (mut n, mut letters, mut upper) = (0usize, 0usize, 0usize);
    let first_upper = match b.first() {
        Some(&c) if c.is_ascii() => c.is_ascii_uppercase(),
        Some(0xC3) => b.get(1).is_some_and(|&x| latin1_letter(x) && x <= 0x9E),
        _ => return None,
    };
    loop {
        match b.get(n) {
            Some(c) if c.is_ascii_alphabetic() => {
                upper += usize::from(c.is_ascii_uppercase());
                n += 1;
            }
            Some(0xC3) => match b.get(n + 1) {
                Some(&x) if latin1_letter(x) => {
                    upper += usize::from(x <= 0x9E);
                    n += 2;
                }
                _ => return None,
            },
            _ => break,
        }
        letters += 1;
        if n > 24 {
            // The general path takes no word longer than 24 bytes either.
            return Some(None);
        }
    }
    let next = b.get(n).copied();
    if n == 0 || next.is_some_and(|c| !c.is_ascii() || matches!(c, b'\'' | b'-')) {
        return None;
    }
    if next.is_some_and(|c| c.is_ascii_digit() || c == b'_') || !first_upper {
        return Some(None);
    }
    let word = &b[..n];
    if upper == 1 && letters == 1 {
        return Some((next == Some(b'.')).then_some(Tok {
            s,
            e: s + n + 1,
            shape: Shape::Initial,
        }));
    }
    if upper == letters {
        return Some(Some(Tok {
            s,
            e: s + n,
            shape: Shape::Caps,
        }));
    }
    if upper > 1 {
        // Inner capitals: only `McLeod` / `MacArthur` shapes, decided by the general path.
        return if word.starts_with(b"Mc") || word.starts_with(b"Mac") {
            None
        } else {
            Some(None)
        };
    }
    Some(Some(Tok {
        s,
        e: s + n,
        shape: Shape::Title,
    }))
}

/// The second byte of a Latin-1 letter `À`-`ÿ` (lead byte 0xC3), but for `×` and `÷`;
/// capitals are 0x80..=0x9E.
fn latin1_letter(x: u8) -> bool {
    (0x80..=0xBF).contains(&x) && x != 0x97 && x != 0xB7
}

/// The next word of a run after `at`: one space (and lowercase particles) then a name-shaped
/// word, within [`MAX_NAME`] bytes of `run_start`.
fn next_in_run(text: &str, limit: usize, at: usize, run_start: usize) -> Option<Tok> {
    let mut p = at;
    loop {
        if text.as_bytes().get(p) != Some(&b' ') {
            return None;
        }
        p += 1;
        let rest = text.get(p..limit)?;
        let word_len = rest
            .bytes()
            .take(6)
            .take_while(u8::is_ascii_lowercase)
            .count();
        let word = &rest[..word_len];
        if word_len > 0 && words::is_particle(word) {
            p += word_len;
            continue;
        }
        // No name word starts with an ASCII byte other than a capital (see `token_at`).
        if rest
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii() && !b.is_ascii_uppercase())
        {
            return None;
        }
        let t = token_at(text, limit, p)?;
        return (t.e - run_start <= MAX_NAME).then_some(t);
    }
}
