//! Amazon Bedrock runtime request paths, `/model/{modelId}/{action}`, as the AWS SDKs call them
//! with the model id percent-encoded in one path segment (`anthropic.claude-3-5-sonnet-20240620-v1%3A0`,
//! ARNs with `%3A` and `%2F`).
//!
//! Owns recognising that form, decoding the model id strictly (every escape valid, the decoded
//! id one of [`is_model_id`]), and encoding an id back into one path segment the way the SDKs do.
//! Pure; it builds no upstream URL (the upstream does, from the model and action only) and knows
//! nothing of bodies or of the event-stream framing (that is [`crate::providers::eventstream`]).

/// The Bedrock runtime actions aimsgate proxies.
pub const ACTIONS: &[&str] = &[
    "converse",
    "converse-stream",
    "invoke",
    "invoke-with-response-stream",
];

/// Longest model id accepted (Bedrock's own limit for `modelId`).
const MAX_ID: usize = 2048;

/// A recognised Bedrock request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedrockPath<'a> {
    /// The decoded model id (a foundation model, an inference profile or an ARN).
    pub model: String,
    /// One of [`ACTIONS`].
    pub action: &'a str,
}

/// A Bedrock model id: 1-2048 of `A-Z a-z 0-9 - _ . :` starting with a letter or digit;
/// `/` only inside an ARN (`arn:...:inference-profile/...`), never doubled or next to a dot
/// segment.
pub fn is_model_id(s: &str) -> bool {
    let b = s.as_bytes();
    if !(1..=MAX_ID).contains(&b.len()) || !b[0].is_ascii_alphanumeric() {
        return false;
    }
    let arn = s.starts_with("arn:");
    let chars_ok = b.iter().all(|&c| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':') || (arn && c == b'/')
    });
    chars_ok
        && s.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Recognises `/model/{modelId}/{action}`; `None` for any other path, a bad escape, or a
/// decoded id that is not a model id.
pub fn parse_path(path: &str) -> Option<BedrockPath<'_>> {
    let rest = path.strip_prefix("/model/")?;
    let (raw, action) = rest.split_once('/')?;
    let action = ACTIONS.iter().find(|a| **a == action)?;
    let model = decode_segment(raw)?;
    is_model_id(&model).then_some(BedrockPath { model, action })
}

/// Strict percent-decoding of one segment: every `%` starts a two-hex-digit escape, the raw
/// bytes are unreserved characters, `:` or escapes, and the result is UTF-8.
fn decode_segment(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = hex(*b.get(i + 1)?)?;
                let lo = hex(*b.get(i + 2)?)?;
                out.push((hi << 4) | lo);
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b':') => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A model id as one path segment, encoded like the AWS SDKs do (everything but unreserved
/// characters escaped, so `:` is `%3A` and `/` is `%2F`).
pub fn encode_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 8);
    for &c in id.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(c));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_are_decoded_strictly() {
        let p = parse_path("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse").unwrap();
        assert_eq!(p.model, "anthropic.claude-3-5-sonnet-20240620-v1:0");
        assert_eq!(p.action, "converse");
        let raw = parse_path("/model/us.anthropic.claude-3-haiku-20240307-v1:0/invoke").unwrap();
        assert_eq!(raw.model, "us.anthropic.claude-3-haiku-20240307-v1:0");
        let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0";
        let path = format!("/model/{}/invoke-with-response-stream", encode_segment(arn));
        let p = parse_path(&path).unwrap();
        assert_eq!(
            (p.model.as_str(), p.action),
            (arn, "invoke-with-response-stream")
        );
        assert_eq!(
            encode_segment("a.b-v1:0"),
            "a.b-v1%3A0",
            "encoded as the SDKs do"
        );
        for bad in [
            "/model//converse",
            "/model/a/b/converse",
            "/model/a%2Fb/converse",
            "/model/arn:x%2F..%2Fy/converse",
            "/model/arn:x%2F%2Fy/converse",
            "/model/a%2/converse",
            "/model/a%zz/converse",
            "/model/a%20b/converse",
            "/model/%2Ea/converse",
            "/model/a%FF/converse",
            "/model/a/converse-streams",
            "/model/a/",
            "/model/a",
            "/models/a/converse",
            "model/a/converse",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
        assert!(parse_path(&format!("/model/{}/converse", "m".repeat(2049))).is_none());
        assert!(parse_path(&format!("/model/{}/converse", "m".repeat(2048))).is_some());
    }
}
