//! Validators for the number-shaped classes: payment cards (Luhn), US SSNs (SSA rules), US NPIs
//! (Luhn with the 80840 prefix, context required), phone numbers (E.164 and US/UK/DE/FR/ES/IN
//! national groupings), IPv4/IPv6 addresses and IBANs (per-country length, mod-97).
//!
//! A numeric candidate is a run of digit groups joined by up to three separator chars (cards
//! accept any mix of space, `-`, `.`, `/`; a card glued to letters is accepted with its issuer
//! prefix checked, see `glued_ok`); the analyzer tries
//! contiguous sub-runs of at most [`MAX_GROUPS`] groups, longest first, so the cost stays linear
//! and an order number next to a phone number does not hide it.

use std::net::Ipv6Addr;

use super::cand::Cand;
use super::types::{Class, Finding};
use super::validate::{byte_at, byte_before, iban_mod97, ipv4_ok, luhn, slice};

const MAX_GROUPS: usize = 8;

fn push(out: &mut Vec<Finding>, class: &'static str, detector: &'static str, s: usize, e: usize) {
    out.push(Finding {
        class: Class::Builtin(class),
        start: s,
        end: e,
        detector,
        test_value: false,
    });
}

/// (country, IBAN length) per the SWIFT IBAN registry.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// Confirm an IBAN candidate; returns where the scan resumes. A rejected candidate is consumed
/// whole: the digit groups of an invalid IBAN are not cards or phones.
pub(crate) fn iban(c: &Cand<'_>, out: &mut Vec<Finding>) -> usize {
    let rejected = c.end;
    let cand = slice(c.text, c.start, c.end);
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(cc, _)| cand.starts_with(cc)) else {
        return rejected;
    };
    if byte_before(c.text, c.start).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return rejected;
    }
    // Take exactly `len` alphanumerics; the cut must fall on a group boundary.
    let mut compact = Vec::with_capacity(len);
    let mut end = c.start;
    for (i, b) in cand.bytes().enumerate() {
        if compact.len() == len {
            break;
        }
        if !matches!(b, b' ' | b'.' | b'-') {
            compact.push(b);
        }
        end = c.start + i + 1;
    }
    let cut_ok = !byte_at(c.text, end).is_some_and(|b| b.is_ascii_alphanumeric());
    if compact.len() == len && cut_ok && iban_mod97(&compact) {
        push(out, "financial.iban", c.id, c.start, end);
        return c.end;
    }
    rejected
}

pub(crate) fn ipv6(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let s = slice(c.text, c.start, c.end);
    let groups = s.split(':').filter(|g| !g.is_empty()).count();
    let bound = |b: u8| b.is_ascii_alphanumeric() || b == b':' || b == b'.';
    let ok = s
        .parse::<Ipv6Addr>()
        .is_ok_and(|a| !a.is_unspecified() && !a.is_loopback())
        && groups >= 3
        && s.bytes().any(|b| b.is_ascii_digit())
        && !byte_before(c.text, c.start).is_some_and(bound)
        && !byte_at(c.text, c.end).is_some_and(|b| b.is_ascii_alphanumeric() || b == b':');
    if ok {
        push(out, "pii.ip_address", c.id, c.start, c.end);
    }
}

/// A digit group inside a numeric candidate: its span and the separator text before it.
#[derive(Clone, Copy)]
struct Group {
    s: usize,
    e: usize,
    sep_s: usize,
}

fn lower_context(text: &str, s: usize, n: usize) -> String {
    let from = super::validate::floor_char_boundary(text, s.saturating_sub(n));
    slice(text, from, s).to_lowercase()
}

