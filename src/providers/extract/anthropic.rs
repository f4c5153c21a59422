//! Where text lives in Anthropic Messages request and response bodies (`/v1/messages` and
//! `/v1/messages/count_tokens`, which share the request shape).
//!
//! Owns the field knowledge only: top-level `system` (string or blocks), message content blocks
//! (`text`, `image`, `document`, `tool_use`, `tool_result`, `thinking`, `search_result`, ...) and
//! tool names, descriptions and input schemas; the top-level members, message members, block and
//! source types the API defines. Any other shape is an unknown shape (`walk.rs` refuses or
//! scans it), and every literal no rule here takes is taken by the final sweep.

use super::json::{Node, Value};
use super::walk::{push, str_field, Walker};
use super::{ExtractError, SegmentKind};

type Res = Result<(), ExtractError>;

/// Result blocks of server tools and MCP: every member is taken as it is.
const OTHER_BLOCKS: &[&str] = &[
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
];

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
        for (i, (key, child)) in members.iter().enumerate() {
            match key.as_str() {
                "role" => {}
                "content" => content(w, child, &push(ptr, key), kind)?,
                _ => w.unknown(child, &push(ptr, key), &format!("{ptr} member {i}"), kind)?,
            }
        }
        Ok(())
    })?;
    w.each(root, "", "tools", SegmentKind::Other, |w, tool, ptr| {
        w.field(tool, ptr, "name", SegmentKind::Other)?;
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
        Some("tool_use" | "server_tool_use") => {
            w.name(b, ptr, SegmentKind::ToolCall)?;
            match b.get("input") {
                Some(input) => w.leaves(input, &push(ptr, "input"), SegmentKind::ToolCall),
                None => Ok(()),
            }
        }
        Some("tool_result") => match b.get("content") {
            Some(c) => content(w, c, &push(ptr, "content"), SegmentKind::ToolResult),
            None => Ok(()),
        },
        Some("thinking") => w.field(b, ptr, "thinking", SegmentKind::Assistant),
        Some("redacted_thinking") => match b.get("data") {
            Some(data) => w.binary(data, &push(ptr, "data"), None, SegmentKind::Other),
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
        Some(t) if OTHER_BLOCKS.contains(&t) => w.all_strings(b, ptr, kind),
        _ => w.unknown(b, ptr, ptr, kind),
    }
}

/// An `image` or `document` block's `source`.
fn source(w: &mut Walker, b: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Some(src) = b.get("source") else {
        return Ok(());
    };
    let src_ptr = push(ptr, "source");
    match str_field(w.body, src, "type").as_deref() {
        Some("base64") => {
            let declared = str_field(w.body, src, "media_type");
            match src.get("data") {
                Some(data) => w.binary(data, &push(&src_ptr, "data"), declared.as_deref(), kind),
                None => Ok(()),
            }
        }
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
        _ => w.unknown(src, &src_ptr, &src_ptr, kind),
    }
}
