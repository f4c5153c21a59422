//! Validators for the classes found by shape plus context: e-mail addresses, confidential
//! markings, and the context-word classes (passport, medical record number, date of birth)
//! whose value span excludes the context words. Postal addresses are `address`, person names
//! `names`.
//!
//! Owns boundary and plausibility checks only; the patterns live in `catalog`.

use super::cand::Cand;
use super::types::Finding;
use super::validate::{byte_at, byte_before, slice};

fn push(out: &mut Vec<Finding>, class: &'static str, c: &Cand<'_>, s: usize, e: usize) {
    c.emit(out, class, s, e);
}

/// The context keyword starts on a word boundary (not inside `filename`, `pseudonym`, ...).
fn keyword_bounded(c: &Cand<'_>) -> bool {
    !byte_before(c.text, c.start).is_some_and(|b| b.is_ascii_alphanumeric())
        && !c
            .text
            .get(..c.start)
            .and_then(|t| t.chars().next_back())
            .is_some_and(char::is_alphanumeric)
}

/// The value ends on a boundary.
fn value_ends(v: &Cand<'_>) -> bool {
    !byte_at(v.text, v.end).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
}

const NOT_TLDS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "map", "lock", "txt", "md",
    "rs", "py", "json", "yaml", "yml", "toml",
];

/// An upper-case letter after a lower-case one (`TwqoIAn`): top-level domains are written in
/// one case (`com`, `COM`, at most `Com`), so a camel-cased last label is random text that
/// happens to contain `@` and `.` (a generated password), not an address.
fn camel_case(label: &str) -> bool {
    label
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

pub(crate) fn email(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let mut e = c.end;
    let s = c.start;
    let addr = slice(c.text, s, e);
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let mut domain = domain;
    while domain.ends_with('.') || domain.ends_with('-') {
        domain = &domain[..domain.len() - 1];
        e -= 1;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels
            .iter()
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && !camel_case(tld)
        && !NOT_TLDS.contains(&tld.to_ascii_lowercase().as_str());
    let before_ok = !byte_before(c.text, s)
        .is_some_and(|b| b.is_ascii_alphanumeric() || b"._%+-/".contains(&b));
    let after_ok = !byte_at(c.text, e).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'@');
    if local_ok && domain_ok && before_ok && after_ok {
        push(out, "pii.email", c, s, e);
    }
}

pub(crate) fn marking(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ascii = slice(c.text, c.start, c.end).is_ascii();
    if !ascii
        || (!byte_before(c.text, c.start).is_some_and(word)
            && !byte_at(c.text, c.end).is_some_and(word))
    {
        push(out, "confidential.marking", c, c.start, c.end);
    }
}

fn has_digits(v: &str, n: usize) -> bool {
    v.bytes().filter(u8::is_ascii_digit).count() >= n
}

fn distinct(v: &str) -> usize {
    let mut seen: Vec<u8> = Vec::new();
    for b in v.bytes() {
        if !seen.contains(&b) {
            seen.push(b);
        }
    }
    seen.len()
}

pub(crate) fn passport(c: &Cand<'_>, v: &Cand<'_>, out: &mut Vec<Finding>) {
    let val = slice(v.text, v.start, v.end);
    if keyword_bounded(c) && value_ends(v) && has_digits(val, 1) && distinct(val) >= 3 {
        push(out, "pii.passport", v, v.start, v.end);
    }
}

pub(crate) fn mrn(c: &Cand<'_>, v: &Cand<'_>, out: &mut Vec<Finding>) {
    let mut e = v.end;
    while e > v.start && byte_at(v.text, e - 1) == Some(b'-') {
        e -= 1;
    }
    let val = slice(v.text, v.start, e);
    let end_ok = !byte_at(v.text, e).is_some_and(|b| b.is_ascii_alphanumeric());
    if keyword_bounded(c) && end_ok && has_digits(val, 5) && distinct(val) >= 3 {
        push(out, "health.medical_record_number", v, v.start, e);
    }
}

const MONTHS: &[&str] = &[
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "janv",
    "févr",
    "fevr",
    "mars",
    "avr",
    "mai",
    "juin",
    "juil",
    "août",
    "aout",
    "sept",
    "déc",
    "januar",
    "februar",
    "märz",
    "maerz",
    "april",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "janvier",
    "février",
    "avril",
    "juillet",
    "octobre",
    "novembre",
    "décembre",
    "january",
    "february",
    "march",
    "june",
    "july",
    "october",
    "december",
];

fn numeric_date_ok(v: &str) -> bool {
    let parts: Vec<&str> = v
        .split(['/', '-', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return false;
    }
    let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if n.len() != 3 {
        return false;
    }
    let (y, a, b) = if parts[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        (n[2], n[0], n[1])
    } else {
        return false;
    };
    let md = |m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d);
    (1900..=2030).contains(&y) && (md(a, b) || md(b, a))
}

pub(crate) fn date_of_birth(c: &Cand<'_>, v: &Cand<'_>, out: &mut Vec<Finding>) {
    let val = slice(v.text, v.start, v.end);
    let ok = if val.bytes().next().is_some_and(|b| b.is_ascii_digit()) && !val.contains(' ') {
        numeric_date_ok(val)
    } else {
        let lower = val.to_lowercase();
        lower
            .split(|ch: char| !ch.is_alphabetic())
            .any(|w| w.len() >= 3 && MONTHS.contains(&w))
    };
    if ok && keyword_bounded(c) && value_ends(v) {
        push(out, "pii.date_of_birth", v, v.start, v.end);
    }
}
