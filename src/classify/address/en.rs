//! US and UK addresses: `[Flat 2, ]221B [N ]Baker Street[ SW][, Apt 4B]` then optionally
//! `, City, ST 12345(-6789)` (US) or `, Town[, County] AB1 2CD` (UK, postcode required), on one
//! line or as a block of lines; PO boxes; romanised Japanese addresses live in `ja`.

use super::shape::{cap, next_word, prev_word, LO, SEP, UP};

/// Street types (full and abbreviated).
const SUFFIX: &str = "Street|St|Avenue|Ave|Av|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|\
Way|Place|Pl|Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Close|Crescent|Cres|Gardens|Gdns|\
Square|Sq|Row|Mews|Grove|Hill|Walk|Trail|Trl|Alley|Plaza|Loop|Pike|Parade|Wharf|Quay|Expressway|\
Freeway|Turnpike|Crossing|Causeway|Esplanade|Embankment";

const DIR: &str = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?";

const UNIT: &str = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building|Dept|#)\.?[ ]*#?[0-9A-Z][0-9A-Z-]{0,5}";

/// US state (two capitals) or UK postcode tails.
fn tail() -> String {
    let city = format!("{c}(?:[ ]{c}){{0,2}}", c = cap());
    let zip = r"[0-9]{5}(?:-[0-9]{4})?";
    let uk_pc = r"[A-Z]{1,2}[0-9][A-Z0-9]?[ ][0-9][A-Z]{2}";
    let state_name = format!("[{UP}][{LO}]+(?:[ ][{UP}][{LO}]+)?");
    format!(
        "(?:{SEP}{city}){{0,2}}(?:{SEP}|[ ]+){uk_pc}\
         |{SEP}{city}(?:,[ ]*|[ ]+)(?:[A-Z]{{2}}(?-u:\\b)(?:[ ]+{zip})?|{state_name}[ ]+{zip})"
    )
}

pub(super) fn pattern() -> String {
    let word = format!("(?:{}|[0-9]{{1,3}}(?:st|nd|rd|th))", cap());
    let num = "[0-9]{1,6}[A-Za-z]?(?:-[0-9]{1,5}[A-Za-z]?)?";
    // A leading unit (`Flat 3`, `Unit 5`), on its own line or before a comma, and the building
    // name after it (`Riverside House`, `The Old Granary`).
    let lead = format!(
        "(?:(?:Flat|Apt|Apartment|Unit|Suite)[ ]+[0-9A-Z]{{1,5}}(?:,?[ ]+|\n)(?:{c}(?:[ ]+{c}){{0,3}}(?:,[ ]+|\n))?)?",
        c = cap()
    );
    let street = format!(
        "{lead}{num},?[ ]+(?:{DIR}[ ]+)?\
         (?:{word}[ ]+){{1,4}}(?:{SUFFIX})(?-u:\\b)\\.?(?:[ ]+{DIR}(?-u:\\b))?\
         (?:(?:{SEP}|[ ]+){UNIT}){{0,2}}"
    );
    let po = "(?:P\\.?[ ]?O\\.?[ ]?Box|Post Office Box|POB)[ ]+[0-9]{1,6}";
    format!("(?:{street}|{po})(?:{})?", tail())
}

/// Words that may follow a bare "number + street" (no unit, city or postcode) in a sentence.
const AFTER_BARE: &[&str] = &[
    "in",
    "on",
    "at",
    "near",
    "and",
    "or",
    "with",
    "for",
    "from",
    "is",
    "was",
    "where",
    "which",
    "since",
    "but",
    "then",
    "by",
    "until",
    "between",
    "opposite",
    "behind",
    "across",
    "has",
    "had",
    "will",
    "would",
    "today",
    "tomorrow",
    "yesterday",
    "tonight",
    "now",
    "this",
    "next",
    "last",
    "every",
    "before",
    "after",
    "if",
    "so",
    "when",
    "while",
    "as",
    "because",
    "please",
];

/// Words before a year-like number that make it a year, not a house number.
const BEFORE_YEAR: &[&str] = &[
    "in", "In", "since", "Since", "by", "By", "until", "Until", "from", "From", "of", "during",
    "During", "before", "Before", "after", "After", "circa", "around", "year", "Year",
];

