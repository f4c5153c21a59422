//! Spanish addresses: a street type (`Calle`, `C/`, `Avda.`, `Plaza`, `Paseo`, ...) and name,
//! the number (`5`, `, 42`, `nº 42`, `s/n`), floor and door (`3º B`, `2º izq.`, `bajo`,
//! `puerta 4`), then optionally `28013 Madrid` after a comma, a space or on the next line.

use super::shape::{cap, SEP};

const TYPE: &str = "Calle|calle|C/|c/|Cl\\.|Avenida|avenida|Avda\\.|avda\\.|Av\\.|av\\.|Avd\\.|Plaza|plaza|Pza\\.|Pl\\.|Paseo|paseo|Pº|Camino|camino|Carretera|carretera|Ctra\\.|Ronda|ronda|Travesía|travesía|Trav\\.|Glorieta|glorieta|Callejón|Rambla|Vía|Cuesta|Urbanización|Urb\\.|Passeig|Carrer|Rúa";

/// Words that may follow a street without postcode whose type is capitalised.
pub(super) const AFTER_BARE: &[&str] = &[
    "y", "o", "en", "de", "del", "a", "al", "con", "es", "está", "que", "para", "por", "desde",
    "hasta", "cerca", "junto", "pero", "entre", "frente",
];

pub(super) fn pattern() -> String {
    let part = "(?:(?:de|del|la|el|los|las|y|San|Santa)[ ]+)";
    let name = format!("[ ]*{part}*{c}(?:[ ]+{part}*{c}){{0,4}}", c = cap());
    let num = "(?:,[ ]*|[ ]+)(?:(?:nº|n\\.º|n°|núm\\.|num\\.|no\\.|número)[ ]*)?(?:[0-9]{1,4}(?:[ ]?[A-Za-z](?-u:\\b))?|s/n)";
    let floor = "(?:(?:,?[ ]+|,[ ]*)(?:[0-9]{1,2}[ºª°](?:[ ]?(?:[A-Z]|[0-9]{1,2}[ºª]?|izq\\.?|izqda\\.?|izda\\.?|dcha\\.?|der\\.?|dch\\.?)(?-u:\\b)\\.?)?|bajo|Bajo|entresuelo|ático|Ático|(?:planta|piso|puerta|Planta|Piso|Puerta|esc\\.|Esc\\.)[ ]?[0-9A-Z]{1,3}))";
    let town = format!(
        "(?:(?:San|Santa|Santo|Las|Los|La|El|Sant)[ ])?{c}(?:(?:[ ]de[ ]|[ ]del[ ]|[ ]de la[ ]|-){c}){{0,2}}(?:[ ]?\\({c}\\))?",
        c = cap()
    );
    format!(
        "(?:Gran Vía|(?:{TYPE}){name}){num}{floor}{{0,2}}(?:(?:{SEP}|[ ]+)[0-9]{{5}}[ ]+{town})?"
    )
}

#[cfg(test)]
mod tests {
    use super::super::{check, check_none};

    #[test]
    fn streets() {
        for (t, want) in [
            (
                "Calle Mayor 5, 3º B, 28013 Madrid",
                "Calle Mayor 5, 3º B, 28013 Madrid",
            ),
            (
                "C/ de Alcalá, 42, 28014 Madrid",
                "C/ de Alcalá, 42, 28014 Madrid",
            ),
            (
                "Vivo en Avda. de la Constitución 10.",
                "Avda. de la Constitución 10",
            ),
            (
                "Dirección: Calle de Serrano nº 41, 2º izq., 28001 Madrid",
                "Calle de Serrano nº 41, 2º izq., 28001 Madrid",
            ),
            (
                "Plaza Mayor 1, bajo, 37002 Salamanca",
                "Plaza Mayor 1, bajo, 37002 Salamanca",
            ),
            (
                "Paseo de Gracia 92, 08008 Barcelona",
                "Paseo de Gracia 92, 08008 Barcelona",
            ),
            (
                "Avenida de la Libertad 12 28080 Madrid",
                "Avenida de la Libertad 12 28080 Madrid",
            ),
            (
                "calle Real 3, 1º A, 29001 Málaga (Málaga)",
                "calle Real 3, 1º A, 29001 Málaga (Málaga)",
            ),
            ("Gran Vía 28, 28013 Madrid", "Gran Vía 28, 28013 Madrid"),
            (
                "Carretera de Valencia 7, 46001 Valencia",
                "Carretera de Valencia 7, 46001 Valencia",
            ),
            (
                "Calle San Bernardo 20, 4º dcha., 28015 Madrid",
                "Calle San Bernardo 20, 4º dcha., 28015 Madrid",
            ),
        ] {
            check(t, want);
        }
        check(
            "Enviar a:\nSra. Lucía García\nCalle Mayor 5, 3º B\n28013 Madrid\nEspaña",
            "Calle Mayor 5, 3º B\n28013 Madrid",
        );
    }

    #[test]
    fn negatives() {
        for t in ["28013 Madrid", "La calle 5 veces", "en la plaza 3 niños"] {
            check_none(t);
        }
    }
}
