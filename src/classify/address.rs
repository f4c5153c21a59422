//! Postal addresses (`pii.address`): the candidate patterns per locale (`en` US/UK, `de`
//! DE/AT/CH, `fr`, `es`, `ja`, each in its own submodule with its tests) and the validator that
//! confirms a candidate and trims its span to the address.
//!
//! The patterns are alternatives of the one multi-pattern engine (see `catalog`), so matching
//! stays one linear lazy-DFA pass over the pre-filter's windows: every address holds a digit
//! (house number, postcode), whose window reaches 40 bytes back (street names before German and
//! Spanish house numbers, a Japanese prefecture and municipality before the block numbers), so
//! no anchor literal is added and prose without digits costs nothing here. Japanese addresses
//! written with kanji numerals only (`一丁目`) are therefore not found. Patterns are strict about shape (a street
//! needs a house number plus a street type or a street-name suffix), the validator about
//! context: boundaries, a bare "number + street" followed by an ordinary lowercase word
//! (`2 Google Drive accounts`, `3 Wall Street banks`), a year before a street (`in 2019 Main
//! Street`). Span contract: from the first address element to the last one (postcode, city,
//! `Cedex n`), never a trailing period or comma. Owns no matching code (see `engine`).

mod de;
mod en;
mod es;
mod fr;
mod ja;
mod shape;

use super::cand::Cand;
use super::types::Finding;
use super::validate::slice;
use shape::next_word;

/// Longest address span; at most `stream::TAIL`, so a streamed scan finds every address the
/// whole-text scan finds (a const assertion in the tests checks it).
const MAX_ADDRESS: usize = 256;

/// The detectors: (id, pattern), all confirmed by [`confirm`].
pub(crate) fn patterns() -> [(&'static str, String); 5] {
    [
        ("address_en", en::pattern()),
        ("address_de", de::pattern()),
        ("address_fr", fr::pattern()),
        ("address_es", es::pattern()),
        ("address_ja", ja::pattern()),
    ]
}

/// Confirm a candidate of one of the address patterns.
pub(crate) fn confirm(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let text = c.text;
    let s = c.start;
    let mut e = c.end;
    // Never a trailing period, comma or space.
    while e > s
        && text
            .as_bytes()
            .get(e - 1)
            .is_some_and(|b| b".,; \t\r\n".contains(b))
    {
        e -= 1;
    }
    let v = slice(text, s, e);
    if v.is_empty() || v.len() > MAX_ADDRESS {
        return;
    }
    let before = text.get(..s).and_then(|t| t.chars().next_back());
    let after = text.get(e..).and_then(|t| t.chars().next());
    // Japanese addresses sit inside running text (`住所は東京都…です`): only ASCII neighbours
    // must not continue the value.
    let ok = if c.id == "address_ja" {
        !before.is_some_and(|ch| ch.is_ascii_alphanumeric())
            && !after.is_some_and(|ch| ch.is_ascii_digit())
    } else {
        !before.is_some_and(|ch| ch.is_alphanumeric() || "./:+-$€£#_".contains(ch))
            && !after.is_some_and(|ch| ch.is_alphanumeric() || ch == '_')
    };
    if !ok {
        return;
    }
    let ok = match c.id {
        "address_en" => en::plausible(text, s, e),
        "address_de" => de::plausible(v),
        "address_fr" => bare_ok(text, e, v, fr::AFTER_BARE),
        "address_es" => bare_ok(text, e, v, es::AFTER_BARE),
        _ => true,
    };
    if ok {
        c.emit(out, "pii.address", s, e);
    }
}

/// A French or Spanish street without postcode whose first word is capitalised (`5 Square Enix`,
/// `Plaza Hotel 5`) may be English prose: the next word must not be an ordinary lowercase word
/// outside the locale's `allowed` list.
fn bare_ok(text: &str, e: usize, v: &str, allowed: &[&str]) -> bool {
    let has_postcode = v
        .split(|ch: char| !ch.is_ascii_digit())
        .any(|d| d.len() == 5);
    let first_word = v
        .split(' ')
        .find(|w| w.starts_with(|ch: char| ch.is_alphabetic()) && *w != "bis" && *w != "ter")
        .unwrap_or("");
    if has_postcode || !first_word.starts_with(|ch: char| ch.is_uppercase()) {
        return true;
    }
    let w = next_word(text, e);
    !w.starts_with(|ch: char| ch.is_lowercase()) || allowed.contains(&w)
}

/// Test helper: the address spans the default classifier finds in `text`.
#[cfg(test)]
pub(super) fn found(text: &str) -> Vec<String> {
    super::tests::clf()
        .classify(text)
        .items
        .iter()
        .filter(|f| f.class.as_str() == "pii.address")
        .map(|f| text[f.start..f.end].to_owned())
        .collect()
}

/// Test helper: `text` holds exactly the address `want`.
#[cfg(test)]
pub(super) fn check(text: &str, want: &str) {
    assert_eq!(found(text), vec![want.to_owned()], "in {text:?}");
}

/// Test helper: `text` holds no address.
#[cfg(test)]
pub(super) fn check_none(text: &str) {
    assert_eq!(found(text), Vec::<String>::new(), "in {text:?}");
}

#[cfg(test)]
mod tests {
    use super::shape::prev_word;
    use super::*;

    // The longest address fits the stream's held-back tail (the test build fails otherwise).
    const _: () = assert!(MAX_ADDRESS <= crate::classify::stream::TAIL);

    #[test]
    fn neighbours() {
        assert_eq!(next_word("x is", 1), "is");
        assert_eq!(next_word("x, is", 1), "");
        assert_eq!(prev_word("in  2019", 4), "in");
        assert_eq!(prev_word("2019", 0), "");
    }

    #[test]
    fn trailing_punctuation_is_not_in_the_span() {
        check("Send it to 12 Oak Street.", "12 Oak Street");
        check("Send it to 221B Baker St.", "221B Baker St");
        check(
            "Mailing address: 5584 Juniper Lane, Riverton, WY 82501.",
            "5584 Juniper Lane, Riverton, WY 82501",
        );
    }

    #[test]
    fn hard_negatives() {
        for t in [
            "Wall Street reacted calmly to the news.",
            "Main Street businesses are struggling.",
            "Office hours: 10115 Berlin only.",
            "Upgrade to version 2.3.1 Street release",
            "I own 3 Street Fighter games.",
            "We ordered 12 Drive units and 5 Place settings.",
            "Ticket 4521 was closed on 2024-03-01.",
            "In 2019 Main Street businesses grew.",
            "She bought 2 Google Drive accounts.",
            "The meeting is at 10:30 Market Street time.",
            "3 Wall Street banks failed.",
            "Der String 5 ist zu lang.",
            "10115 Berlin",
            "the Champs-Élysées",
            "I bought 5 Square Enix games.",
            "The Plaza Hotel 5 stars rating",
            "Der Parkplatz 12 ist frei.",
            "Abfahrt von Bahnsteig 3 und Kopfzeile 3",
        ] {
            check_none(t);
        }
    }
}
