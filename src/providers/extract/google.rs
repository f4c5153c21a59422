//! Where text lives in Gemini API request and response bodies (`generateContent`,
//! `streamGenerateContent`, `countTokens`, `embedContent`; Google AI Studio and Vertex AI share
//! the shape).
//!
//! Owns the field knowledge only: `contents[].parts[]` (`text`, `inlineData`, `fileData`,
//! `functionCall`, `functionResponse`, `executableCode`, `codeExecutionResult`, ...),
//! `systemInstruction`, tool function declarations, and the response's `candidates[]`. The REST
//! API accepts both lowerCamelCase and snake_case member names (proto3 JSON), so both are known.
//! Any other shape is an unknown shape (`walk.rs` refuses or scans it); every literal no rule
//! here takes is taken by the final sweep.

use super::json::{Node, Value};
use super::walk::{push, push_index, str_field, Walker};
use super::{ExtractError, SegmentKind};

type Res = Result<(), ExtractError>;

/// A member under either of its proto3 JSON names, with the name present.
fn get<'a>(
    node: &'a Node,
    camel: &'static str,
    snake: &'static str,
) -> Option<(&'a Node, &'static str)> {
    node.get(camel)
        .map(|n| (n, camel))
        .or_else(|| node.get(snake).map(|n| (n, snake)))
}

/// Part members that carry no text of their own (flags, signatures, media settings; the sweep
/// still takes their literals in requests).
const PART_BOOKKEEPING: &[&str] = &[
    "thought",
    "thoughtSignature",
    "thought_signature",
    "videoMetadata",
    "video_metadata",
    "mediaResolution",
    "media_resolution",
    "partMetadata",
    "part_metadata",
];

/// `generateContent` / `streamGenerateContent`.
pub(crate) fn generate_request(w: &mut Walker, root: &Node) -> Res {
    generate_at(w, root, "")
}

/// A `GenerateContentRequest` object at `at` (the body, or `countTokens`'s nested one).
fn generate_at(w: &mut Walker, root: &Node, at: &str) -> Res {
    if let Some((sys, key)) = get(root, "systemInstruction", "system_instruction") {
        content(w, sys, &push(at, key), SegmentKind::System)?;
    }
    contents(w, root, at)?;
    w.each(root, at, "tools", SegmentKind::Other, |w, tool, ptr| {
        match get(tool, "functionDeclarations", "function_declarations") {
            Some((decls, key)) => {
                let ptr = push(ptr, key);
                for (i, d) in decls.as_array().unwrap_or_default().iter().enumerate() {
                    let p = push_index(&ptr, i);
                    w.field(d, &p, "name", SegmentKind::Other)?;
                    w.field(d, &p, "description", SegmentKind::Other)?;
                    for k in [
                        "parameters",
                        "parametersJsonSchema",
                        "parameters_json_schema",
                        "response",
                        "responseJsonSchema",
                        "response_json_schema",
                    ] {
                        if let Some(s) = d.get(k) {
                            w.schema(s, &push(&p, k))?;
                        }
                    }
                }
                Ok(())
            }
            // Built-in tools (search, code execution, URL context, retrieval): settings only.
            None => Ok(()),
        }
    })
}

/// `countTokens`: `contents`, or a whole `generateContentRequest`.
pub(crate) fn count_tokens_request(w: &mut Walker, root: &Node) -> Res {
    contents(w, root, "")?;
    match get(root, "generateContentRequest", "generate_content_request") {
        Some((req, key)) if matches!(req.value, Value::Object(_)) => {
            generate_at(w, req, &push("", key))
        }
        Some((req, key)) => w.text(req, &push("", key), SegmentKind::Other),
        None => Ok(()),
    }
}

/// `embedContent`: one `content`, plus its `title`; `batchEmbedContents`: `requests[]` of those.
pub(crate) fn embed_request(w: &mut Walker, root: &Node) -> Res {
    embed_at(w, root, "")?;
    w.each(root, "", "requests", SegmentKind::Input, |w, r, ptr| {
        embed_at(w, r, ptr)
    })
}

