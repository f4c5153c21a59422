//! What stands before a name run: a title (`Dr.`, `Frau`), a greeting (`Hi`, `Bonjour`), a
//! context word (`patient`, `From:`, `"assignee": "`), or a letter closing on the line above
//! (a signature). At most [`super::lexicon::LOOKBACK`] bytes before the run are read.
//!
//! Owns the look-back only; the word lists are `words`, the judgement `names`.

use super::lexicon::{set_of, Set, LOOKBACK};
use super::words::{CLOSINGS, CUES, GREETINGS};

/// The last word of every greeting and context cue (lowercase), to rule out most capitalised
/// words with one lookup before any phrase is compared.
#[derive(Debug)]
pub(crate) struct CueWords {
    last_words: Set,
}

impl CueWords {
    pub fn new() -> Self {
        let last = |c: &&'static str| -> &'static str {
            let c = c.trim_end_matches(':');
            c.rsplit([' ', '/', '-', '.']).next().unwrap_or(c)
        };
        Self {
            last_words: set_of(GREETINGS.iter().chain(CUES).map(last)),
        }
    }

    /// [`before`] with the one-lookup pre-check of the word before the run.
    pub fn before(&self, text: &str, s: usize, titles: &Set) -> Option<Cue> {
        before(text, s, titles, &self.last_words)
    }
}

/// The kind of cue before a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cue {
    /// `Mr.`, `Frau`, `Sra.`: a family name alone after it is a name.
    Title,
    /// `Hi`, `Liebe`, `Hola`: one word after it is a name.
    Greeting,
    /// `patient`, `From:`, `"customer": `: known names after it are names.
    Context,
    /// A letter closing on the line above (`Best regards,`), or a record label on it
    /// (`Ship to:`).
    Signature,
    /// A dash at the line start (`— Anna`, but also a bullet `- Angebot prüfen`): a known given
    /// name alone on the rest of the line is a name.
    Dash,
    /// After another name and a list separator (`Sarah Brown, Elowen R. Anderson`): a run of
    /// two words is a name.
    List,
}

impl Cue {
    /// Strong enough for a run in capitals (`PATIENT: ANNA SCHMIDT`).
    pub fn strong(self) -> bool {
        !matches!(self, Cue::Greeting | Cue::Dash | Cue::List)
    }
}

/// Brands and characters written like a title and a name (`Dr. Pepper`, `Mr. Clean`).
pub(crate) fn is_title_brand(w: &str) -> bool {
    matches!(
        w,
        "Pepper"
            | "Clean"
            | "Bean"
            | "Robot"
            | "Freeze"
            | "Potato"
            | "Muscle"
            | "Proper"
            | "Right"
            | "Wrong"
            | "Know"
            | "Big"
            | "Fixit"
            | "Coffee"
            | "Oetker"
            | "Who"
            | "Strange"
            | "Evil"
            | "Watson"
            | "Seuss"
            | "No"
            | "President"
            | "Chairman"
    )
}

fn lower_ascii_eq(hay: &[u8], word: &str) -> bool {
    hay.len() == word.len()
        && hay
            .iter()
            .zip(word.as_bytes())
            .all(|(h, w)| h.to_ascii_lowercase() == *w)
}

