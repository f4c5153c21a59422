//! The shared walker the per-API extractors use to collect text from a span tree.
//!
//! Owns the generic moves: take a string as a segment, count a binary payload, treat a URL
//! (data URLs are binary), and the fallback for shapes we do not recognise — every string leaf is
//! extracted, so an unknown shape can never carry text past the classifier. It does not know
//! which API field means what; `openai.rs` and `anthropic.rs` do.

use super::json::{decode_str, Node, Value};
use super::{ExtractError, Segment, SegmentKind};

/// Keys whose string values are bookkeeping (ids, enums, signatures), not text for the model.
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

/// Keys whose values are binary payloads (base64) wherever they appear in unknown shapes.
const BINARY_KEYS: &[&str] = &["data", "file_data", "encrypted_content"];

pub(crate) struct Walker<'a> {
    pub body: &'a [u8],
    pub segments: Vec<Segment>,
    pub skipped: usize,
}

impl<'a> Walker<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Walker {
            body,
            segments: Vec::new(),
            skipped: 0,
        }
    }

    /// Decodes a string node's text.
    pub fn decode(&self, node: &Node) -> Result<String, ExtractError> {
        decode_str(self.body, &node.span)
    }

    /// A field that should hold text: strings become segments, scalars are ignored, anything
    /// else is walked by the fallback.
    pub fn text(&mut self, node: &Node, ptr: &str, kind: SegmentKind) -> Result<(), ExtractError> {
        match &node.value {
            Value::Str => {
                let text = self.decode(node)?;
                self.segments.push(Segment {
                    text,
                    pointer: ptr.to_owned(),
                    raw: node.span.clone(),
                    kind,
                });
                Ok(())
            }
            Value::Null | Value::Bool(_) | Value::Number => Ok(()),
            Value::Array(_) | Value::Object(_) => self.all_strings(node, ptr, kind),
        }
    }

    /// Optional member `key` of `node` as text.
    pub fn field(
        &mut self,
        node: &Node,
        ptr: &str,
        key: &str,
        kind: SegmentKind,
    ) -> Result<(), ExtractError> {
        match node.get(key) {
            Some(child) => self.text(child, &push(ptr, key), kind),
            None => Ok(()),
        }
    }

    /// A field that should hold a base64 payload: counted, never extracted. A value that is
    /// not base64 at all is extracted as text instead, so no text can hide behind the field name.
    pub fn binary(&mut self, node: &Node, ptr: &str) -> Result<(), ExtractError> {
        if node.is_str() && is_base64(&self.decode(node)?) {
            self.skipped = self.skipped.saturating_add(node.span.len());
            Ok(())
        } else {
            self.all_strings(node, ptr, SegmentKind::Other)
        }
    }

    /// A URL the provider fetches: base64 `data:` URLs are binary, others are text
    /// ([`SegmentKind::Other`]).
    pub fn url(&mut self, node: &Node, ptr: &str) -> Result<(), ExtractError> {
        if node.is_str() {
            self.url_or_text(node, ptr, SegmentKind::Other)
        } else {
            self.text(node, ptr, SegmentKind::Other)
        }
    }

    /// Fallback for unrecognised shapes: every string leaf below `node` is extracted, except
    /// bookkeeping keys; binary keys and data URLs are counted as binary.
    pub fn all_strings(
        &mut self,
        node: &Node,
        ptr: &str,
        kind: SegmentKind,
    ) -> Result<(), ExtractError> {
        match &node.value {
            Value::Str => self.url_or_text(node, ptr, kind),
            Value::Null | Value::Bool(_) | Value::Number => Ok(()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.all_strings(item, &push_index(ptr, i), kind)?;
                }
                Ok(())
            }
            Value::Object(members) => {
                for (key, child) in members {
                    if BOOKKEEPING_KEYS.contains(&key.as_str()) {
                        continue;
                    }
                    if BINARY_KEYS.contains(&key.as_str()) && child.is_str() {
                        self.binary(child, &push(ptr, key))?;
                        continue;
                    }
                    self.all_strings(child, &push(ptr, key), kind)?;
                }
                Ok(())
            }
        }
    }

    /// Every string leaf below `node`, with no exception: for model-written JSON such as tool
    /// inputs, where any key may hold text.
    pub fn leaves(
        &mut self,
        node: &Node,
        ptr: &str,
        kind: SegmentKind,
    ) -> Result<(), ExtractError> {
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

    /// The prose inside a JSON Schema (tool parameters, structured-output schemas): `description`,
    /// `title`, `const`, `default`, and the strings of `enum` and `examples`, at any depth.
    /// Structural strings (`type`, `$ref`, `pattern`, `format`, `required`) are not text.
    pub fn schema(&mut self, node: &Node, ptr: &str) -> Result<(), ExtractError> {
        match &node.value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.schema(item, &push_index(ptr, i))?;
                }
            }
            Value::Object(members) => {
                for (key, child) in members {
                    let child_ptr = push(ptr, key);
                    match key.as_str() {
                        "description" | "title" | "const" | "default" if child.is_str() => {
                            self.text(child, &child_ptr, SegmentKind::Other)?;
                        }
                        "enum" | "examples" if child.as_array().is_some() => {
                            for (i, item) in child.as_array().unwrap_or_default().iter().enumerate()
                            {
                                if item.is_str() {
                                    self.text(
                                        item,
                                        &push_index(&child_ptr, i),
                                        SegmentKind::Other,
                                    )?;
                                }
                            }
                        }
                        "required" if child.as_array().is_some() => {}
                        _ => self.schema(child, &child_ptr)?,
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A string node: skipped when it is a base64 data URL, extracted otherwise.
    fn url_or_text(
        &mut self,
        node: &Node,
        ptr: &str,
        kind: SegmentKind,
    ) -> Result<(), ExtractError> {
        if is_data_url(&self.decode(node)?) {
            self.skipped = self.skipped.saturating_add(node.span.len());
            Ok(())
        } else {
            self.text(node, ptr, kind)
        }
    }

    /// Every element of an array member, with its pointer, or nothing when absent/not an array.
    /// A present non-array value falls back to [`Walker::all_strings`].
    pub fn each<F>(
        &mut self,
        node: &Node,
        ptr: &str,
        key: &str,
        kind: SegmentKind,
        mut f: F,
    ) -> Result<(), ExtractError>
    where
        F: FnMut(&mut Self, &Node, &str) -> Result<(), ExtractError>,
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

/// The string value of member `key`, decoded, if it is a string.
pub(crate) fn str_field(body: &[u8], node: &Node, key: &str) -> Option<String> {
    let child = node.get(key)?;
    if child.is_str() {
        decode_str(body, &child.span).ok()
    } else {
        None
    }
}

/// `data:<type>;base64,<base64>`: a payload the provider decodes as binary, never as text.
fn is_data_url(s: &str) -> bool {
    let Some(rest) = s
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("data:"))
        .and(s.get(5..))
    else {
        return false;
    };
    match rest.split_once(',') {
        Some((meta, payload)) => meta.ends_with(";base64") && is_base64(payload),
        None => false,
    }
}

/// Standard or URL-safe base64, padding and line breaks allowed; empty counts as base64.
fn is_base64(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=' | b'\n' | b'\r')
    })
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