fn embed_at(w: &mut Walker, r: &Node, ptr: &str) -> Res {
    if let Some(c) = r.get("content") {
        content(w, c, &push(ptr, "content"), SegmentKind::Input)?;
    }
    w.field(r, ptr, "title", SegmentKind::Input)
}

/// A response (or one stream chunk): the candidates' content.
pub(crate) fn generate_response(w: &mut Walker, root: &Node) -> Res {
    w.each(
        root,
        "",
        "candidates",
        SegmentKind::Assistant,
        |w, c, ptr| match c.get("content") {
            Some(content_node) => content(
                w,
                content_node,
                &push(ptr, "content"),
                SegmentKind::Assistant,
            ),
            None => Ok(()),
        },
    )
}

fn contents(w: &mut Walker, root: &Node, ptr: &str) -> Res {
    w.each(root, ptr, "contents", SegmentKind::User, |w, c, ptr| {
        let kind = match str_field(w.body, c, "role").as_deref() {
            Some("model") => SegmentKind::Assistant,
            Some("function" | "tool") => SegmentKind::ToolResult,
            _ => SegmentKind::User,
        };
        content(w, c, ptr, kind)
    })
}

/// A `Content`: `{role, parts[]}`.
fn content(w: &mut Walker, c: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Value::Object(members) = &c.value else {
        return w.text(c, ptr, kind);
    };
    for (i, (key, child)) in members.iter().enumerate() {
        match key.as_str() {
            "role" => {}
            "parts" => match child.as_array() {
                Some(parts) => {
                    let pp = push(ptr, "parts");
                    for (j, p) in parts.iter().enumerate() {
                        part(w, p, &push_index(&pp, j), kind)?;
                    }
                }
                None => w.text(child, &push(ptr, "parts"), kind)?,
            },
            _ => w.unknown(child, &push(ptr, key), &format!("{ptr} member {i}"), kind)?,
        }
    }
    Ok(())
}

/// One `Part`.
fn part(w: &mut Walker, p: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Value::Object(members) = &p.value else {
        return w.text(p, ptr, kind);
    };
    for (i, (key, child)) in members.iter().enumerate() {
        let at = push(ptr, key);
        match key.as_str() {
            "text" => w.text(child, &at, kind)?,
            "inlineData" | "inline_data" => {
                let declared = get(child, "mimeType", "mime_type")
                    .and_then(|(n, _)| n.is_str().then(|| w.decode(n).ok()).flatten());
                if let Some(data) = child.get("data") {
                    w.binary(data, &push(&at, "data"), declared.as_deref(), kind)?;
                }
            }
            "fileData" | "file_data" => {
                if let Some((uri, k)) = get(child, "fileUri", "file_uri") {
                    w.url(uri, &push(&at, k))?;
                }
            }
            "functionCall" | "function_call" => {
                w.name(child, &at, SegmentKind::ToolCall)?;
                if let Some(args) = child.get("args") {
                    w.leaves(args, &push(&at, "args"), SegmentKind::ToolCall)?;
                }
            }
            "functionResponse" | "function_response" => {
                w.name(child, &at, SegmentKind::ToolResult)?;
                if let Some(r) = child.get("response") {
                    w.leaves(r, &push(&at, "response"), SegmentKind::ToolResult)?;
                }
            }
            "executableCode" | "executable_code" => {
                w.field(child, &at, "code", SegmentKind::ToolCall)?;
            }
            "codeExecutionResult" | "code_execution_result" => {
                w.field(child, &at, "output", SegmentKind::ToolResult)?;
            }
            k if PART_BOOKKEEPING.contains(&k) => {}
            _ => w.unknown(child, &at, &format!("{ptr} member {i}"), kind)?,
        }
    }
    Ok(())
}
