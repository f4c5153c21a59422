//! Person names in Japanese script. Three anchors, each judged a bounded number of characters
//! around it, the span never holding the honorific:
//! - a family name from the lexicon (kanji or katakana), then a given name from the lexicon, or
//!   a space and a short kanji run (`山本 灯里`), or a short kanji run then an honorific
//!   (`田中一郎さん`) or a list separator after a cue or `、`;
//! - an honorific (`さん`, `様`, `氏`, `先生`, …) after a run of kanji (`小鳥遊悠真様`), or
//!   after a katakana full name;
//! - a context word (`氏名：`, `患者：`, `担当者：`) before a kanji run or a katakana full name
//!   (`タナカ タロウ`), and a katakana full name in brackets after a name (its reading).
//!
//! Runs only on text with kana (so Chinese text, which shares the kanji, is left alone). Owns
//! Japanese names only.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::lexicon::Lexicon;
use super::words::{JA_CUES, JA_HONORIFICS};
use crate::classify::types::{Class, Finding};

#[derive(Debug)]
pub(crate) struct JaNames {
    family: Option<AhoCorasick>,
    /// Honorifics first (pattern ids `0..JA_HONORIFICS.len()`), then context words.
    anchors: Option<AhoCorasick>,
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

fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|t| t.chars().next())
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|t| t.chars().next_back())
}

/// Skip one space (ASCII, ideographic or `・`) at `at`.
fn skip_space(text: &str, at: usize) -> usize {
    match char_at(text, at) {
        Some(c @ (' ' | '\u{3000}' | '・')) => at + c.len_utf8(),
        _ => at,
    }
}

