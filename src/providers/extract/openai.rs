//! Where text lives in OpenAI request and response bodies: chat completions, the Responses API,
//! embeddings and legacy completions.
//!
//! Owns the field knowledge only (which top-level members, message members, content part and
//! item types each API defines; which member holds text, a name, a tool call, a base64 payload);
//! the generic moves, the unknown-shape handling and the final sweep that takes every literal
//! are in `walk.rs`. A shape not listed here is an unknown shape (refused or scanned).

use super::json::{Node, Value};
use super::walk::{push, str_field, Walker};
use super::{ExtractError, SegmentKind};

type Res = Result<(), ExtractError>;

/// Chat message members that carry no text of their own (ids and enums; the sweep still takes
/// them in requests).
const MESSAGE_BOOKKEEPING: &[&str] = &["role", "tool_call_id", "id", "status", "type"];

/// Responses input/output item types whose members are all taken as they are (tool calls and
/// results of built-in tools, MCP items, compaction).
const RESPONSES_OTHER_ITEMS: &[&str] = &[
    "file_search_call",
    "web_search_call",
    "computer_call",
    "computer_call_output",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "compaction",
];

/// `POST /v1/chat/completions`.
pub(crate) fn chat_request(w: &mut Walker, root: &Node) -> Res {
    w.each(root, "", "messages", SegmentKind::User, chat_message)?;
    tool_descriptions(w, root)?;
    if let Some(prediction) = root.get("prediction") {
        let ptr = push("", "prediction");
        match prediction.get("content") {
            Some(content) => chat_content(w, content, &push(&ptr, "content"), SegmentKind::Other)?,
            None => w.text(prediction, &ptr, SegmentKind::Other)?,
        }
    }
    Ok(())
}

/// Chat completion response: `choices[].message`.
pub(crate) fn chat_response(w: &mut Walker, root: &Node) -> Res {
    w.each(
        root,
        "",
        "choices",
        SegmentKind::Assistant,
        |w, choice, ptr| match choice.get("message") {
            Some(message) => chat_message(w, message, &push(ptr, "message")),
            None => Ok(()),
        },
    )
}

/// `POST /v1/completions` request: `prompt` (string, strings, or token arrays) and `suffix`.
pub(crate) fn completions_request(w: &mut Walker, root: &Node) -> Res {
    w.token_ids(root, "prompt");
    w.field(root, "", "prompt", SegmentKind::Input)?;
    w.field(root, "", "suffix", SegmentKind::Input)
}

/// Legacy completions response: `choices[].text`.
pub(crate) fn completions_response(w: &mut Walker, root: &Node) -> Res {
    w.each(
        root,
        "",
        "choices",
        SegmentKind::Assistant,
        |w, choice, ptr| w.field(choice, ptr, "text", SegmentKind::Assistant),
    )
}

/// `POST /v1/embeddings`: `input` as a string or strings; token-id arrays hold no text the
/// classifier can read, so their bytes count as unscanned.
pub(crate) fn embeddings_request(w: &mut Walker, root: &Node) -> Res {
    w.token_ids(root, "input");
    w.field(root, "", "input", SegmentKind::Input)
}

/// `POST /v1/responses`: `instructions`, `input` (string or items), prompt template variables.
pub(crate) fn responses_request(w: &mut Walker, root: &Node) -> Res {
    w.field(root, "", "instructions", SegmentKind::System)?;
    if let Some(input) = root.get("input") {
        let ptr = push("", "input");
        match &input.value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    responses_item(w, item, &format!("{ptr}/{i}"), SegmentKind::User)?;
                }
            }
            _ => w.text(input, &ptr, SegmentKind::Input)?,
        }
    }
    if let Some(prompt) = root.get("prompt") {
        w.all_strings(prompt, "/prompt", SegmentKind::Other)?;
    }
    tool_descriptions(w, root)
}

