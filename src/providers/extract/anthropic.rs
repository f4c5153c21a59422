//! Where text lives in Anthropic Messages request and response bodies (`/v1/messages` and
//! `/v1/messages/count_tokens`, which share the request shape).
//!
//! Owns the field knowledge only: top-level `system` (string or blocks), message content blocks
//! (`text`, `image`, `document`, `tool_use`, `tool_result`, `thinking`, `search_result`, ...) and
//! tool descriptions and input schemas. Unknown block types are walked by the fallback in `walk.rs`.

use super::json::{Node, Value};
use super::walk::{push, str_field, Walker};
use super::{ExtractError, SegmentKind};

type Res = Result<(), ExtractError>;

/// `POST /v1/messages` and `/v1/messages/count_tokens`.
pub(crate) fn messages_request(w: &mut Walker, root: &Node) -> Res {
    if let Some(system) = root.get("system") {
        content(w, system, "/system", SegmentKind::System)?;
    }
    w.each(root, "", "messages", SegmentKind::User, |w, msg, ptr| {
        let Value::Object(members) = &msg.value else {
            return w.text(msg, ptr, SegmentKind::Other);
        };
        let kind = match str_field(w.body, msg, "role").as_deref() {
            Some("user") => SegmentKind::User,
            Some("assistant") => SegmentKind::Assistant,
            _ => SegmentKind::Other,
        };
        for (key, child) in members {
            match key.as_str() {
                "role" => {}
                "content" => content(w, child, &push(ptr, key), kind)?,
                _ => w.all_strings(child, &push(ptr, key), kind)?,
            }
        }
        Ok(())
    })?;
    w.each(root, "", "tools", SegmentKind::Other, |w, tool, ptr| {
        w.field(tool, ptr, "description", SegmentKind::Other)?;
        match tool.get("input_schema") {
            Some(schema) => w.schema(schema, &push(ptr, "input_schema")),
            None => Ok(()),
        }
    })
}

/// Messages response: `content[]` blocks.
pub(crate) fn messages_response(w: &mut Walker, root: &Node) -> Res {
    match root.get("content") {
        Some(c) => content(w, c, "/content", SegmentKind::Assistant),
        None => Ok(()),
    }
}

/// A content value: a string, or an array of content blocks.
fn content(w: &mut Walker, node: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Some(blocks) = node.as_array() else {
        return w.text(node, ptr, kind);
    };
    for (i, b) in blocks.iter().enumerate() {
        block(w, b, &format!("{ptr}/{i}"), kind)?;
    }
    Ok(())
}

fn block(w: &mut Walker, b: &Node, ptr: &str, kind: SegmentKind) -> Res {
    match str_field(w.body, b, "type").as_deref() {
        Some("text") => w.field(b, ptr, "text", kind),
        Some("image") => source(w, b, ptr, kind),
        Some("document") => {
            source(w, b, ptr, kind)?;
            w.field(b, ptr, "title", SegmentKind::Other)?;
            w.field(b, ptr, "context", SegmentKind::Other)
        }
        Some("tool_use" | "server_tool_use") => match b.get("input") {
            Some(input) => w.leaves(input, &push(ptr, "input"), SegmentKind::ToolCall),
            None => Ok(()),
        },
        Some("tool_result") => match b.get("content") {
            Some(c) => content(w, c, &push(ptr, "content"), SegmentKind::ToolResult),
            None => Ok(()),
        },
        Some("thinking") => w.field(b, ptr, "thinking", SegmentKind::Assistant),
        Some("redacted_thinking") => match b.get("data") {
            Some(data) => w.binary(data, &push(ptr, "data")),
            None => Ok(()),
        },
        Some("search_result") => {
            w.field(b, ptr, "title", SegmentKind::Other)?;
            w.field(b, ptr, "source", SegmentKind::Other)?;
            match b.get("content") {
                Some(c) => content(w, c, &push(ptr, "content"), kind),
                None => Ok(()),
            }
        }
        _ => w.all_strings(b, ptr, kind),
    }
}

/// An `image` or `document` block's `source`.
fn source(w: &mut Walker, b: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Some(src) = b.get("source") else {
        return Ok(());
    };
    let src_ptr = push(ptr, "source");
    match str_field(w.body, src, "type").as_deref() {
        Some("base64") => match src.get("data") {
            Some(data) => w.binary(data, &push(&src_ptr, "data")),
            None => Ok(()),
        },
        Some("url") => match src.get("url") {
            Some(url) => w.url(url, &push(&src_ptr, "url")),
            None => Ok(()),
        },
        // A plain-text document: `data` is text the model reads.
        Some("text") => w.field(src, &src_ptr, "data", kind),
        Some("content") => match src.get("content") {
            Some(c) => content(w, c, &push(&src_ptr, "content"), kind),
            None => Ok(()),
        },
        Some("file") => Ok(()),
        _ => w.all_strings(src, &src_ptr, kind),
    }
}
