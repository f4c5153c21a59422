//! Strict, span-recording JSON reader for request and response bodies.
//!
//! Owns the one question "where, byte for byte, is each value in this body?". It builds a small
//! tree in which every string literal keeps its raw byte range (quotes included), so extracted
//! text can be mapped back to the body and spliced by [`super::rewrite`].
//!
//! Strictness, and why: the text aimsgate classifies must be exactly the text the provider will
//! parse. A body's syntax is therefore first checked by `serde_json` (the authority on what is
//! valid JSON, and the source of most line/column error positions), then scanned here, where
//! escapes are decoded by `serde_json` and numbers checked the same way; it is rejected when:
//! - it is not valid JSON (no comments, no trailing commas, no `NaN`, no lone surrogates, valid
//!   UTF-8 only) — lenient parsers upstream could read such bodies differently than we do;
//! - any object anywhere in the body has the same key twice (after unescaping, so `"a"` and
//!   `"\u0061"` collide) — parsers disagree on whether the first or the last one wins, which would
//!   let a client show the classifier one value and the provider another;
//! - nesting is deeper than [`MAX_DEPTH`] — bounded recursion, no stack exhaustion.
//!
//! String contents are unescaped by `serde_json` too (see [`decode_str`]); this file never
//! interprets escapes itself. It does not know any provider API: that is `request`/`response`.

use std::ops::Range;

use super::ExtractError;

/// Deepest nesting of arrays and objects accepted (the same limit `serde_json` enforces).
pub const MAX_DEPTH: usize = 128;

/// One JSON value and the raw byte range it occupies in the body.
#[derive(Debug)]
pub(crate) struct Node {
    pub span: Range<usize>,
    pub value: Value,
    /// For objects: the raw range of each member's key literal (quotes included), in member
    /// order; empty for every other value.
    pub key_spans: Vec<Range<usize>>,
}

/// The shape of a value; strings are kept as raw ranges and decoded on demand.
#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number,
    Str,
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    /// Member `key` of an object, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The elements of an array, if this is one.
    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_str(&self) -> bool {
        matches!(self.value, Value::Str)
    }
}

/// Parses `body` strictly (see the module doc) into a span tree.
pub(crate) fn parse(body: &[u8]) -> Result<Node, ExtractError> {
    // serde_json checks the syntax without building a tree; what `IgnoredAny` leaves out
    // (UTF-8, lone surrogates in escapes, numbers out of range, depth) is checked below.
    if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(malformed(&err));
    }
    if let Err(err) = std::str::from_utf8(body) {
        return Err(malformed_at(body, err.valid_up_to(), "invalid UTF-8"));
    }
    let mut scanner = Scanner { body, pos: 0 };
    scanner.skip_ws();
    let node = scanner.value(0)?;
    scanner.skip_ws();
    if scanner.pos != body.len() {
        return Err(scanner.internal());
    }
    Ok(node)
}

/// Unescapes the string literal at `raw` (quotes included) exactly as `serde_json` does.
pub(crate) fn decode_str(body: &[u8], raw: &Range<usize>) -> Result<String, ExtractError> {
    let lit = body.get(raw.clone()).ok_or(ExtractError::Internal)?;
    let inner = lit
        .get(1..lit.len().saturating_sub(1))
        .ok_or(ExtractError::Internal)?;
    if !inner.contains(&b'\\') {
        return std::str::from_utf8(inner)
            .map(str::to_owned)
            .map_err(|_| ExtractError::Internal);
    }
    serde_json::from_slice::<String>(lit).map_err(|_| ExtractError::Internal)
}

/// 1-based line and column of byte `pos`, counted like `serde_json` (column in bytes).
pub(crate) fn line_col(body: &[u8], pos: usize) -> (usize, usize) {
    let before = body.get(..pos).unwrap_or(body);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => pos - nl,
        None => pos + 1,
    };
    (line, col)
}

fn malformed_at(body: &[u8], pos: usize, reason: &'static str) -> ExtractError {
    let (line, column) = line_col(body, pos);
    ExtractError::Malformed {
        line,
        column,
        reason,
    }
}

/// serde_json's syntax messages are fixed texts followed by the position; keep only texts we
/// know, so nothing from the body can ever reach a caller through this path.
fn reason(err: &serde_json::Error) -> &'static str {
    let full = err.to_string();
    KNOWN_REASONS
        .iter()
        .find(|r| full.starts_with(**r))
        .copied()
        .unwrap_or("invalid JSON")
}

fn malformed(err: &serde_json::Error) -> ExtractError {
    let reason = reason(err);
    if reason == "recursion limit exceeded" {
        return ExtractError::TooDeep { max: MAX_DEPTH };
    }
    ExtractError::Malformed {
        line: err.line(),
        column: err.column(),
        reason,
    }
}

const KNOWN_REASONS: &[&str] = &[
    "EOF while parsing a list",
    "EOF while parsing an object",
    "EOF while parsing a string",
    "EOF while parsing a value",
    "expected `:`",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "expected ident",
    "expected value",
    "expected `\"`",
    "invalid escape",
    "invalid number",
    "number out of range",
    "invalid unicode code point",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "key must be a string",
    "lone leading surrogate in hex escape",
    "trailing comma",
    "trailing characters",
    "unexpected end of hex escape",
    "recursion limit exceeded",
];

