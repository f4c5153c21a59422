//! Portkey's webhook guardrail (`default.webhook` check, gateway 1.15): Portkey POSTs the hook
//! context to the check's `webhookURL` — `eventType` `beforeRequestHook` with the whole
//! request (`request.json`), or `afterRequestHook` with the request and the whole answer
//! (`response.json`, `response.statusCode`) — and reads `verdict` (false fails the check: with
//! the hook's `deny: true` Portkey refuses the call with its 446) and
//! `transformedData.request.json` / `transformedData.response.json` (the body sent on instead).
//!
//! Mapping: `request.json` is the provider request as Portkey's unified API carries it
//! (`requestType` `chatComplete`, `complete`, `embed` in the OpenAI shapes, `messages` in
//! Anthropic's) and runs through the proxy's phases unchanged. The credential is in the check's
//! `headers` (e.g. `Authorization: Bearer agk_…`); the caller is `metadata._user` (Portkey's
//! user field), the AI system `metadata.ai_system`, else `[[guardrail.systems]]` by model. Portkey
//! sends no call id: the after hook finds its request's decision by a digest of the request
//! it carries (the body as sent upstream, after any rewrite) and the caller.

use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::pending;
use super::service::{failure_lets_through, json, refusal_message, Guardrail};
use crate::providers::Operation;
use crate::proxy::body::ProxyBody;
use crate::proxy::call::ConnInfo;
use crate::proxy::call::{Call, GuardOrigin};
use crate::proxy::inspect::ContentKind;
use crate::proxy::outcome::StreamEnd;
use crate::proxy::pipeline::guard::{Asserted, Guarded};

const GATEWAY: &str = "portkey";

/// The hook context Portkey sends (fields this contract reads).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookContext {
    pub event_type: String,
    #[serde(default)]
    pub request_type: Option<String>,
    #[serde(default)]
    pub request: Option<Side>,
    #[serde(default)]
    pub response: Option<Side>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
}

/// One side of the hook context.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    #[serde(default)]
    pub json: Option<Value>,
    #[serde(default)]
    pub status_code: Option<u16>,
}

impl HookContext {
    /// The operation `requestType` names; an error message for one aimsgate does not guard.
    pub fn operation(&self) -> Result<Operation, String> {
        match self.request_type.as_deref() {
            Some("chatComplete") | None => Ok(Operation::ChatCompletions),
            Some("complete") => Ok(Operation::Completions),
            Some("embed") => Ok(Operation::Embeddings),
            Some("messages") => Ok(Operation::Messages),
            Some(other) => Err(format!(
                "requestType `{}` is not one aimsgate guards (chatComplete, complete, embed, messages)",
                other.chars().take(32).collect::<String>()
            )),
        }
    }

    fn asserted(&self) -> Asserted {
        let meta = |k: &str| {
            self.metadata
                .as_ref()
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Asserted {
            user: meta("_user"),
            groups: Vec::new(),
            ai_system: meta("ai_system"),
            model: None,
        }
    }

    fn request_json(&self) -> Option<&Value> {
        self.request
            .as_ref()?
            .json
            .as_ref()
            .filter(|v| v.is_object())
    }

    /// The key an after hook finds its before hook's decision by: the request as it was sent
    /// upstream (serde_json's map keeps keys sorted, so the digest does not depend on the order
    /// Portkey wrote them in), and the caller.
    pub fn key(&self, request: &Value, credential: &str) -> pending::Key {
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(request).unwrap_or_default());
        h.update([0]);
        h.update(credential.as_bytes());
        h.update([0]);
        h.update(self.asserted().user.unwrap_or_default().as_bytes());
        let d = h.finalize();
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        (GATEWAY, hex)
    }
}

