//! German, Austrian and Swiss addresses: a street (`Hauptstraße`, `Hauptstr.`, `Karl-Marx-Allee`,
//! `Berliner Straße`, `Am Markt`, `Unter den Linden`) and a house number (`12`, `12a`, `12-14`,
//! `12/3`), optional unit words (`Wohnung 3`, `Top 5`, `3. OG`), then optionally a 4- or
//! 5-digit postcode and the town after a comma or on the next line.

use super::shape::{cap, LO, SEP, UP};

/// Street-name endings written together with the name (`Lindenstraße`, `Feldweg`).
const GLUED: &str =
    "straße|strasse|str\\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|pfad|promenade|graben|stieg";
/// Street types written as their own word (`Berliner Straße`, `Karl-Marx-Allee`).
const WORD: &str = "Straße|Strasse|Str\\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee|Steig|Pfad|Promenade|Graben|Kai|Markt";
/// Prepositional street names (`Am Markt 3`, `An der Alster 1`).
const PREP: &str = "Am|An der|An den|Auf dem|Auf der|Im|In der|In den|Zum|Zur|Unter den|Hinter der|Vor dem|Beim|Alte|Alter|Neue|Neuer";

pub(super) fn pattern() -> String {
    let name = format!("[{UP}][{LO}]+(?:-[{UP}][{LO}]+)*");
    let adj = "(?:(?:Groß|Klein|Alt|Neu|Ober|Unter|Lang|Hoh|Hinter|Mittler)e[rns]?[ ])?";
    let street = format!(
        "(?:{adj}{name}(?:{GLUED})|{name}[ -](?:{WORD})|(?:{PREP})[ ]+(?:(?:alten|neuen|hohen|langen|grünen|kleinen|großen|oberen|unteren|roten|weißen)[ ]+)?{c}(?:[ -]{c})?|{c}[ ]+(?:{WORD}))",
        c = cap()
    );
    let num = "[0-9]{1,4}[a-z]?(?:[ ]?[-/][ ]?[0-9]{1,4}[a-z]?)?(?-u:\\b)";
    // Units after the number, on the same line or their own (`Whg. 12`, `Aufgang B`,
    // `3. OG links`).
    let unit = format!(
        "(?:(?:{SEP}|[ ]+)(?:(?:Wohnung|Whg\\.|Top|Stiege|Tür|App\\.|Apt\\.|Aufgang)[ ]*[0-9A-Z]{{1,4}}[a-z]?|[0-9]{{1,2}}\\.[ ]?(?:OG|Stock|Etage|Obergeschoss)(?:[ ](?:links|rechts|Mitte))?))"
    );
    let town = format!(
        "{name}(?:[ ](?:am|an der|im|in|bei|ob der|vor der|auf der)[ ]{c})?(?:[ ]\\([{UP}][{LO}]+\\))?",
        c = cap()
    );
    let postcode = "(?:(?:D|A|CH)-)?[0-9]{4,5}";
    let po_box =
        format!("Postfach[ ]+[0-9]{{1,6}}(?:[ ][0-9]{{2,3}}){{0,3}}{SEP}{postcode}[ ]+{town}");
    format!("{street}[ ]+{num}{unit}{{0,2}}(?:{SEP}{postcode}[ ]+{town})?|{po_box}")
}

/// Common nouns ending in `platz` (`Parkplatz 12`, `Arbeitsplatz 3`), not streets without a
/// postcode and town.
const COMMON_PLATZ: &[&str] = &[
    "Park", "Arbeits", "Stell", "Sitz", "Spiel", "Tabellen", "Start", "Steh", "Stand", "Lager",
    "Sport", "Zelt", "Camping", "Bau", "Abstell", "Lade", "Liege",
];