/// The cue before a run that starts at `s`, if any.
fn before(text: &str, s: usize, titles: &Set, last_words: &Set) -> Option<Cue> {
    let bytes = text.as_bytes();
    let floor = s.saturating_sub(LOOKBACK);
    // Separators between a cue and the name: spaces, quotes, `:`/`=`, `>`, `*`, `(`.
    let mut p = s;
    let mut colon = false;
    let mut dot = false;
    let mut newline = false;
    while p > floor {
        match bytes[p - 1] {
            b' ' | b'\t' | b'"' | b'\'' | b'>' | b'*' | b'(' | b'[' | b',' => {}
            b':' | b'=' => colon = true,
            b'.' if !dot && !colon => dot = true,
            b'\n' | b'\r' => {
                newline = true;
                break;
            }
            _ => break,
        }
        p -= 1;
    }
    if newline || p == 0 || bytes.get(p - 1).is_some_and(|b| *b == b'\n') {
        return label_above(bytes, p, floor).then_some(Cue::Signature);
    }
    // Dash at the start of a line: `— Anna`, `-- Anna`.
    let dash_end = p;
    let mut q = p;
    while q > floor && matches!(bytes[q - 1], b'-' | 0x80 | 0x94 | 0xE2 | b' ') {
        q -= 1;
    }
    if q < dash_end && (q == 0 || bytes[q - 1] == b'\n') && !colon {
        // (`normalize` folds Unicode dashes to `-`.)
        let dashes = &text[q..dash_end];
        if dashes.contains('-') || dashes.contains('—') || dashes.contains('–') {
            return Some(Cue::Dash);
        }
    }
    // The word (or words) before the separators.
    let word_end = p;
    let mut w = p;
    while w > floor
        && (bytes[w - 1].is_ascii_alphabetic() || bytes[w - 1] >= 0x80 || bytes[w - 1] == b'_')
    {
        w -= 1;
    }
    let word = text.get(w..word_end)?;
    if word.is_empty() {
        return None;
    }
    let capital = word.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
    if (capital || word == "med") && titles.contains(word) && (dot || !colon) {
        return Some(Cue::Title);
    }
    if dot {
        // `Dr. med.` chains were handled above; any other word then `.` ends a sentence.
        return None;
    }
    let mut lower = [0u8; 24];
    let known = word.len() <= lower.len() && {
        let l = &mut lower[..word.len()];
        l.copy_from_slice(word.as_bytes());
        l.make_ascii_lowercase();
        std::str::from_utf8(l).is_ok_and(|l| last_words.contains(l))
    };
    if !known {
        return list_before(text, word_end, w, floor).then_some(Cue::List);
    }
    let tail = &bytes[floor..word_end];
    let matches = |list: &[&str], with_colon: bool| {
        list.iter().any(|c| {
            let (c, needs_colon) = match c.strip_suffix(':') {
                Some(c) => (c, true),
                None => (*c, false),
            };
            if needs_colon && !(with_colon && colon) {
                return false;
            }
            c.len() <= tail.len()
                && lower_ascii_eq(&tail[tail.len() - c.len()..], c)
                && (tail.len() == c.len() || {
                    let b = tail[tail.len() - c.len() - 1];
                    !(b.is_ascii_alphanumeric() || b == b'_')
                })
        })
    };
    if matches(GREETINGS, false) {
        return Some(Cue::Greeting);
    }
    if matches(CUES, true) {
        return Some(Cue::Context);
    }
    list_before(text, word_end, w, floor).then_some(Cue::List)
}

/// The run follows `<Capitalised word>, ` or `<Capitalised word> and ` (a list of names).
/// `word_start..word_end` is the word before the run's separators.
fn list_before(text: &str, word_end: usize, word_start: usize, floor: usize) -> bool {
    let word = &text[word_start..word_end];
    let prev_end = if ["and", "und", "et", "y", "e"].contains(&word) {
        match text.get(..word_start).and_then(|b| b.strip_suffix(' ')) {
            Some(b) => b.trim_end_matches(',').len(),
            None => return false,
        }
    } else if text.get(word_end..).is_some_and(|t| t.starts_with(", ")) {
        word_end
    } else {
        return false;
    };
    if prev_end <= floor {
        return false;
    }
    // The word before the separator is capitalised (the previous name's last word).
    let head = text.get(..prev_end).unwrap_or("");
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map_or(prev_end, |(i, _)| i);
    let last = &head[start..];
    last.chars().next().is_some_and(char::is_uppercase) && last.chars().nth(1).is_some()
}

/// The line above `line_start` is a letter closing (`Best regards,`, `Mit freundlichen Grüßen`)
/// or a record label (`Ship to:`, `Patient:`).
fn label_above(bytes: &[u8], line_start: usize, floor: usize) -> bool {
    // Only spaces may stand between the line start and the name.
    let mut p = line_start;
    while p > floor && matches!(bytes[p - 1], b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 || !matches!(bytes[p - 1], b'\n') {
        return false;
    }
    let mut end = p - 1;
    if end > 0 && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    let mut start = end;
    while start > floor && bytes[start - 1] != b'\n' {
        start -= 1;
    }
    if start == floor && floor > 0 {
        return false;
    }
    let Ok(line) = std::str::from_utf8(&bytes[start..end]) else {
        return false;
    };
    let line = line
        .trim()
        .trim_end_matches([',', '!', '.', '、', '。'])
        .trim();
    let lower = line.to_lowercase();
    if CLOSINGS.contains(&lower.as_str()) {
        return true;
    }
    lower
        .strip_suffix(':')
        .is_some_and(|l| CUES.contains(&l.trim_end()) || CUES.contains(&lower.as_str()))
}