/// Context checks for a US/UK candidate `s..e` (already trimmed).
pub(super) fn plausible(text: &str, s: usize, e: usize) -> bool {
    let v = text.get(s..e).unwrap_or("");
    let first = v.split(' ').next().unwrap_or("");
    let rest = v.get(first.len()..).unwrap_or("");
    let bare = !rest.contains([',', '\n']) && !rest.bytes().any(|b| b.is_ascii_digit());
    if first.len() == 4
        && (first.starts_with("19") || first.starts_with("20"))
        && BEFORE_YEAR.contains(&prev_word(text, s))
    {
        return false;
    }
    if bare {
        let w = next_word(text, e);
        if w.starts_with(|ch: char| ch.is_lowercase()) && !AFTER_BARE.contains(&w) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{check, check_none, found};

    #[test]
    fn us_street_lines() {
        for (t, want) in [
            (
                "ship to 1600 Maple Street, Springfield, IL 62704",
                "1600 Maple Street, Springfield, IL 62704",
            ),
            (
                "1600 Maple Ave, Apt 4B, Springfield, IL 62704 (home)",
                "1600 Maple Ave, Apt 4B, Springfield, IL 62704",
            ),
            (
                "Mailing address: 7769 Cedar Hill Street, Riverton, WY 82501.",
                "7769 Cedar Hill Street, Riverton, WY 82501",
            ),
            (
                "HQ: 350 Fifth Avenue, Suite 200, New York, NY 10118-0110",
                "350 Fifth Avenue, Suite 200, New York, NY 10118-0110",
            ),
            ("at 742 Evergreen Terrace today", "742 Evergreen Terrace"),
            (
                "Office: 12 N Main St, Salt Lake City, UT 84101",
                "12 N Main St, Salt Lake City, UT 84101",
            ),
            (
                "Send to 401 W 34th St #12, New York, NY 10001",
                "401 W 34th St #12, New York, NY 10001",
            ),
            (
                "1200 Pennsylvania Avenue SE, Washington, DC 20003",
                "1200 Pennsylvania Avenue SE, Washington, DC 20003",
            ),
            (
                "Meet at 88 Ocean Blvd, Unit 5 tomorrow",
                "88 Ocean Blvd, Unit 5",
            ),
            ("We moved to 9 Juniper Court in May.", "9 Juniper Court"),
            (
                "2400 Lakeshore Drive Floor 3, Chicago, IL 60614",
                "2400 Lakeshore Drive Floor 3, Chicago, IL 60614",
            ),
            (
                "Billing: 55 Harbor Way, Portland, Oregon 97201",
                "55 Harbor Way, Portland, Oregon 97201",
            ),
            (
                "at 1 Infinite Loop, Cupertino, CA 95014.",
                "1 Infinite Loop, Cupertino, CA 95014",
            ),
            (
                "address 100 Country Club Road, Austin, TX",
                "100 Country Club Road, Austin, TX",
            ),
        ] {
            check(t, want);
        }
    }

    #[test]
    fn us_blocks_and_boxes() {
        check(
            "Ship to:\nJane Roe\n1600 Maple Ave\nSpringfield, IL 62704\nUSA",
            "1600 Maple Ave\nSpringfield, IL 62704",
        );
        check(
            "Remit to PO Box 4410, Tulsa, OK 74159.",
            "PO Box 4410, Tulsa, OK 74159",
        );
        check(
            "P.O. Box 12, Austin, TX 78701",
            "P.O. Box 12, Austin, TX 78701",
        );
    }

    #[test]
    fn uk() {
        for (t, want) in [
            (
                "221B Baker Street, London NW1 6XE",
                "221B Baker Street, London NW1 6XE",
            ),
            (
                "Flat 2, 10 Downing Street, London SW1A 2AA.",
                "Flat 2, 10 Downing Street, London SW1A 2AA",
            ),
            (
                "Write to 14 Abbey Road, London NW8 9AY please",
                "14 Abbey Road, London NW8 9AY",
            ),
            ("3 Kings Mews, Bath BA1 2QH", "3 Kings Mews, Bath BA1 2QH"),
            (
                "18 Park Crescent, Leeds, West Yorkshire LS8 1DH",
                "18 Park Crescent, Leeds, West Yorkshire LS8 1DH",
            ),
            ("27 Willow Gardens, M14 5RJ", "27 Willow Gardens, M14 5RJ"),
            (
                "at 5 Orchard Close, Oxford OX2 6QT on Monday",
                "5 Orchard Close, Oxford OX2 6QT",
            ),
        ] {
            check(t, want);
        }
        check(
            "Address:\n221B Baker Street\nLondon\nNW1 6XE\nUnited Kingdom",
            "221B Baker Street\nLondon\nNW1 6XE",
        );
    }

    #[test]
    fn negatives() {
        for t in [
            "Wall Street reacted to the 3 Street Fighter games.",
            "We sold 12 Drive units.",
            "Order 5 Place settings",
            "Since 2010 Main Street shops have closed.",
            "build 4.2 Park Lane edition",
            "The 10 Best Way to cook",
            "Version 3 Drive",
        ] {
            check_none(t);
        }
        assert!(found("Call 555-0100 about 3 Elm Street plans").is_empty());
    }

    #[test]
    fn leading_unit_and_building_lines() {
        check(
            "Deliver to:\nFlat 7\nHarbour View\n14 Quay Street\nBristol\nBS1 4QA\nThanks",
            "Flat 7\nHarbour View\n14 Quay Street\nBristol\nBS1 4QA",
        );
        check(
            "Unit 2, Mill House, 40 Station Road, Leeds LS1 4DY.",
            "Unit 2, Mill House, 40 Station Road, Leeds LS1 4DY",
        );
        check(
            "Suite 300\n500 Pine Street\nSeattle, WA 98101",
            "Suite 300\n500 Pine Street\nSeattle, WA 98101",
        );
    }
}
