//! Splicing replacement text into a body: [`rewrite`].
//!
//! Owns writing each kind of extracted literal ([`Literal`]) back so the body stays valid JSON
//! and every byte outside the edited literals is unchanged. It does not choose the replacement
//! text (the redactor does) nor find the literals (the extractors do).

use std::ops::Range;

use super::{binary, Edit, ExtractError};
#[cfg(doc)]
use super::{Literal, Segment};

/// Applies `edits` to `body`: each edit's literal is replaced by the new text, written so the
/// body stays valid JSON; every byte outside the edited literals is copied unchanged. Each edit
/// covers one literal as given by [`Segment::raw`] — a whole string literal (value or key,
/// replaced by the JSON-escaped text), a number (replaced by the text as a JSON string), or the
/// content between the quotes of a base64 string read as text ([`Literal::Base64`]: the text is
/// re-encoded as base64, behind the literal's `data:…;base64,` prefix when it has one). Edits must
/// not overlap; their order does not matter.
pub fn rewrite(body: &[u8], edits: &[Edit]) -> Result<Vec<u8>, ExtractError> {
    let mut order: Vec<&Edit> = edits.iter().collect();
    order.sort_by_key(|e| (e.raw.start, e.raw.end));
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0usize;
    for edit in order {
        let Range { start, end } = edit.raw.clone();
        if start < at {
            return Err(ExtractError::InvalidEdit("edits overlap"));
        }
        let gap = body
            .get(at..start)
            .ok_or(ExtractError::InvalidEdit("range outside the body"))?;
        out.extend_from_slice(gap);
        out.extend_from_slice(replacement(body, start..end, &edit.text)?.as_bytes());
        at = end;
    }
    out.extend_from_slice(body.get(at..).unwrap_or_default());
    Ok(out)
}

/// The bytes that replace the literal at `range` with `text` (see [`rewrite`]).
fn replacement(body: &[u8], range: Range<usize>, text: &str) -> Result<String, ExtractError> {
    let outside = ExtractError::InvalidEdit("range outside the body");
    let lit = body.get(range.clone()).ok_or(outside.clone())?;
    let quoted = |t: &str| serde_json::to_string(t).map_err(|_| ExtractError::Internal);
    // The content of a string literal: the bytes around the range are its quotes.
    let enclosing = range
        .start
        .checked_sub(1)
        .and_then(|s| body.get(s..range.end.checked_add(1)?));
    if lit.first() != Some(&b'"') {
        if let Some(whole) = enclosing.filter(|w| is_one_literal(w)) {
            let content: String =
                serde_json::from_slice(whole).map_err(|_| ExtractError::Internal)?;
            let prefix = binary::data_url(&content)
                .and_then(|(_, payload)| content.get(..content.len() - payload.len()))
                .unwrap_or_default();
            let encoded =
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text.as_bytes());
            let new = quoted(&format!("{prefix}{encoded}"))?;
            let inner = new.strip_prefix('"').and_then(|n| n.strip_suffix('"'));
            return inner.map(str::to_owned).ok_or(ExtractError::Internal);
        }
        let num_byte = |b: &u8| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9');
        let before = range.start.checked_sub(1).and_then(|s| body.get(s));
        if is_number(lit)
            && !before.is_some_and(num_byte)
            && !body.get(range.end).is_some_and(num_byte)
        {
            return quoted(text);
        }
    }
    if !is_one_literal(lit) {
        return Err(ExtractError::InvalidEdit("range is not one literal"));
    }
    quoted(text)
}

/// True when `lit` is exactly one JSON number as [`json`] accepted it.
fn is_number(lit: &[u8]) -> bool {
    !lit.is_empty()
        && matches!(lit.first(), Some(b'-' | b'0'..=b'9'))
        && lit
            .iter()
            .all(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
        && std::str::from_utf8(lit)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .is_some()
}

/// True when `lit` is exactly one JSON string literal: quoted, no unescaped quote inside.
fn is_one_literal(lit: &[u8]) -> bool {
    let [b'"', inner @ .., b'"'] = lit else {
        return false;
    };
    let mut escaped = false;
    for &b in inner {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return false,
            _ => {}
        }
    }
    !escaped
}
