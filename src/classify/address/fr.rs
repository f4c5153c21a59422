//! French addresses: `12 bis rue de la Paix`, `8, avenue du Général de Gaulle`, `bât. C`, then
//! optionally `BP 123` / `CS 3001` and `75002 Paris` (`Cedex 03`) after a comma, a space or on
//! the next line; a bare `BP 123, 69003 Lyon Cedex` too.

use super::shape::{cap, SEP, UP};

const TYPE: &str = "rue|avenue|av\\.|ave|boulevard|bd|bld|place|pl\\.|allée|allee|chemin|ch\\.|impasse|imp\\.|quai|route|rte|cours|square|passage|sentier|voie|parvis|faubourg|fbg|esplanade|montée|cité|résidence|hameau|promenade|rond-point|villa|mail";

/// Words that may follow a street without postcode whose type is capitalised.
pub(super) const AFTER_BARE: &[&str] = &[
    "à", "au", "aux", "depuis", "dans", "et", "ou", "près", "en", "chez", "pour", "est", "sont",
    "a", "le", "la", "les", "de", "du", "des", "sur", "avec", "puis", "mais",
];

pub(super) fn pattern() -> String {
    let num = "[0-9]{1,4}(?:[ ]?(?:bis|ter|quater|[A-D]))?(?-u:\\b)";
    let part = "(?:(?:de|du|des|la|le|les|aux|au|et|à|sur|en|sous)[ ]+|(?:d|l)['’])";
    let up = format!("(?:{c}|[{UP}]{{2,}})", c = cap());
    let name = format!("[ ]+{part}*{up}(?:(?:[ ]+|-){part}*{up}){{0,4}}");
    let unit = "(?:,?[ ]+(?:bât\\.|bâtiment|Bât\\.|Bâtiment|esc\\.|escalier|étage|appt\\.?|appartement)[ ]*[0-9A-Z]{1,4})";
    let town = format!(
        "(?:{c}|[{UP}]{{2,}})(?:-(?:{c}|[{UP}]{{2,}}|en|sur|le|la|les|de|du|des|lès|sous))*",
        c = cap()
    );
    let bp = "(?:BP|B\\.P\\.|CS|TSA)[ ]?[0-9]{1,6}";
    let city = format!("[0-9]{{5}}[ ]+{town}(?:[ ]+(?:Cedex|CEDEX)(?:[ ]+[0-9]{{1,2}})?)?");
    let tail = format!("(?:{SEP}|[ ]+)(?:{bp}(?:{SEP}|[ ]+))?{city}");
    // Leading complements, on their own line or before a comma (`3e étage`, `porte 7`, `Appt 12`,
    // `Bâtiment B, escalier 2`, `Résidence Les Tilleuls`).
    let lead = format!(
        "(?:(?:[0-9]{{1,2}}(?:e|er|ème)[ ]+étage|(?i:porte|appt\\.?|appartement|bâtiment|bât\\.|escalier|esc\\.)[ ]+[0-9A-Z]{{1,4}}|Résidence(?:[ ]+{up}){{1,3}})(?:,[ ]+|\\n)){{0,3}}"
    );
    let street = format!("{lead}{num},?[ ]+(?i:{TYPE}){name}{unit}{{0,2}}(?:{tail})?");
    format!("{street}|{bp}(?:{SEP}|[ ]+){city}")
}

#[cfg(test)]
mod tests {
    use super::super::{check, check_none};

    #[test]
    fn streets() {
        for (t, want) in [
            (
                "12 bis rue de la Paix, 75002 Paris",
                "12 bis rue de la Paix, 75002 Paris",
            ),
            (
                "Adresse : 8, avenue du Général de Gaulle, 94300 Vincennes.",
                "8, avenue du Général de Gaulle, 94300 Vincennes",
            ),
            ("BP 123, 69003 Lyon Cedex", "BP 123, 69003 Lyon Cedex"),
            (
                "5 boulevard Haussmann 75009 Paris",
                "5 boulevard Haussmann 75009 Paris",
            ),
            (
                "3 place de l'Église, 13100 Aix-en-Provence",
                "3 place de l'Église, 13100 Aix-en-Provence",
            ),
            (
                "140 rue Saint-Honoré, bât. C, 75001 Paris",
                "140 rue Saint-Honoré, bât. C, 75001 Paris",
            ),
            ("7 impasse des Lilas", "7 impasse des Lilas"),
            (
                "22 Rue des Écoles, 75005 PARIS CEDEX 05",
                "22 Rue des Écoles, 75005 PARIS CEDEX 05",
            ),
            (
                "15 quai Voltaire, BP 40, 69002 Lyon",
                "15 quai Voltaire, BP 40, 69002 Lyon",
            ),
            (
                "18 ter chemin du Moulin, 31000 Toulouse",
                "18 ter chemin du Moulin, 31000 Toulouse",
            ),
        ] {
            check(t, want);
        }
        check(
            "Envoyer à :\nM. Jean Dupont\n12 rue de la Paix\n75002 Paris\nFrance",
            "12 rue de la Paix\n75002 Paris",
        );
    }

    #[test]
    fn negatives() {
        for t in [
            "75002 Paris",
            "Il y a 3 rues dans le village",
            "les Champs-Élysées",
            "2 places libres",
        ] {
            check_none(t);
        }
    }

    #[test]
    fn leading_complements() {
        check(
            "Livraison : 2e étage\n8 rue Victor Hugo\n69002 Lyon",
            "2e étage\n8 rue Victor Hugo\n69002 Lyon",
        );
        check(
            "Bâtiment C, escalier 1, 4 avenue Jean Jaurès, 13001 Marseille.",
            "Bâtiment C, escalier 1, 4 avenue Jean Jaurès, 13001 Marseille",
        );
        check(
            "Résidence Le Parc, 17 rue Nationale, 37000 Tours",
            "Résidence Le Parc, 17 rue Nationale, 37000 Tours",
        );
    }
}