/// Responses API response: `output[]` items.
pub(crate) fn responses_response(w: &mut Walker, root: &Node) -> Res {
    w.each(
        root,
        "",
        "output",
        SegmentKind::Assistant,
        |w, item, ptr| responses_item(w, item, ptr, SegmentKind::Assistant),
    )
}

fn role_kind(role: Option<&str>, default: SegmentKind) -> SegmentKind {
    match role {
        Some("system" | "developer") => SegmentKind::System,
        Some("user") => SegmentKind::User,
        Some("assistant") => SegmentKind::Assistant,
        Some("tool" | "function") => SegmentKind::ToolResult,
        Some(_) => SegmentKind::Other,
        None => default,
    }
}

/// One chat message (request `messages[]` or response `choices[].message`).
fn chat_message(w: &mut Walker, msg: &Node, ptr: &str) -> Res {
    let Value::Object(members) = &msg.value else {
        return w.text(msg, ptr, SegmentKind::Other);
    };
    let role = str_field(w.body, msg, "role");
    let kind = role_kind(role.as_deref(), SegmentKind::Other);
    for (i, (key, child)) in members.iter().enumerate() {
        let child_ptr = push(ptr, key);
        match key.as_str() {
            k if MESSAGE_BOOKKEEPING.contains(&k) => {}
            "name" if w.is_request() => w.text(child, &child_ptr, SegmentKind::Other)?,
            "name" => {}
            "audio" | "annotations" => w.all_strings(child, &child_ptr, kind)?,
            "content" => chat_content(w, child, &child_ptr, kind)?,
            "refusal" => w.text(child, &child_ptr, SegmentKind::Assistant)?,
            "tool_calls" => match child.as_array() {
                Some(calls) => {
                    for (i, call) in calls.iter().enumerate() {
                        tool_call(w, call, &format!("{child_ptr}/{i}"))?;
                    }
                }
                None => w.text(child, &child_ptr, SegmentKind::ToolCall)?,
            },
            "function_call" => tool_call_body(w, child, &child_ptr)?,
            _ => w.unknown(child, &child_ptr, &format!("{ptr} member {i}"), kind)?,
        }
    }
    Ok(())
}

/// A chat `content`: a string, or an array of content parts.
fn chat_content(w: &mut Walker, content: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Some(parts) = content.as_array() else {
        return w.text(content, ptr, kind);
    };
    for (i, part) in parts.iter().enumerate() {
        let part_ptr = format!("{ptr}/{i}");
        match str_field(w.body, part, "type").as_deref() {
            Some("text") => w.field(part, &part_ptr, "text", kind)?,
            Some("refusal") => w.field(part, &part_ptr, "refusal", SegmentKind::Assistant)?,
            Some("image_url") => match part.get("image_url") {
                Some(img) if img.is_str() => w.url(img, &push(&part_ptr, "image_url"))?,
                Some(img) => {
                    let img_ptr = push(&part_ptr, "image_url");
                    if let Some(url) = img.get("url") {
                        w.url(url, &push(&img_ptr, "url"))?;
                    }
                }
                None => {}
            },
            Some("input_audio") => audio(w, part, &part_ptr)?,
            Some("file") => {
                if let Some(file) = part.get("file") {
                    let file_ptr = push(&part_ptr, "file");
                    if let Some(data) = file.get("file_data") {
                        w.binary(data, &push(&file_ptr, "file_data"), None, kind)?;
                    }
                    w.field(file, &file_ptr, "filename", SegmentKind::Other)?;
                }
            }
            _ => w.unknown(part, &part_ptr, &part_ptr, kind)?,
        }
    }
    Ok(())
}

/// An `input_audio` part's base64 `data`, declared by its sibling `format` (`wav`, `mp3`).
fn audio(w: &mut Walker, part: &Node, part_ptr: &str) -> Res {
    let Some(audio) = part.get("input_audio") else {
        return Ok(());
    };
    let declared = str_field(w.body, audio, "format");
    match audio.get("data") {
        Some(data) => w.binary(
            data,
            &format!("{part_ptr}/input_audio/data"),
            declared.as_deref(),
            SegmentKind::Other,
        ),
        None => Ok(()),
    }
}