/// The credential headers, as one string for the correlation key (hashed, never kept).
fn credential(headers: &http::HeaderMap) -> String {
    ["authorization", "x-api-key"]
        .iter()
        .filter_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `POST /portkey/webhook`.
pub async fn handle(
    guard: &Guardrail,
    info: &ConnInfo,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    let (parts, body) = req.into_parts();
    let ctx: HookContext = match guard.read_json(GATEWAY, body).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let op = match ctx.operation() {
        Ok(op) => op,
        Err(why) => {
            return guard.bad(GATEWAY, StatusCode::BAD_REQUEST, &why);
        }
    };
    let Some(request) = ctx.request_json() else {
        return guard.bad(
            GATEWAY,
            StatusCode::BAD_REQUEST,
            "the hook context has no `request.json` object",
        );
    };
    match ctx.event_type.as_str() {
        "beforeRequestHook" => before(guard, info, &parts.headers, &ctx, op, request).await,
        "afterRequestHook" => after(guard, info, &parts.headers, &ctx, op, request).await,
        other => {
            let other: String = other.chars().take(32).collect();
            guard.bad(
                GATEWAY,
                StatusCode::BAD_REQUEST,
                &format!(
                    "`eventType` must be `beforeRequestHook` or `afterRequestHook`, not `{other}`"
                ),
            )
        }
    }
}

fn verdict(ok: bool, data: Value) -> Response<ProxyBody> {
    json(StatusCode::OK, &json!({"verdict": ok, "data": data}))
}

/// The request phases for one hook. `Err` is the verdict already given: a refusal (recorded),
/// or a failure let through under `fail_open`.
async fn decide(
    guard: &Guardrail,
    info: &ConnInfo,
    headers: &http::HeaderMap,
    ctx: &HookContext,
    op: Operation,
    request: &Value,
    hook: &'static str,
) -> Result<(Call, Guarded), Response<ProxyBody>> {
    let p = &guard.pipeline;
    let origin = GuardOrigin {
        gateway: GATEWAY,
        hook,
    };
    let mut call = p.guard_call(info, headers, origin);
    let body = Bytes::from(serde_json::to_vec(request).unwrap_or_default());
    match p
        .guard_request(&mut call, info, headers, op, &ctx.asserted(), body)
        .await
    {
        Ok(g) => Ok((call, g)),
        Err(err) => {
            let decision_id = call.decision_id.clone();
            let through = failure_lets_through(&p.shared, &err);
            let reason = refusal_message(&err, &decision_id);
            let _ = p.fail(call, err).await;
            guard.count(GATEWAY, hook, if through { "fail_open" } else { "block" });
            Err(verdict(
                through,
                json!({"decision_id": decision_id, "reason": reason}),
            ))
        }
    }
}

async fn before(
    guard: &Guardrail,
    info: &ConnInfo,
    headers: &http::HeaderMap,
    ctx: &HookContext,
    op: Operation,
    request: &Value,
) -> Response<ProxyBody> {
    const HOOK: &str = "before_request";
    let p = &guard.pipeline;
    let (call, guarded) = match decide(guard, info, headers, ctx, op, request, HOOK).await {
        Ok(d) => d,
        Err(reply) => return reply,
    };
    let decision_id = call.decision_id.clone();
    let (reply, sent) = match guarded {
        Guarded::Unchanged => {
            guard.count(GATEWAY, HOOK, "allow");
            (
                verdict(true, json!({"decision_id": decision_id})),
                request.clone(),
            )
        }
        Guarded::Rewritten(b) => {
            let Ok(rewritten) = serde_json::from_slice::<Value>(&b) else {
                guard.count(GATEWAY, HOOK, "block");
                p.guard_end(call, StreamEnd::Blocked);
                return verdict(
                    false,
                    json!({"decision_id": decision_id, "reason": "the redacted request could not be handed back"}),
                );
            };
            guard.count(GATEWAY, HOOK, "redact");
            let reply = json(
                StatusCode::OK,
                &json!({
                    "verdict": true,
                    "data": {"decision_id": decision_id, "redacted": true},
                    "transformedData": {"request": {"json": rewritten}},
                }),
            );
            (reply, rewritten)
        }
    };
    let key = ctx.key(&sent, &credential(headers));
    guard.pending.put(p, key, call);
    reply
}

async fn after(
    guard: &Guardrail,
    info: &ConnInfo,
    headers: &http::HeaderMap,
    ctx: &HookContext,
    op: Operation,
    request: &Value,
) -> Response<ProxyBody> {
    const HOOK: &str = "after_request";
    let p = &guard.pipeline;
    let key = ctx.key(request, &credential(headers));
    let call = match guard.pending.take(&key) {
        Some(c) => c,
        // An after hook without its before hook: decided now, on the request it carries.
        None => match decide(guard, info, headers, ctx, op, request, HOOK).await {
            Ok((call, _)) => call,
            Err(reply) => return reply,
        },
    };
    let decision_id = call.decision_id.clone();
    let response = ctx.response.as_ref();
    let status = response.and_then(|r| r.status_code).unwrap_or(200);
    let Some(answer) = response
        .and_then(|r| r.json.as_ref())
        .filter(|v| v.is_object())
    else {
        // A streamed answer reaches the after hook without its body: nothing to inspect. Under an
        // enforcing output rule that fails the check (an uninspected answer is never passed).
        let enforcing = call.output.as_ref().is_some_and(|m| m.enforcing());
        p.guard_end(call, StreamEnd::Complete);
        guard.count(GATEWAY, HOOK, if enforcing { "block" } else { "allow" });
        return verdict(
            !enforcing,
            json!({"decision_id": decision_id, "inspected": false}),
        );
    };
    let body = Bytes::from(serde_json::to_vec(answer).unwrap_or_default());
    match p.guard_answer(call, status, ContentKind::Json, body) {
        Ok(Guarded::Unchanged) => {
            guard.count(GATEWAY, HOOK, "allow");
            verdict(true, json!({"decision_id": decision_id}))
        }
        Ok(Guarded::Rewritten(b)) => match serde_json::from_slice::<Value>(&b) {
            Ok(rewritten) => {
                guard.count(GATEWAY, HOOK, "redact");
                json(
                    StatusCode::OK,
                    &json!({
                        "verdict": true,
                        "data": {"decision_id": decision_id, "redacted": true},
                        "transformedData": {"response": {"json": rewritten}},
                    }),
                )
            }
            Err(_) => {
                guard.count(GATEWAY, HOOK, "block");
                verdict(
                    false,
                    json!({"decision_id": decision_id, "reason": "the redacted answer could not be handed back"}),
                )
            }
        },
        Err(err) => {
            guard.count(GATEWAY, HOOK, "block");
            verdict(
                false,
                json!({"decision_id": decision_id, "reason": refusal_message(&err, &decision_id)}),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(request_type: &str) -> HookContext {
        serde_json::from_value(json!({
            "eventType": "beforeRequestHook",
            "requestType": request_type,
            "request": {"json": {"model": "m", "messages": []}},
            "metadata": {"_user": "alice", "ai_system": "support"},
        }))
        .unwrap()
    }

    #[test]
    fn request_types_map_to_the_guarded_operations() {
        assert_eq!(
            hook("chatComplete").operation(),
            Ok(Operation::ChatCompletions)
        );
        assert_eq!(hook("complete").operation(), Ok(Operation::Completions));
        assert_eq!(hook("embed").operation(), Ok(Operation::Embeddings));
        assert_eq!(hook("messages").operation(), Ok(Operation::Messages));
        assert!(hook("imageGenerate").operation().is_err());
        let a = hook("chatComplete").asserted();
        assert_eq!(
            (a.user.as_deref(), a.ai_system.as_deref()),
            (Some("alice"), Some("support"))
        );
    }

    #[test]
    fn the_pairing_key_is_the_request_and_the_caller() {
        let h = hook("chatComplete");
        let a: Value =
            serde_json::from_str(r#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#)
                .unwrap();
        let b: Value =
            serde_json::from_str(r#"{"messages":[{"content":"x","role":"user"}],"model":"m"}"#)
                .unwrap();
        let other: Value = serde_json::from_str(r#"{"model":"m","messages":[]}"#).unwrap();
        assert_eq!(
            h.key(&a, "Bearer k"),
            h.key(&b, "Bearer k"),
            "member order does not matter"
        );
        assert_ne!(h.key(&a, "Bearer k"), h.key(&other, "Bearer k"));
        assert_ne!(
            h.key(&a, "Bearer k"),
            h.key(&a, "Bearer j"),
            "another caller's request"
        );
    }
}