pub(crate) fn numeric(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let bytes = c.text.as_bytes();
    // Fast path: every class here needs 7+ digits, except dotted IPv4 addresses.
    let span = bytes.get(c.start..c.end).unwrap_or(&[]);
    if span.iter().filter(|b| b.is_ascii_digit()).count() < 7 && !span.contains(&b'.') {
        return;
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut i = c.start;
    let mut sep_s = c.start;
    while i < c.end {
        if bytes.get(i).is_some_and(u8::is_ascii_digit) {
            let s = i;
            while i < c.end && bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            groups.push(Group { s, e: i, sep_s });
            sep_s = i;
        } else {
            i += 1;
        }
    }
    let lead_plus = byte_at(c.text, c.start) == Some(b'+');
    let mut gi = 0;
    while gi < groups.len() {
        let max_j = groups.len().min(gi + MAX_GROUPS);
        let mut matched = None;
        for j in (gi + 1..=max_j).rev() {
            if let Some(hit) = analyze(c, &groups, gi, j, lead_plus && gi == 0) {
                matched = Some((j, hit));
                break;
            }
        }
        match matched {
            Some((j, (class, s, e))) => {
                push(out, class, detector_for(class), s, e);
                gi = j;
            }
            None => gi += 1,
        }
    }
}

fn detector_for(class: &str) -> &'static str {
    match class {
        "financial.credit_card" => "credit_card",
        "pii.us_ssn" => "us_ssn",
        "health.us_npi" => "us_npi",
        "pii.ip_address" => "ipv4",
        _ => "phone",
    }
}