/// One `tool_calls[]` entry: function (`name`, and `arguments`, a JSON-encoded string taken as
/// text) or custom tool (`name`, `input`).
fn tool_call(w: &mut Walker, call: &Node, ptr: &str) -> Res {
    if let Some(function) = call.get("function") {
        tool_call_body(w, function, &push(ptr, "function"))
    } else if let Some(custom) = call.get("custom") {
        let custom_ptr = push(ptr, "custom");
        w.name(custom, &custom_ptr, SegmentKind::ToolCall)?;
        w.field(custom, &custom_ptr, "input", SegmentKind::ToolCall)
    } else {
        w.unknown(call, ptr, ptr, SegmentKind::ToolCall)
    }
}

fn tool_call_body(w: &mut Walker, function: &Node, ptr: &str) -> Res {
    w.name(function, ptr, SegmentKind::ToolCall)?;
    w.field(function, ptr, "arguments", SegmentKind::ToolCall)
}

/// Tool definitions (chat: `tools[].function`/`custom`; Responses: flat) and structured-output
/// schemas (chat `response_format.json_schema`, Responses `text.format`): their names,
/// descriptions and whole schemas are rendered into the model's prompt.
fn tool_descriptions(w: &mut Walker, root: &Node) -> Res {
    w.each(root, "", "tools", SegmentKind::Other, |w, tool, ptr| {
        let (def, def_ptr) = match ["function", "custom"]
            .iter()
            .find_map(|k| tool.get(k).map(|f| (f, push(ptr, k))))
        {
            Some(found) => found,
            None => (tool, ptr.to_owned()),
        };
        w.field(def, &def_ptr, "name", SegmentKind::Other)?;
        w.field(def, &def_ptr, "description", SegmentKind::Other)?;
        match def.get("parameters") {
            Some(schema) => w.schema(schema, &push(&def_ptr, "parameters")),
            None => Ok(()),
        }
    })?;
    if let Some(js) = root
        .get("response_format")
        .and_then(|f| f.get("json_schema"))
    {
        let ptr = "/response_format/json_schema";
        w.field(js, ptr, "name", SegmentKind::Other)?;
        w.field(js, ptr, "description", SegmentKind::Other)?;
        if let Some(schema) = js.get("schema") {
            w.schema(schema, &push(ptr, "schema"))?;
        }
    }
    if let Some(format) = root.get("text").and_then(|t| t.get("format")) {
        let ptr = "/text/format";
        w.field(format, ptr, "name", SegmentKind::Other)?;
        w.field(format, ptr, "description", SegmentKind::Other)?;
        if let Some(schema) = format.get("schema") {
            w.schema(schema, &push(ptr, "schema"))?;
        }
    }
    Ok(())
}

/// One Responses API item (request `input[]` or response `output[]`).
fn responses_item(w: &mut Walker, item: &Node, ptr: &str, default: SegmentKind) -> Res {
    let role = str_field(w.body, item, "role");
    let kind = role_kind(role.as_deref(), default);
    match str_field(w.body, item, "type").as_deref() {
        Some("message") | None if item.get("role").is_some() || item.get("content").is_some() => {
            match item.get("content") {
                Some(content) => responses_content(w, content, &push(ptr, "content"), kind),
                None => Ok(()),
            }
        }
        Some("function_call") => {
            w.name(item, ptr, SegmentKind::ToolCall)?;
            w.field(item, ptr, "arguments", SegmentKind::ToolCall)
        }
        Some("custom_tool_call") => {
            w.name(item, ptr, SegmentKind::ToolCall)?;
            w.field(item, ptr, "input", SegmentKind::ToolCall)
        }
        Some("function_call_output" | "custom_tool_call_output") => match item.get("output") {
            Some(output) => {
                responses_content(w, output, &push(ptr, "output"), SegmentKind::ToolResult)
            }
            None => Ok(()),
        },
        Some("reasoning") => {
            if let Some(enc) = item.get("encrypted_content") {
                w.binary(
                    enc,
                    &push(ptr, "encrypted_content"),
                    None,
                    SegmentKind::Other,
                )?;
            }
            for key in ["summary", "content"] {
                w.each(item, ptr, key, SegmentKind::Assistant, |w, part, p| {
                    w.field(part, p, "text", SegmentKind::Assistant)
                })?;
            }
            Ok(())
        }
        Some("item_reference") => Ok(()),
        Some(t) if RESPONSES_OTHER_ITEMS.contains(&t) => w.all_strings(item, ptr, default),
        _ => w.unknown(item, ptr, ptr, default),
    }
}