struct Scanner<'a> {
    body: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.body.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// serde_json accepted the body, so any surprise here is our bug, reported, never a panic.
    fn internal(&self) -> ExtractError {
        ExtractError::Internal
    }

    fn expect(&mut self, byte: u8) -> Result<(), ExtractError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.internal())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ExtractError> {
        let start = self.pos;
        let mut key_spans = Vec::new();
        let value = match self.peek() {
            Some(b'{') => self.object(depth + 1, &mut key_spans)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'"') => {
                self.string()?;
                Value::Str
            }
            Some(b't') => self.literal(b"true", Value::Bool(true))?,
            Some(b'f') => self.literal(b"false", Value::Bool(false))?,
            Some(b'n') => self.literal(b"null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => {
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.pos += 1;
                }
                // Same rule as serde_json: a number must fit an f64 (no `1e400`).
                let text = self.body.get(start..self.pos).unwrap_or_default();
                let finite = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .is_some_and(f64::is_finite);
                if !finite {
                    return Err(malformed_at(self.body, start, "number out of range"));
                }
                Value::Number
            }
            _ => return Err(self.internal()),
        };
        Ok(Node {
            span: start..self.pos,
            value,
            key_spans,
        })
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, ExtractError> {
        let end = self
            .pos
            .checked_add(word.len())
            .ok_or(ExtractError::Internal)?;
        if self.body.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(value)
        } else {
            Err(self.internal())
        }
    }

    /// Skips one string literal; returns its raw range, quotes included.
    fn string(&mut self) -> Result<Range<usize>, ExtractError> {
        let start = self.pos;
        let mut escaped = false;
        self.expect(b'"')?;
        loop {
            // Jump to the next quote or backslash (SIMD): prompt strings are long.
            let rest = self.body.get(self.pos..).unwrap_or_default();
            let Some(at) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(self.internal());
            };
            self.pos += at;
            if self.peek() == Some(b'"') {
                self.pos += 1;
                break;
            }
            self.pos += 2;
            escaped = true;
        }
        let raw = start..self.pos;
        // serde_json's syntax pass checked the escapes except for surrogate pairing, which its
        // string decoder (used for every extracted text) enforces; check it here for all strings.
        if escaped {
            let lit = self.body.get(raw.clone()).unwrap_or_default();
            if !surrogates_paired(lit) {
                return Err(malformed_at(
                    self.body,
                    start,
                    "lone surrogate in hex escape",
                ));
            }
        }
        Ok(raw)
    }

    fn array(&mut self, depth: usize) -> Result<Value, ExtractError> {
        self.check_depth(depth)?;
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.internal()),
            }
        }
    }

    fn object(
        &mut self,
        depth: usize,
        key_spans: &mut Vec<Range<usize>>,
    ) -> Result<Value, ExtractError> {
        self.check_depth(depth)?;
        let open = self.pos;
        self.expect(b'{')?;
        let mut members: Vec<(String, Node)> = Vec::new();
        let mut key_starts = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            let key_raw = self.string()?;
            let key = decode_str(self.body, &key_raw)?;
            key_starts.push(key_raw.start);
            key_spans.push(key_raw.clone());
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let node = self.value(depth)?;
            members.push((key, node));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.internal()),
            }
        }
        if let Some(dup) = duplicate(&members) {
            let at = key_starts.get(dup).copied().unwrap_or(open);
            let (line, column) = line_col(self.body, at);
            return Err(ExtractError::DuplicateKey { line, column });
        }
        Ok(Value::Object(members))
    }

    fn check_depth(&self, depth: usize) -> Result<(), ExtractError> {
        if depth > MAX_DEPTH {
            Err(ExtractError::TooDeep { max: MAX_DEPTH })
        } else {
            Ok(())
        }
    }
}

/// True when every `\\uD800`–`\\uDBFF` escape in `lit` is directly followed by a
/// `\\uDC00`–`\\uDFFF` escape and no low surrogate stands alone (serde_json's rule).
fn surrogates_paired(lit: &[u8]) -> bool {
    let mut i = 0;
    let mut expect_low = false;
    while let Some(&b) = lit.get(i) {
        if b != b'\\' {
            if expect_low {
                return false;
            }
            i += 1;
            continue;
        }
        let unit = match lit.get(i + 1) {
            Some(b'u') => lit
                .get(i + 2..i + 6)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u16::from_str_radix(h, 16).ok()),
            _ => None,
        };
        match unit {
            Some(0xD800..=0xDBFF) if !expect_low => expect_low = true,
            Some(0xDC00..=0xDFFF) if expect_low => expect_low = false,
            Some(0xD800..=0xDFFF) => return false,
            _ if expect_low => return false,
            Some(_) => {}
            None => {}
        }
        i += if unit.is_some() { 6 } else { 2 };
    }
    !expect_low
}

/// Index of the later member of the first duplicated key pair, if any (O(n log n)).
fn duplicate(members: &[(String, Node)]) -> Option<usize> {
    if members.len() < 2 {
        return None;
    }
    // Request objects are small: compare pairs in place, without allocating.
    if members.len() <= 8 {
        return (1..members.len()).find(|&j| members[..j].iter().any(|m| m.0 == members[j].0));
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[a].0.cmp(&members[b].0).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| members[w[0]].0 == members[w[1]].0)
        .map(|w| w[1])
        .min()
}