/// Context checks on the trimmed value: a street ending in `ring` (also the end of English
/// words: `String`, `Spring`, `During`) needs the postcode and town, as does a common noun in `COMMON_PLATZ`.
pub(super) fn plausible(v: &str) -> bool {
    let first = v.split([' ', '-']).next().unwrap_or("");
    let has_postcode = v
        .split(|ch: char| !ch.is_ascii_digit())
        .filter(|d| !d.is_empty())
        .skip(1)
        .any(|d| d.len() == 4 || d.len() == 5);
    let common = COMMON_PLATZ
        .iter()
        .any(|stem| first.strip_suffix("platz") == Some(*stem));
    has_postcode || !(first.ends_with("ring") || common)
}

#[cfg(test)]
mod tests {
    use super::super::{check, check_none};

    #[test]
    fn streets() {
        for (t, want) in [
            (
                "Musterstraße 12, 10115 Berlin",
                "Musterstraße 12, 10115 Berlin",
            ),
            (
                "Adresse: Lindenstraße 14, 10115 Berlin.",
                "Lindenstraße 14, 10115 Berlin",
            ),
            (
                "Hauptstraße 12a, 10115 Berlin",
                "Hauptstraße 12a, 10115 Berlin",
            ),
            ("Am Markt 3, 04109 Leipzig", "Am Markt 3, 04109 Leipzig"),
            ("Wir sind in der Hauptstr. 5 zu finden.", "Hauptstr. 5"),
            (
                "Karl-Marx-Allee 90-92, 10243 Berlin",
                "Karl-Marx-Allee 90-92, 10243 Berlin",
            ),
            (
                "Berliner Straße 7, 60311 Frankfurt am Main",
                "Berliner Straße 7, 60311 Frankfurt am Main",
            ),
            (
                "Unter den Linden 77, 10117 Berlin",
                "Unter den Linden 77, 10117 Berlin",
            ),
            (
                "Kurfürstendamm 21, Wohnung 3, 10719 Berlin",
                "Kurfürstendamm 21, Wohnung 3, 10719 Berlin",
            ),
            (
                "Mariahilfer Straße 45/2, Top 5, 1060 Wien",
                "Mariahilfer Straße 45/2, Top 5, 1060 Wien",
            ),
            (
                "Bahnhofstrasse 1, 8001 Zürich",
                "Bahnhofstrasse 1, 8001 Zürich",
            ),
            ("Feldweg 3 liegt am Ortsrand", "Feldweg 3"),
            (
                "Kaiserring 10, 68161 Mannheim",
                "Kaiserring 10, 68161 Mannheim",
            ),
            (
                "Goethestraße 8, 3. OG, 80336 München",
                "Goethestraße 8, 3. OG, 80336 München",
            ),
            (
                "Am Rathausplatz 2, D-79098 Freiburg im Breisgau",
                "Am Rathausplatz 2, D-79098 Freiburg im Breisgau",
            ),
            (
                "Große Ulrichstraße 51, 06108 Halle (Saale)",
                "Große Ulrichstraße 51, 06108 Halle (Saale)",
            ),
        ] {
            check(t, want);
        }
        check(
            "Anschrift:\nFrau Anna Schmidt\nLindenstraße 14\n10115 Berlin\nDeutschland",
            "Lindenstraße 14\n10115 Berlin",
        );
    }

    #[test]
    fn negatives() {
        for t in [
            "10115 Berlin",
            "Die String 3 Methode",
            "During 2020 we grew",
            "Spring 2024 collection",
            "Seite 12 und Kapitel 3",
        ] {
            check_none(t);
        }
    }

    #[test]
    fn units_po_boxes_and_prepositions() {
        check(
            "Lieferung an Kastanienweg 8\n2. OG rechts\n80331 München bitte",
            "Kastanienweg 8\n2. OG rechts\n80331 München",
        );
        check(
            "Birkenstieg 4, Aufgang C, 24103 Kiel",
            "Birkenstieg 4, Aufgang C, 24103 Kiel",
        );
        check(
            "Postfach 10 20 30, 50667 Köln.",
            "Postfach 10 20 30, 50667 Köln",
        );
        check(
            "Zur alten Mühle 5, 34117 Kassel",
            "Zur alten Mühle 5, 34117 Kassel",
        );
        check_none("Der Bahnsteig 4 ist gesperrt.");
    }
}