/// Responses content: a string, or parts (`input_text`, `output_text`, `input_image`, ...).
fn responses_content(w: &mut Walker, content: &Node, ptr: &str, kind: SegmentKind) -> Res {
    let Some(parts) = content.as_array() else {
        return w.text(content, ptr, kind);
    };
    for (i, part) in parts.iter().enumerate() {
        responses_part(w, part, &format!("{ptr}/{i}"), kind)?;
    }
    Ok(())
}

/// One Responses content part.
fn responses_part(w: &mut Walker, part: &Node, part_ptr: &str, kind: SegmentKind) -> Res {
    match str_field(w.body, part, "type").as_deref() {
        Some("input_text" | "output_text" | "text" | "summary_text" | "reasoning_text") => {
            w.field(part, part_ptr, "text", kind)
        }
        Some("refusal") => w.field(part, part_ptr, "refusal", SegmentKind::Assistant),
        Some("input_image") => match part.get("image_url") {
            Some(url) => w.url(url, &push(part_ptr, "image_url")),
            None => Ok(()),
        },
        Some("input_file") => {
            if let Some(data) = part.get("file_data") {
                w.binary(data, &push(part_ptr, "file_data"), None, kind)?;
            }
            if let Some(url) = part.get("file_url") {
                w.url(url, &push(part_ptr, "file_url"))?;
            }
            w.field(part, part_ptr, "filename", SegmentKind::Other)
        }
        Some("input_audio") => audio(w, part, part_ptr),
        _ => w.unknown(part, part_ptr, part_ptr, kind),
    }
}

/// Full-text snapshots in a Responses stream event (`*.done`, `response.output_item.*`,
/// `response.content_part.*`, `response.completed`, ...): the text the deltas already carried,
/// repeated. `kind` is the event's `type`.
pub(crate) fn responses_stream_snapshot(w: &mut Walker, root: &Node, kind: &str) -> Res {
    use SegmentKind::{Assistant, ToolCall};
    match kind {
        "response.output_text.done"
        | "response.reasoning_summary_text.done"
        | "response.reasoning_text.done"
        | "response.audio.transcript.done" => w.field(root, "", "text", Assistant),
        "response.refusal.done" => w.field(root, "", "refusal", Assistant),
        "response.function_call_arguments.done" => w.field(root, "", "arguments", ToolCall),
        "response.custom_tool_call_input.done" => w.field(root, "", "input", ToolCall),
        "response.content_part.added"
        | "response.content_part.done"
        | "response.reasoning_summary_part.added"
        | "response.reasoning_summary_part.done" => match root.get("part") {
            Some(part) => responses_part(w, part, "/part", Assistant),
            None => Ok(()),
        },
        "response.output_item.added" | "response.output_item.done" => match root.get("item") {
            Some(item) => responses_item(w, item, "/item", Assistant),
            None => Ok(()),
        },
        "response.created"
        | "response.queued"
        | "response.in_progress"
        | "response.completed"
        | "response.incomplete"
        | "response.failed" => match root.get("response") {
            Some(response) => responses_response_at(w, response, "/response"),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn responses_response_at(w: &mut Walker, response: &Node, ptr: &str) -> Res {
    w.each(
        response,
        ptr,
        "output",
        SegmentKind::Assistant,
        |w, item, p| responses_item(w, item, p, SegmentKind::Assistant),
    )
}
