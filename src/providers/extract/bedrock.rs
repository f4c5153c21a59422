//! Where text lives in Amazon Bedrock Converse request and response bodies (`converse` and
//! `converse-stream` share the request shape), and the stream events' text.
//!
//! Owns the field knowledge only: `messages[].content[]` blocks (`text`, `image`, `document`,
//! `video`, `toolUse`, `toolResult`, `guardContent`, `reasoningContent`, `cachePoint`, ...),
//! `system[]` blocks, `toolConfig.tools[].toolSpec` (name, description, JSON schema) and the
//! response's `output.message`. InvokeModel bodies in the Anthropic shape are read by
//! `anthropic.rs`. Any other shape is an unknown shape (`walk.rs` refuses or scans it); every
//! literal no rule here takes is taken by the final sweep.

use super::json::{Node, Value};
use super::walk::{push, push_index, str_field, Walker};
use super::{ExtractError, SegmentKind};

type Res = Result<(), ExtractError>;

/// `Converse` / `ConverseStream` requests.
pub(crate) fn converse_request(w: &mut Walker, root: &Node) -> Res {
    w.each(root, "", "system", SegmentKind::System, |w, b, ptr| {
        block(w, b, ptr, SegmentKind::System)
    })?;
    w.each(root, "", "messages", SegmentKind::User, |w, msg, ptr| {
        let Value::Object(members) = &msg.value else {
            return w.text(msg, ptr, SegmentKind::Other);
        };
        let kind = match str_field(w.body, msg, "role").as_deref() {
            Some("user") => SegmentKind::User,
            Some("assistant") => SegmentKind::Assistant,
            _ => SegmentKind::Other,
        };
        for (i, (key, child)) in members.iter().enumerate() {
            match key.as_str() {
                "role" => {}
                "content" => blocks(w, child, &push(ptr, key), kind)?,
                _ => w.unknown(child, &push(ptr, key), &format!("{ptr} member {i}"), kind)?,
            }
        }
        Ok(())
    })?;
    if let Some(tc) = root.get("toolConfig") {
        w.each(
            tc,
            "/toolConfig",
            "tools",
            SegmentKind::Other,
            |w, t, ptr| {
                let Some(spec) = t.get("toolSpec") else {
                    return Ok(());
                };
                let sp = push(ptr, "toolSpec");
                w.field(spec, &sp, "name", SegmentKind::Other)?;
                w.field(spec, &sp, "description", SegmentKind::Other)?;
                match spec.get("inputSchema").and_then(|s| s.get("json")) {
                    Some(schema) => w.schema(schema, &push(&push(&sp, "inputSchema"), "json")),
                    None => Ok(()),
                }
            },
        )?;
    }
    Ok(())
}

/// A `Converse` response: `output.message.content[]`.
pub(crate) fn converse_response(w: &mut Walker, root: &Node) -> Res {
    match root.get("output").and_then(|o| o.get("message")) {
        Some(m) => match m.get("content") {
            Some(c) => blocks(w, c, "/output/message/content", SegmentKind::Assistant),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

fn blocks(w: &mut Walker, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Some(items) = node.as_array() else {
        return w.text(node, ptr, kind);
    };
    for (i, b) in items.iter().enumerate() {
        block(w, b, &push_index(ptr, i), kind)?;
    }
    Ok(())
}

/// One `ContentBlock` / `SystemContentBlock` / `ToolResultContentBlock` (a tagged union: one
/// member names the variant).
fn block(w: &mut Walker, b: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Value::Object(members) = &b.value else {
        return w.text(b, ptr, kind);
    };
    for (i, (key, child)) in members.iter().enumerate() {
        let at = push(ptr, key);
        match key.as_str() {
            "text" => w.text(child, &at, kind)?,
            "image" | "video" => media(w, child, &at, key, kind)?,
            "document" => {
                w.field(child, &at, "name", SegmentKind::Other)?;
                w.field(child, &at, "context", kind)?;
                media(w, child, &at, key, kind)?;
            }
            "toolUse" => {
                w.name(child, &at, SegmentKind::ToolCall)?;
                if let Some(input) = child.get("input") {
                    w.leaves(input, &push(&at, "input"), SegmentKind::ToolCall)?;
                }
            }
            "toolResult" => {
                if let Some(c) = child.get("content") {
                    blocks(w, c, &push(&at, "content"), SegmentKind::ToolResult)?;
                }
            }
            // A tool result's JSON value: every leaf is text the model reads.
            "json" => w.leaves(child, &at, kind)?,
            "guardContent" => match child.get("text") {
                Some(t) => w.field(t, &push(&at, "text"), "text", kind)?,
                None => w.all_strings(child, &at, kind)?,
            },
            "reasoningContent" => {
                if let Some(t) = child.get("reasoningText") {
                    w.field(t, &push(&at, "reasoningText"), "text", kind)?;
                }
            }
            "cachePoint" => {}
            "citationsContent" | "searchResult" => w.all_strings(child, &at, kind)?,
            _ => w.unknown(child, &at, &format!("{ptr} member {i}"), kind)?,
        }
    }
    Ok(())
}

/// An image, video or document: `{format, source: {bytes | text | content | s3Location}}`.
fn media(w: &mut Walker, m: &Node, ptr: &str, what: &str, kind: SegmentKind) -> Res {
    let Some(src) = m.get("source") else {
        return Ok(());
    };
    let sp = push(ptr, "source");
    let format = str_field(w.body, m, "format");
    let declared = format.map(|f| match (what, f.as_str()) {
        ("image", f) => format!("image/{f}"),
        ("video", f) => format!("video/{f}"),
        (_, "pdf") => "application/pdf".to_owned(),
        (_, "txt" | "md" | "csv" | "html") => "text/plain".to_owned(),
        (_, f) => format!("application/{f}"),
    });
    if let Some(bytes) = src.get("bytes") {
        w.binary(bytes, &push(&sp, "bytes"), declared.as_deref(), kind)?;
    }
    if let Some(t) = src.get("text") {
        w.text(t, &push(&sp, "text"), kind)?;
    }
    if let Some(c) = src.get("content") {
        blocks(w, c, &push(&sp, "content"), kind)?;
    }
    if let Some(s3) = src.get("s3Location") {
        w.field(s3, &push(&sp, "s3Location"), "uri", SegmentKind::Other)?;
    }
    Ok(())
}
