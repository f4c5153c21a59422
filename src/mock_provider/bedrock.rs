//! Bedrock-shaped mock responses: Converse, ConverseStream (real AWS event-stream frames),
//! InvokeModel and InvokeModelWithResponseStream in the Anthropic-on-Bedrock shape, errors.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::providers::eventstream::{chunk_frame, event_frame};

pub fn converse(reply: &str) -> Value {
    json!({
        "output": {"message": {"role": "assistant", "content": [{"text": reply}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21},
        "metrics": {"latencyMs": 5}
    })
}

/// messageStart, one contentBlockDelta per chunk, contentBlockStop, messageStop, metadata.
pub fn converse_stream(chunks: &[String]) -> Vec<Bytes> {
    let f = |t: &str, v: Value| Bytes::from(event_frame(t, v.to_string().as_bytes()));
    let mut out = vec![f("messageStart", json!({"role": "assistant", "p": "abcd"}))];
    for c in chunks {
        out.push(f(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": c}, "p": "abcdefgh"}),
        ));
    }
    out.push(f("contentBlockStop", json!({"contentBlockIndex": 0})));
    out.push(f("messageStop", json!({"stopReason": "end_turn"})));
    out.push(f(
        "metadata",
        json!({"usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}, "metrics": {"latencyMs": 5}}),
    ));
    out
}

/// The Anthropic stream events, each wrapped in a `chunk` frame (base64 `bytes`).
pub fn invoke_stream(model: &str, chunks: &[String]) -> Vec<Bytes> {
    super::anthropic::messages_stream(model, chunks)
        .iter()
        .filter_map(|ev| {
            ev.lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(str::to_owned)
        })
        .map(|data| Bytes::from(chunk_frame(data.as_bytes())))
        .collect()
}

pub fn error() -> Value {
    json!({"message": "mock upstream failure"})
}

/// What an ECS container credentials endpoint answers (valid for an hour).
pub fn container_credentials() -> Value {
    let exp = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    json!({
        "AccessKeyId": "ASIAMOCKCONTAINER01",
        "SecretAccessKey": "mock-container-secret",
        "Token": "mock-session-token",
        "Expiration": humantime::format_rfc3339_seconds(exp).to_string(),
        "RoleArn": "arn:aws:iam::000000000000:role/mock"
    })
}

/// An EC2 instance metadata service (IMDSv2) with one role, `mock-role`: a token from
/// `PUT /latest/api/token`, required on the metadata reads. `None` for other paths.
pub fn imds(
    method: &http::Method,
    path: &str,
    headers: &http::HeaderMap,
) -> Option<http::Response<crate::proxy::body::ProxyBody>> {
    const TOKEN: &str = "mock-imds-token";
    const ROLES: &str = "/latest/meta-data/iam/security-credentials/";
    let text = |status: u16, body: &'static str| {
        let mut r = http::Response::new(crate::proxy::body::full(body));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
        r
    };
    if path == "/latest/api/token" {
        let ok = method == http::Method::PUT
            && headers.contains_key("x-aws-ec2-metadata-token-ttl-seconds");
        return Some(if ok { text(200, TOKEN) } else { text(400, "") });
    }
    let role = path.strip_prefix(ROLES)?;
    if headers
        .get("x-aws-ec2-metadata-token")
        .and_then(|v| v.to_str().ok())
        != Some(TOKEN)
    {
        return Some(text(401, ""));
    }
    Some(match role {
        "" => text(200, "mock-role\n"),
        "mock-role" => super::json_response(container_credentials()),
        _ => text(404, ""),
    })
}
