//! The shared walker the per-API extractors use to collect text from a span tree.
//!
//! Owns the generic moves: take a string, number or object key as a segment, judge a possible
//! binary payload (via `binary.rs`: only proven binary is skipped and counted), refuse or scan a
//! shape the API code does not recognise, and — for requests — the final sweep that takes every
//! literal no API rule took, so nothing in a request body can reach the model unclassified. It
//! does not know which API field means what; `openai.rs` and `anthropic.rs` do.

use std::ops::Range;

use super::binary::{data_url, prove, prove_data_url, Proof};
use super::json::{decode_str, Node, Value};
use super::{ExtractError, Literal, Segment, SegmentKind, UnknownShapes};

/// Keys whose string values are bookkeeping (ids, enums, signatures) in *responses*; requests
/// take them too (in the sweep), since a caller can write anything there.
const BOOKKEEPING_KEYS: &[&str] = &[
    "type",
    "id",
    "call_id",
    "tool_use_id",
    "tool_call_id",
    "status",
    "signature",
    "file_id",
    "role",
    "media_type",
    "detail",
    "format",
    "cache_control",
];

/// Keys whose string values may be base64 payloads wherever they appear.
const BINARY_KEYS: &[&str] = &["data", "file_data", "encrypted_content"];

/// Sibling keys that declare a payload's media type.
const TYPE_KEYS: &[&str] = &["media_type", "mime_type", "mimeType", "format"];

/// Numbers with fewer digits cannot hold any class the classifier knows (the shortest, a phone
/// number, has 7), so they are not taken: token ids, enums and counts stay out of the scan.
pub(crate) const MIN_NUMBER_DIGITS: usize = 7;

/// Most segments one request may yield. Each costs ~150 bytes beside its text, so a body of
/// millions of tiny values would otherwise amplify its size a hundredfold in memory; real
/// requests stay far below (2,048 embedding inputs, thousands of messages).
pub const MAX_SEGMENTS: usize = 100_000;

/// Whether the walker reads a request (everything is taken) or a response (text fields only).
#[derive(Clone, Copy)]
enum Mode {
    Request(UnknownShapes),
    Response,
}

pub(crate) struct Walker<'a> {
    pub body: &'a [u8],
    pub segments: Vec<Segment>,
    pub skipped: usize,
    /// Start offsets of the literals already taken (as a segment, or skipped as binary).
    taken: Taken,
    mode: Mode,
    overflow: bool,
}

type Res = Result<(), ExtractError>;

impl<'a> Walker<'a> {
    /// A walker for response bodies and stream events: text fields only.
    pub fn new(body: &'a [u8]) -> Self {
        Self::with_mode(body, Mode::Response)
    }

    /// A walker for request bodies: keys and numbers are taken too, and unknown shapes are
    /// refused or scanned per `unknown`.
    pub fn request(body: &'a [u8], unknown: UnknownShapes) -> Self {
        Self::with_mode(body, Mode::Request(unknown))
    }

    fn with_mode(body: &'a [u8], mode: Mode) -> Self {
        Walker {
            body,
            segments: Vec::new(),
            skipped: 0,
            taken: match mode {
                Mode::Request(_) => Taken::new(body.len()),
                Mode::Response => Taken::none(),
            },
            mode,
            overflow: false,
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.mode, Mode::Request(_))
    }

    /// Decodes a string node's text.
    pub fn decode(&self, node: &Node) -> Result<String, ExtractError> {
        decode_str(self.body, &node.span)
    }

    /// Adds a segment unless a segment or skip already took the literal at `raw.start`; past
    /// [`MAX_SEGMENTS`] nothing more is added and the extraction fails ([`Walker::overflowed`]).
    fn add(&mut self, raw: Range<usize>, ptr: &str, text: String, kind: SegmentKind, lit: Literal) {
        if self.segments.len() >= MAX_SEGMENTS {
            self.overflow = true;
            return;
        }
        if self.taken.insert(raw.start) {
            self.segments.push(Segment {
                text,
                pointer: ptr.to_owned(),
                raw,
                kind,
                literal: lit,
            });
        }
    }

    fn string(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        if !self.taken.contains(node.span.start) {
            let text = self.decode(node)?;
            self.add(node.span.clone(), ptr, text, kind, Literal::Str);
        }
        Ok(())
    }

    fn number(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        let raw = self.body.get(node.span.clone()).unwrap_or_default();
        if raw.iter().filter(|b| b.is_ascii_digit()).count() < MIN_NUMBER_DIGITS {
            return Ok(());
        }
        let text = std::str::from_utf8(raw)
            .map_err(|_| ExtractError::Internal)?
            .to_owned();
        self.add(node.span.clone(), ptr, text, kind, Literal::Number);
        Ok(())
    }

