//! Person names in Japanese script: a family name from the lexicon (kanji or katakana), then a
//! given name, an honorific (`さん`, `様`, `氏`, …) or a context word before it (`氏名：`,
//! `患者`, `担当者`). Katakana full names (`タナカ タロウ`, `ヤマダ・ハナコ`) count when one part
//! is in the lexicon or an honorific or cue frames them. The span never holds the honorific.
//!
//! Runs only on text with kana (so Chinese text, which shares the kanji, is left alone). One
//! leftmost-longest aho-corasick pass over the family names; every check after a hit looks a
//! bounded number of characters around it. Owns Japanese names only.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::lexicon::Lexicon;
use super::words::{JA_CUES, JA_HONORIFICS};
use crate::classify::types::{Class, Finding};

#[derive(Debug)]
pub(crate) struct JaNames {
    family: Option<AhoCorasick>,
}

fn is_kanji(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c) || c == '々'
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{3096}').contains(&c)
}

/// The text has kana (hiragana or katakana): it is Japanese.
fn has_kana(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == 0xE3 && (0x81..=0x83).contains(&w[1]))
}

fn honorific_at(text: &str, at: usize) -> bool {
    text.get(at..)
        .is_some_and(|t| JA_HONORIFICS.iter().any(|h| t.starts_with(h)))
}

/// Skip one space (ASCII, ideographic or `・`) at `at`.
fn skip_space(text: &str, at: usize) -> usize {
    match text.get(at..).and_then(|t| t.chars().next()) {
        Some(c @ (' ' | '\u{3000}' | '・')) => at + c.len_utf8(),
        _ => at,
    }
}

/// End of the run of characters of `kind` from `at`, at most `max` of them, stopping before
/// an honorific (`一郎様` is `一郎`).
fn run_end(text: &str, at: usize, max: usize, kind: fn(char) -> bool) -> usize {
    let mut end = at;
    for c in text.get(at..).unwrap_or("").chars().take(max) {
        if !kind(c) || honorific_at(text, end) {
            break;
        }
        end += c.len_utf8();
    }
    end
}

/// A context word ends right before `s` (allowing `：`, `:` and spaces between).
fn cue_before(text: &str, s: usize) -> bool {
    let head = text.get(..s).unwrap_or("");
    let trimmed = head.trim_end_matches([' ', '\u{3000}', ':', '：', '」', '「']);
    // `は` / `の` after a cue word: `担当は田中`, `患者の佐藤`.
    let trimmed = trimmed
        .strip_suffix('は')
        .or_else(|| trimmed.strip_suffix('の'))
        .unwrap_or(trimmed);
    JA_CUES.iter().any(|c| trimmed.ends_with(c))
}

impl JaNames {
    pub fn new(lex: &Lexicon) -> Self {
        let family = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&lex.ja_family)
            .ok();
        Self { family }
    }

    /// Append the Japanese names in `text[..limit]`.
    pub fn scan(&self, lex: &Lexicon, text: &str, limit: usize, out: &mut Vec<Finding>) {
        let (Some(ac), Some(hay)) = (&self.family, text.get(..limit)) else {
            return;
        };
        if !has_kana(hay) {
            return;
        }
        let mut after = 0;
        for m in ac.find_iter(hay) {
            let (s, e) = (m.start(), m.end());
            if s < after {
                continue;
            }
            let prev = hay.get(..s).and_then(|t| t.chars().next_back());
            let surname_kana = hay[s..e].chars().all(is_katakana);
            // Inside a longer word: a kanji (or, for a katakana name, a katakana) before it.
            if prev.is_some_and(|c| is_kanji(c) || (surname_kana && is_katakana(c)))
                && !cue_before(hay, s)
            {
                continue;
            }
            if let Some(end) = self.judge(lex, hay, s, e, surname_kana) {
                out.push(Finding {
                    class: Class::Builtin("pii.person_name"),
                    start: s,
                    end,
                    detector: "person_name_ja",
                    test_value: false,
                });
                after = end;
            }
        }
    }

    /// The end of the name that starts with the family name `s..e`, if it is one.
    fn judge(&self, lex: &Lexicon, t: &str, s: usize, e: usize, kana: bool) -> Option<usize> {
        if honorific_at(t, e) {
            return Some(e);
        }
        let g = skip_space(t, e);
        let kind: fn(char) -> bool = if kana {
            is_katakana
        } else {
            |c| is_kanji(c) || is_hiragana(c) || is_katakana(c)
        };
        // A given name from the lexicon, longest first.
        let mut ends: Vec<usize> = Vec::new();
        let mut p = g;
        for c in t.get(g..).unwrap_or("").chars().take(4) {
            if !kind(c) {
                break;
            }
            p += c.len_utf8();
            ends.push(p);
        }
        for &end in ends.iter().rev() {
            if lex.is_ja_given(&t[g..end]) {
                return Some(end);
            }
        }
        // Kanji (or katakana) then an honorific: `田中一郎さん`.
        let run = if kana {
            run_end(t, g, 6, is_katakana)
        } else {
            run_end(t, g, 3, is_kanji)
        };
        if run > g && honorific_at(t, run) {
            return Some(run);
        }
        if cue_before(t, s) {
            return Some(if run > g { run } else { e });
        }
        None
    }
}
