//! The regex pieces and word helpers the per-locale address patterns share: Latin letter
//! classes, a capitalised word, the part separator, the words around a match.
//!
//! A leaf: owns no pattern and no validation.

/// Latin upper- and lowercase letters (ASCII and Latin-1), as in `catalog`.
pub(super) const UP: &str = "A-ZÀ-ÖØ-Þ";
pub(super) const LO: &str = "a-zß-öø-ÿ";

/// A capitalised word (`Baker`, `O'Connell`, `Saint-Honoré`).
pub(super) fn cap() -> String {
    format!("[{UP}][{LO}]+(?:['’-][{UP}]?[{LO}]+)*")
}

/// Separator between address parts: comma, newline (a multi-line block) or both.
pub(super) const SEP: &str = r"(?:,[ \t]*\r?\n[ \t]*|,[ \t]*|[ \t]*\r?\n[ \t]*)";

/// The word after `e` (skipping spaces), if the next char starts one.
pub(super) fn next_word(text: &str, e: usize) -> &str {
    let rest = text.get(e..).unwrap_or("").trim_start_matches([' ', '\t']);
    let n = rest
        .char_indices()
        .find(|(_, ch)| !ch.is_alphabetic())
        .map_or(rest.len(), |(i, _)| i);
    rest.get(..n).unwrap_or("")
}

/// The word before `s` (skipping spaces).
pub(super) fn prev_word(text: &str, s: usize) -> &str {
    let head = text.get(..s).unwrap_or("").trim_end_matches([' ', '\t']);
    let n = head
        .char_indices()
        .rev()
        .find(|(_, ch)| !ch.is_alphabetic())
        .map_or(0, |(i, ch)| i + ch.len_utf8());
    head.get(n..).unwrap_or("")
}