    /// Token-id input (`prompt` / `input` as an array of integers, or of such arrays): the
    /// classifier cannot read token ids, so the field's bytes count as unscanned.
    pub fn token_ids(&mut self, root: &Node, key: &str) {
        fn ids(n: &Node) -> bool {
            matches!(&n.value, Value::Array(items) if !items.is_empty()
                && items.iter().all(|i| matches!(i.value, Value::Number)))
        }
        let Some(n) = root.get(key) else {
            return;
        };
        let tokens = ids(n)
            || matches!(&n.value, Value::Array(rows) if !rows.is_empty() && rows.iter().all(ids));
        if tokens {
            self.skipped = self.skipped.saturating_add(n.span.len());
        }
    }

    /// Did the request yield more than [`MAX_SEGMENTS`] segments?
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// A field that should hold text: strings (and, in requests, numbers) become segments,
    /// other scalars are ignored, anything else is walked by the fallback.
    pub fn text(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        match &node.value {
            Value::Str => self.string(node, ptr, kind),
            Value::Number if self.is_request() => self.number(node, ptr, kind),
            Value::Null | Value::Bool(_) | Value::Number => Ok(()),
            Value::Array(_) | Value::Object(_) => self.all_strings(node, ptr, kind),
        }
    }

    /// Optional member `key` of `node` as text.
    pub fn field(&mut self, node: &Node, ptr: &str, key: &str, kind: SegmentKind) -> Res {
        match node.get(key) {
            Some(child) => self.text(child, &push(ptr, key), kind),
            None => Ok(()),
        }
    }

    /// Optional `name` member (of a message, tool call or tool use): text in requests, where the
    /// model reads it; responses leave names to the client (output rules act on content).
    pub fn name(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        if self.is_request() {
            self.field(node, ptr, "name", kind)
        } else {
            Ok(())
        }
    }

    /// A field that may hold a base64 payload declared as `declared` (a data URL declares its
    /// own type): skipped and counted only when proven binary, decoded when text-typed, taken
    /// as written otherwise, so no text can hide behind the field name.
    pub fn binary(
        &mut self,
        node: &Node,
        ptr: &str,
        declared: Option<&str>,
        kind: SegmentKind,
    ) -> Res {
        if !node.is_str() {
            return self.all_strings(node, ptr, kind);
        }
        if self.taken.contains(node.span.start) {
            return Ok(());
        }
        let s = self.decode(node)?;
        let proof = match data_url(&s) {
            Some((meta, payload)) => prove_data_url(meta, payload),
            None if declared.is_some() => prove(declared, &s),
            None => Proof::Unproven,
        };
        match proof {
            Proof::Binary => {
                self.taken.insert(node.span.start);
                self.skipped = self.skipped.saturating_add(node.span.len());
            }
            Proof::Text(text) => {
                // The text is not the literal's: the raw range is the literal's content (between
                // the quotes), which `rewrite` re-encodes.
                self.taken.insert(node.span.start);
                let inner = node.span.start + 1..node.span.end.saturating_sub(1);
                self.add(inner, ptr, text, kind, Literal::Base64);
            }
            Proof::Unproven => self.add(node.span.clone(), ptr, s, kind, Literal::Str),
        }
        Ok(())
    }

    /// A URL the provider fetches: base64 `data:` URLs are judged by [`Walker::binary`], others
    /// are text ([`SegmentKind::Other`]).
    pub fn url(&mut self, node: &Node, ptr: &str) -> Res {
        self.binary(node, ptr, None, SegmentKind::Other)
    }

    /// A shape the API code does not recognise at `ptr`. In requests under
    /// [`UnknownShapes::Refuse`] it is refused, named by `at` (built from known field names and
    /// indices only, never from the body); otherwise every literal below it is taken.
    pub fn unknown(&mut self, node: &Node, ptr: &str, at: &str, kind: SegmentKind) -> Res {
        match self.mode {
            Mode::Request(UnknownShapes::Refuse) => {
                Err(ExtractError::UnknownShape { at: at.to_owned() })
            }
            _ => self.all_strings(node, ptr, kind),
        }
    }