/// Try groups `gi..j` as one value; returns (class, start, end).
fn analyze(
    c: &Cand<'_>,
    groups: &[Group],
    gi: usize,
    j: usize,
    plus: bool,
) -> Option<(&'static str, usize, usize)> {
    let text = c.text;
    let g = groups.get(gi..j)?;
    let first = g.first()?;
    let last = g.last()?;
    let mut start = first.s;
    if gi == 0 && c.start < first.s {
        start = c.start; // leading '+' or '('
    }
    let end = last.e;
    // Outer boundaries: not glued to more digits via '-' or '.'; glued to letters only a card
    // (or a bare SSN after its context word) with stricter checks (`glued_ok`).
    let prev = byte_before(text, start);
    let prev2 = byte_before(text, start.saturating_sub(1));
    if prev.is_some_and(|b| b.is_ascii_digit())
        || (matches!(prev, Some(b'-' | b'.' | b'/' | b','))
            && prev2.is_some_and(|b| b.is_ascii_alphanumeric()))
    {
        return None;
    }
    let next = byte_at(text, end);
    let next2 = byte_at(text, end + 1);
    if next.is_some_and(|b| b.is_ascii_digit())
        || (matches!(next, Some(b'-' | b'.' | b'/' | b','))
            && next2.is_some_and(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let letter = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    let glued = letter(prev) || letter(next);
    let seps: Vec<&str> = g
        .iter()
        .skip(1)
        .map(|x| slice(text, x.sep_s, x.s))
        .collect();
    let lens: Vec<usize> = g.iter().map(|x| x.e - x.s).collect();
    let digits: Vec<u8> = g
        .iter()
        .flat_map(|x| slice(text, x.s, x.e).bytes())
        .collect();
    let span = slice(text, start, end);
    let same_sep = |set: &[&str]| {
        seps.windows(2).all(|w| w[0] == w[1]) && seps.iter().all(|s| set.contains(s))
    };

    if glued {
        return glued_ok(c, start, end, &digits, &lens, &seps, plus, &same_sep);
    }
    if !plus && lens.len() == 4 && seps.iter().all(|s| *s == ".") && ipv4_ok(span) {
        let ctx = lower_context(text, start, 12);
        if !ctx.contains("version") && !ctx.ends_with('v') && !ctx.contains("ver ") {
            return Some(("pii.ip_address", start, end));
        }
        return None;
    }
    if !plus && card_ok(&digits, &lens, &seps) {
        return Some(("financial.credit_card", start, end));
    }
    if !plus && ssn_ok(text, start, &digits, &lens, &same_sep) {
        return Some(("pii.us_ssn", start, end));
    }
    if !plus && lens == [10] && npi_ok(&digits) && npi_context(text, start) {
        return Some(("health.us_npi", start, end));
    }
    if phone_ok(span, &digits, &lens, &seps, plus, &same_sep) {
        return Some(("pii.phone", start, end));
    }
    None
}

/// A value glued to letters (`card4539148803436467x`): only a card with a known issuer prefix
/// inside a short token, or a bare SSN right after its context word.
#[allow(clippy::too_many_arguments)]
fn glued_ok(
    c: &Cand<'_>,
    start: usize,
    end: usize,
    digits: &[u8],
    lens: &[usize],
    seps: &[&str],
    plus: bool,
    same_sep: &dyn Fn(&[&str]) -> bool,
) -> Option<(&'static str, usize, usize)> {
    if plus {
        return None;
    }
    // Digits inside a long token (a hash, base64) are not a card.
    let bytes = c.text.as_bytes();
    let word = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_alphanumeric);
    let mut s = start;
    while s > 0 && word(s - 1) && end - s < 64 {
        s -= 1;
    }
    let mut e = end;
    while word(e) && e - s < 64 {
        e += 1;
    }
    if e - s <= 48 && card_ok(digits, lens, seps) && issuer_ok(digits) {
        return Some(("financial.credit_card", start, end));
    }
    if lens == [9] && ssn_ok(c.text, start, digits, lens, same_sep) {
        return Some(("pii.us_ssn", start, end));
    }
    None
}

/// The issuer prefix and length of the major card networks (Visa, Mastercard, Amex, Discover,
/// JCB, Diners, UnionPay).
fn issuer_ok(d: &[u8]) -> bool {
    let n = d.len();
    let p = |k: usize| {
        d.get(..k)
            .and_then(|x| std::str::from_utf8(x).ok())
            .and_then(|x| x.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match d.first() {
        Some(b'4') => matches!(n, 13 | 16 | 19),
        Some(b'5') => (51..=55).contains(&p(2)) && n == 16,
        Some(b'2') => (2221..=2720).contains(&p(4)) && n == 16,
        Some(b'3') => {
            (matches!(p(2), 34 | 37) && n == 15)
                || ((3528..=3589).contains(&p(4)) && n >= 16)
                || ((matches!(p(2), 36 | 38 | 39) || (300..=305).contains(&p(3))) && n >= 14)
        }
        Some(b'6') => {
            (p(4) == 6011 || matches!(p(2), 62 | 65) || (644..=649).contains(&p(3))) && n >= 16
        }
        _ => false,
    }
}

/// Separators a card number may be grouped with: up to three of space, `-`, `.`, `/`
/// (mixed and doubled separators included).
fn card_sep(s: &str) -> bool {
    (1..=3).contains(&s.len()) && s.bytes().all(|b| matches!(b, b' ' | b'-' | b'.' | b'/'))
}

fn card_ok(digits: &[u8], lens: &[usize], seps: &[&str]) -> bool {
    let n = digits.len();
    if !(13..=19).contains(&n) || !matches!(digits.first(), Some(b'2'..=b'6')) {
        return false;
    }
    // Dots and slashes also group versions and dates: only the full card shapes with them.
    let dotted = seps.iter().any(|s| s.contains(['.', '/']));
    let shape = matches!(lens, [_]) && seps.is_empty()
        || (seps.iter().all(|s| card_sep(s))
            && (matches!(lens, [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4])
                || (!dotted && matches!(lens, [4, 4, 4, 1..=4]))));
    let all_same = digits.iter().all(|&d| Some(&d) == digits.first());
    shape && !all_same && luhn(digits)
}

fn ssn_ok(
    text: &str,
    start: usize,
    digits: &[u8],
    lens: &[usize],
    same_sep: &dyn Fn(&[&str]) -> bool,
) -> bool {
    let shaped = lens == [3, 2, 4] && same_sep(&["-", " ", "."]);
    let bare = lens == [9] && {
        let ctx = lower_context(text, start, 32);
        ctx.contains("ssn") || ctx.contains("social security")
    };
    if !(shaped || bare) || digits.len() != 9 {
        return false;
    }
    let num = |a: usize, b: usize| {
        digits
            .get(a..b)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (area, group, serial) = (num(0, 3), num(3, 5), num(5, 9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// How far back an NPI's context word may be. Stays within the stream scanner's re-scanned
/// context (`stream::CONTEXT`), so streamed and whole-text results agree.
const NPI_CONTEXT: usize = 64;

/// An NPI needs its name close before it: `NPI`, `NPI #`, `Billing NPI:`, `Rendering provider
/// NPI`, `National Provider Identifier`, a table row `| NPI | …`, or the X12 `XX` qualifier
/// (`NM1*82*1*DOE*JANE****XX*1234567893~`, NM108 = XX means "Centers for Medicare and Medicaid
/// Services National Provider Identifier").
fn npi_context(text: &str, start: usize) -> bool {
    let ctx = lower_context(text, start, NPI_CONTEXT);
    let word = ctx.match_indices("npi").any(|(i, _)| {
        let b = ctx.as_bytes();
        !i.checked_sub(1)
            .and_then(|j| b.get(j))
            .is_some_and(u8::is_ascii_alphabetic)
            && !b
                .get(i + 3)
                .is_some_and(|&c| c.is_ascii_alphabetic() && c != b's')
    });
    word || ctx.contains("national provider") || ctx.ends_with("*xx*")
}

/// NPI: 10 digits starting 1 or 2, Luhn over "80840" + the number.
pub(crate) fn npi_ok(digits: &[u8]) -> bool {
    if digits.len() != 10 || !matches!(digits.first(), Some(b'1' | b'2')) {
        return false;
    }
    let mut full = b"80840".to_vec();
    full.extend_from_slice(digits);
    luhn(&full)
}

fn nanp_ok(d: &[u8]) -> bool {
    d.len() == 10 && matches!(d.first(), Some(b'2'..=b'9')) && matches!(d.get(3), Some(b'2'..=b'9'))
}

fn phone_ok(
    span: &str,
    digits: &[u8],
    lens: &[usize],
    seps: &[&str],
    plus: bool,
    same_sep: &dyn Fn(&[&str]) -> bool,
) -> bool {
    let n = digits.len();
    let seps_ok = seps
        .iter()
        .all(|s| matches!(*s, " " | "-" | "." | "/" | ") " | ")" | " (" | "(" | ")-"));
    if !seps_ok {
        return false;
    }
    if plus {
        if !(8..=15).contains(&n) || digits.first() == Some(&b'0') {
            return false;
        }
        if digits.first() == Some(&b'1') {
            return n == 11 && nanp_ok(digits.get(1..).unwrap_or(&[]));
        }
        return lens.len() >= 2 || n >= 10;
    }
    let paren = span.starts_with('(');
    let first = digits.first().copied().unwrap_or(b'0');
    // US / NANP
    if (paren
        && lens == [3, 3, 4]
        && matches!(seps.first(), Some(&") " | &")"))
        && seps.get(1) == Some(&"-"))
        || (!paren && lens == [3, 3, 4] && same_sep(&["-", ".", " "]))
    {
        return nanp_ok(digits);
    }
    if !paren && lens == [1, 3, 3, 4] && first == b'1' && same_sep(&["-", ".", " "]) {
        return nanp_ok(digits.get(1..).unwrap_or(&[]));
    }
    if paren {
        return false;
    }
    let spaces = same_sep(&[" "]);
    // UK: 11 digits starting 0
    if first == b'0'
        && n == 11
        && spaces
        && matches!(lens, [3, 4, 4] | [4, 3, 4] | [5, 6] | [5, 3, 3])
    {
        return digits.get(1) != Some(&b'0');
    }
    // FR: 0X XX XX XX XX
    if first == b'0' && n == 10 && lens == [2, 2, 2, 2, 2] && same_sep(&[" ", "."]) {
        return digits.get(1) != Some(&b'0');
    }
    // DE: area code 0xx..0xxxxx then subscriber number
    if first == b'0'
        && (10..=12).contains(&n)
        && digits.get(1) != Some(&b'0')
        && same_sep(&[" ", "/", "-"])
        && matches!(lens, [3..=5, 4..=9] | [3..=5, 3..=4, 3..=5])
    {
        return true;
    }
    // ES: 9 digits starting 6-9
    if n == 9
        && matches!(first, b'6'..=b'9')
        && spaces
        && matches!(lens, [3, 3, 3] | [3, 2, 2, 2] | [2, 3, 2, 2])
    {
        return true;
    }
    // IN: 10 digits starting 6-9, 5+5
    n == 10 && matches!(first, b'6'..=b'9') && lens == [5, 5] && same_sep(&[" ", "-"])
}