/// What may follow a name in a list or a record: `、`, brackets, a line end, the text end.
fn separator_at(text: &str, at: usize) -> bool {
    match char_at(text, at) {
        None => true,
        Some(c) => matches!(
            c,
            '、' | '，'
                | ','
                | '（'
                | '('
                | '）'
                | ')'
                | '\n'
                | '\r'
                | ' '
                | '\u{3000}'
                | '。'
                | '・'
                | '」'
                | '/'
                | '|'
                | '；'
                | ';'
                | '"'
        ),
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

/// A katakana full name at `at` (`タナカ タロウ`, `ヤマダ・ハナコ`): its end.
fn katakana_pair(text: &str, at: usize) -> Option<usize> {
    let first = run_end(text, at, 8, is_katakana);
    if first.saturating_sub(at) < 6 {
        return None;
    }
    let g = skip_space(text, first);
    if g == first {
        return None;
    }
    let second = run_end(text, g, 8, is_katakana);
    (second.saturating_sub(g) >= 6).then_some(second)
}

/// A context word ends right before `s` (allowing `：`, `:`, `名`, `は`, `の` and spaces).
fn cue_before(text: &str, s: usize) -> bool {
    let head = text.get(..s).unwrap_or("");
    let trimmed = head.trim_end_matches([' ', '\u{3000}', ':', '：', '」', '「', '、']);
    let trimmed = trimmed
        .strip_suffix('は')
        .or_else(|| trimmed.strip_suffix('の'))
        .or_else(|| trimmed.strip_suffix('名'))
        .unwrap_or(trimmed);
    trimmed.chars().next_back().is_some_and(cue_last_char)
        && JA_CUES.iter().any(|c| trimmed.ends_with(c))
}

/// The last char of some context word in `JA_CUES` (a test checks each): most text before a
/// family name ends otherwise, and is ruled out without comparing any cue.
fn cue_last_char(c: char) -> bool {
    matches!(
        c,
        '名' | '前'
            | '者'
            | '当'
            | '先'
            | '人'
            | '客'
            | '様'
            | '員'
            | '医'
            | '師'
            | '表'
            | '義'
            | '"'
    )
}

/// Kanji that end a word for a group or role, not a person (`担当者様`, `貴社様`, `皆様`).
fn role_end(c: char) -> bool {
    matches!(
        c,
        '者' | '社'
            | '方'
            | '員'
            | '客'
            | '位'
            | '部'
            | '課'
            | '店'
            | '院'
            | '会'
            | '局'
            | '皆'
            | '長'
            | '様'
            | '殿'
            | '所'
            | '署'
            | '係'
            | '班'
            | '家'
            | '族'
            | '達'
            | '生'
            | '主'
    )
}

fn push(out: &mut Vec<Finding>, s: usize, e: usize) {
    out.push(Finding {
        class: Class::Builtin("pii.person_name"),
        start: s,
        end: e,
        detector: "person_name_ja",
        test_value: false,
    });
}

impl JaNames {
    pub fn new(lex: &Lexicon) -> Self {
        let family = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&lex.ja_family)
            .ok();
        let anchors: Vec<&str> = JA_HONORIFICS.iter().chain(JA_CUES).copied().collect();
        let anchors = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(anchors)
            .ok();
        Self { family, anchors }
    }

    /// Append the Japanese names in `text[..limit]`.
    pub fn scan(&self, lex: &Lexicon, text: &str, limit: usize, out: &mut Vec<Finding>) {
        let Some(hay) = text.get(..limit) else {
            return;
        };
        let before = out.len();
        if let Some(ac) = &self.anchors {
            by_anchor(ac, hay, out);
        }
        // Family names from the lexicon only in Japanese text: kana, or a name found above.
        if has_kana(hay) || out.len() > before {
            if let Some(ac) = &self.family {
                self.by_family(ac, lex, hay, out);
            }
        }
    }

    fn by_family(&self, ac: &AhoCorasick, lex: &Lexicon, hay: &str, out: &mut Vec<Finding>) {
        let mut after = 0;
        for m in ac.find_iter(hay) {
            let (s, e) = (m.start(), m.end());
            if s < after {
                continue;
            }
            let kana = hay[s..e].chars().all(is_katakana);
            let prev = char_before(hay, s);
            // Inside a longer word: a kanji (or, for a katakana name, a katakana) before it.
            if prev.is_some_and(|c| is_kanji(c) || (kana && is_katakana(c))) && !cue_before(hay, s)
            {
                continue;
            }
            if let Some(end) = judge(lex, hay, s, e, kana) {
                push(out, s, end);
                after = end;
            }
        }
    }
}

/// The end of the name that starts with the family name `s..e`, if it is one.
fn judge(lex: &Lexicon, t: &str, s: usize, e: usize, kana: bool) -> Option<usize> {
    if honorific_at(t, e) {
        return Some(e);
    }
    let g = skip_space(t, e);
    let spaced = g > e;
    let kind: fn(char) -> bool = if kana { is_katakana } else { is_kanji };
    // A given name from the lexicon, longest first, ending where the name can end.
    let mut ends: Vec<usize> = Vec::new();
    let mut p = g;
    for c in t.get(g..).unwrap_or("").chars().take(4) {
        if !(kind(c) || (!kana && is_hiragana(c))) {
            break;
        }
        p += c.len_utf8();
        ends.push(p);
    }
    for &end in ends.iter().rev() {
        let next_ok = char_at(t, end).is_none_or(|c| !kind(c)) || honorific_at(t, end);
        if next_ok && lex.is_ja_given(&t[g..end]) {
            return Some(end);
        }
    }
    let run = run_end(t, g, if kana { 8 } else { 3 }, kind);
    if run == g {
        return cue_before(t, s).then_some(e);
    }
    if honorific_at(t, run) {
        return Some(run);
    }
    let listed = cue_before(t, s) || matches!(char_before(t, s), Some('、' | '\n') | None);
    if separator_at(t, run) && (spaced || listed) {
        return Some(run);
    }
    None
}

/// Names found from an honorific after them or a context word before them.
fn by_anchor(ac: &AhoCorasick, t: &str, out: &mut Vec<Finding>) {
    for m in ac.find_iter(t) {
        let (s, e) = (m.start(), m.end());
        if m.pattern().as_usize() < JA_HONORIFICS.len() {
            // Walk back over the kanji (or a katakana full name) before the honorific.
            let mut start = s;
            let mut n = 0;
            while let Some(c) = char_before(t, start) {
                if !is_kanji(c) || n == 6 {
                    break;
                }
                start -= c.len_utf8();
                n += 1;
            }
            let last = char_before(t, s);
            if n >= 2 && last.is_some_and(|c| !role_end(c)) {
                push(out, start, s);
            }
            continue;
        }
        // A context word: the name after its separators.
        let mut p = e;
        while let Some(c @ (':' | '：' | ' ' | '\u{3000}' | '名' | 'は' | '「')) = char_at(t, p)
        {
            p += c.len_utf8();
        }
        if let Some(k) = katakana_pair(t, p) {
            push(out, p, k);
            continue;
        }
        let first = run_end(t, p, 6, is_kanji);
        if first.saturating_sub(p) < 6 {
            continue; // fewer than two kanji
        }
        let g = skip_space(t, first);
        let end = if g > first {
            run_end(t, g, 4, is_kanji).max(first)
        } else {
            first
        };
        if separator_at(t, end) || honorific_at(t, end) {
            push(out, p, end);
            // Its reading in brackets: `山本朔也（ヤマモト サクヤ）`.
            for open in ['（', '('] {
                if char_at(t, end) == Some(open) {
                    let r = end + open.len_utf8();
                    if let Some(k) = katakana_pair(t, r) {
                        push(out, r, k);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_context_word_ends_with_a_char_the_pre_check_accepts() {
        for c in JA_CUES {
            assert!(c.chars().next_back().is_some_and(cue_last_char), "{c}");
        }
        assert!(cue_before("担当者：", "担当者：".len()) && !cue_before("会議の", "会議の".len()));
    }
}