    /// Fallback for shapes with no field rule. Requests: every literal below `node` (see
    /// [`Walker::everything`]). Responses: every string leaf except bookkeeping keys.
    pub fn all_strings(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        if self.is_request() {
            return self.everything(node, ptr, kind);
        }
        match &node.value {
            Value::Str => self.binary(node, ptr, None, kind),
            Value::Null | Value::Bool(_) | Value::Number => Ok(()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.all_strings(item, &push_index(ptr, i), kind)?;
                }
                Ok(())
            }
            Value::Object(members) => {
                let declared = declared_type(self.body, node);
                for (key, child) in members {
                    if BOOKKEEPING_KEYS.contains(&key.as_str()) {
                        continue;
                    }
                    if BINARY_KEYS.contains(&key.as_str()) {
                        self.binary(child, &push(ptr, key), declared.as_deref(), kind)?;
                        continue;
                    }
                    self.all_strings(child, &push(ptr, key), kind)?;
                }
                Ok(())
            }
        }
    }

    /// Every string value, number and object key below `node`, with no exception but proven
    /// binary payloads; literals already taken keep their first segment.
    pub fn everything(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        match &node.value {
            Value::Str => self.binary(node, ptr, None, kind),
            Value::Number => self.number(node, ptr, kind),
            Value::Null | Value::Bool(_) => Ok(()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !self.done(item) {
                        self.everything(item, &push_index(ptr, i), kind)?;
                    }
                }
                Ok(())
            }
            Value::Object(members) => {
                let mut declared: Option<Option<String>> = None;
                for (i, (key, child)) in members.iter().enumerate() {
                    let key_taken = node
                        .key_spans
                        .get(i)
                        .is_none_or(|s| self.taken.contains(s.start));
                    if key_taken && self.done(child) {
                        continue;
                    }
                    let child_ptr = push(ptr, key);
                    if let (false, Some(span)) = (key_taken, node.key_spans.get(i)) {
                        self.add(span.clone(), &child_ptr, key.clone(), kind, Literal::Key);
                    }
                    if BINARY_KEYS.contains(&key.as_str()) {
                        let declared =
                            declared.get_or_insert_with(|| declared_type(self.body, node));
                        self.binary(child, &child_ptr, declared.as_deref(), kind)?;
                    } else {
                        self.everything(child, &child_ptr, kind)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// True when `node` is a scalar with nothing (more) to take: taken already, or null/bool.
    fn done(&self, node: &Node) -> bool {
        match node.value {
            Value::Str | Value::Number => self.taken.contains(node.span.start),
            Value::Null | Value::Bool(_) => true,
            Value::Array(_) | Value::Object(_) => false,
        }
    }

    /// Model-written JSON such as tool inputs, where any key may hold text: every string leaf
    /// (in requests: every literal, keys included).
    pub fn leaves(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
        if self.is_request() {
            return self.everything(node, ptr, kind);
        }
        match &node.value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.leaves(item, &push_index(ptr, i), kind)?;
                }
                Ok(())
            }
            Value::Object(members) => {
                for (key, child) in members {
                    self.leaves(child, &push(ptr, key), kind)?;
                }
                Ok(())
            }
            _ => self.text(node, ptr, kind),
        }
    }

    /// A JSON Schema (tool parameters, structured-output schemas): the model reads all of it,
    /// property names (object keys), `pattern`, `enum` and `format` included, so every literal is
    /// taken ([`SegmentKind::Other`]).
    pub fn schema(&mut self, node: &Node, ptr: &str) -> Res {
        self.everything(node, ptr, SegmentKind::Other)
    }

    /// Requests: the final pass that takes every literal of the body no field rule took, as
    /// [`SegmentKind::Other`].
    pub fn sweep(&mut self, root: &Node) -> Res {
        self.everything(root, "", SegmentKind::Other)
    }

    /// Every element of an array member, with its pointer, or nothing when absent/not an array.
    /// A present non-array value is taken as text.
    pub fn each<F>(&mut self, node: &Node, ptr: &str, key: &str, kind: SegmentKind, mut f: F) -> Res
    where
        F: FnMut(&mut Self, &Node, &str) -> Res,
    {
        let Some(child) = node.get(key) else {
            return Ok(());
        };
        let child_ptr = push(ptr, key);
        match child.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    f(self, item, &push_index(&child_ptr, i))?;
                }
                Ok(())
            }
            None => self.text(child, &child_ptr, kind),
        }
    }
}

/// A set of body offsets (literal starts), one bit per body byte. Responses, which visit each
/// literal once, keep none (`None`: nothing is ever taken twice).
struct Taken(Option<Vec<u64>>);

impl Taken {
    fn new(len: usize) -> Self {
        Taken(Some(vec![0; len / 64 + 1]))
    }

    fn none() -> Self {
        Taken(None)
    }

    fn contains(&self, at: usize) -> bool {
        match &self.0 {
            Some(bits) => bits.get(at / 64).is_some_and(|w| w & (1 << (at % 64)) != 0),
            None => false,
        }
    }

    /// Adds `at`; true when it was not in the set (or no set is kept).
    fn insert(&mut self, at: usize) -> bool {
        let Some(bits) = &mut self.0 else {
            return true;
        };
        match bits.get_mut(at / 64) {
            Some(w) => {
                let bit = 1 << (at % 64);
                let new = *w & bit == 0;
                *w |= bit;
                new
            }
            None => false,
        }
    }
}

/// The media type an object declares for its payload member (`media_type`, `mime_type`,
/// `format`), when it declares one as a string.
pub(crate) fn declared_type(body: &[u8], node: &Node) -> Option<String> {
    TYPE_KEYS.iter().find_map(|k| str_field(body, node, k))
}

/// The string value of member `key`, decoded, if it is a string.
pub(crate) fn str_field(body: &[u8], node: &Node, key: &str) -> Option<String> {
    let child = node.get(key)?;
    if child.is_str() {
        decode_str(body, &child.span).ok()
    } else {
        None
    }
}

/// `ptr` extended by one object key, escaped per RFC 6901 (`~` → `~0`, `/` → `~1`).
pub(crate) fn push(ptr: &str, key: &str) -> String {
    let mut out = String::with_capacity(ptr.len() + key.len() + 1);
    out.push_str(ptr);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// `ptr` extended by one array index.
pub(crate) fn push_index(ptr: &str, i: usize) -> String {
    format!("{ptr}/{i}")
}
