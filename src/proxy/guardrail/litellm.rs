//! LiteLLM's Generic Guardrail API (`guardrail: generic_guardrail_api`, LiteLLM 1.110): LiteLLM
//! POSTs `{api_base}/beta/litellm_basic_guardrail_api` with the texts of a request
//! (`input_type: "request"`, pre-call and during-call) or of an answer (`"response"`,
//! post-call), and applies the answer: `NONE` lets them through, `BLOCKED` refuses the call
//! with `blocked_reason` (LiteLLM's caller gets a 400), `GUARDRAIL_INTERVENED` with `texts` (the
//! same number, in order) replaces them.
//!
//! Mapping: the request's texts become the messages of an OpenAI chat request for `model`
//! (tool calls too, so their arguments are classified), run through the proxy's phases and
//! mapped back; the answer's texts become the choices of a chat completion. The credential is
//! the guardrail's `api_key` (LiteLLM sends it as `x-api-key`); the caller is
//! `request_data.user_api_key_user_id` (else the key alias), its groups the team and
//! organisation, all in that credential's namespace. The AI system is
//! `additional_provider_specific_params.ai_system`, else `[[guardrail.systems]]` by model.
//! Pre- and post-call are tied by `litellm_call_id`.

use serde::Deserialize;
use serde_json::{json, Value};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::pending;
use super::service::{failure_lets_through, json, refusal_message, Guardrail};
use crate::error::Error;
use crate::providers::Operation;
use crate::proxy::body::ProxyBody;
use crate::proxy::call::ConnInfo;
use crate::proxy::call::{Call, GuardOrigin};
use crate::proxy::inspect::ContentKind;
use crate::proxy::pipeline::guard::{Asserted, Guarded};

const GATEWAY: &str = "litellm";

/// The request LiteLLM sends (fields this contract reads; others are ignored, the contract
/// grows).
#[derive(Debug, Deserialize)]
pub struct GuardRequest {
    pub input_type: String,
    #[serde(default)]
    pub litellm_call_id: Option<String>,
    #[serde(default)]
    pub texts: Option<Vec<String>>,
    #[serde(default)]
    pub tool_calls: Option<Vec<Value>>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub request_data: Option<RequestData>,
    #[serde(default)]
    pub additional_provider_specific_params: Option<serde_json::Map<String, Value>>,
}

/// The caller as LiteLLM authenticated it (`user_api_key_*`, present when known).
#[derive(Debug, Default, Deserialize)]
pub struct RequestData {
    pub user_api_key_user_id: Option<String>,
    pub user_api_key_alias: Option<String>,
    pub user_api_key_team_id: Option<String>,
    pub user_api_key_team_alias: Option<String>,
    pub user_api_key_org_id: Option<String>,
}

impl GuardRequest {
    fn asserted(&self) -> Asserted {
        let d = self.request_data.as_ref();
        let user = d
            .and_then(|d| d.user_api_key_user_id.clone())
            .or_else(|| d.and_then(|d| d.user_api_key_alias.clone()));
        let mut groups = Vec::new();
        if let Some(d) = d {
            let team = d
                .user_api_key_team_alias
                .as_ref()
                .or(d.user_api_key_team_id.as_ref());
            groups.extend(team.map(|t| format!("team:{t}")));
            groups.extend(d.user_api_key_org_id.as_ref().map(|o| format!("org:{o}")));
        }
        let ai_system = self
            .additional_provider_specific_params
            .as_ref()
            .and_then(|p| p.get("ai_system"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Asserted {
            user,
            groups,
            ai_system,
            model: None,
        }
    }

    fn key(&self) -> Option<pending::Key> {
        self.litellm_call_id
            .as_ref()
            .filter(|id| !id.is_empty() && id.len() <= 256)
            .map(|id| (GATEWAY, id.clone()))
    }
}

/// `POST /beta/litellm_basic_guardrail_api`.
pub async fn handle(
    guard: &Guardrail,
    info: &ConnInfo,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    let (parts, body) = req.into_parts();
    let g: GuardRequest = match guard.read_json(GATEWAY, body).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    match g.input_type.as_str() {
        "request" => request(guard, info, &parts.headers, g).await,
        "response" => response(guard, info, &parts.headers, g).await,
        other => {
            let other: String = other.chars().take(32).collect();
            guard.bad(
                GATEWAY,
                StatusCode::BAD_REQUEST,
                &format!("`input_type` must be `request` or `response`, not `{other}`"),
            )
        }
    }
}

/// The chat request the texts stand for (its first messages are the texts, in order).
pub fn chat_request(g: &GuardRequest) -> Bytes {
    let mut messages: Vec<Value> = g
        .texts
        .iter()
        .flatten()
        .map(|t| json!({"role": "user", "content": t}))
        .collect();
    if let Some(calls) = g.tool_calls.as_ref().filter(|c| !c.is_empty()) {
        messages.push(json!({"role": "assistant", "content": null, "tool_calls": calls}));
    }
    let body = json!({ "model": g.model, "messages": messages });
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// The first `n` message texts of a (possibly redacted) [`chat_request`], and whether its
/// tool-call message differs from `original`'s.
pub fn request_texts(body: &[u8], n: usize, original: &[u8]) -> Option<(Vec<String>, bool)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let before: Value = serde_json::from_slice(original).ok()?;
    let messages = v.get("messages")?.as_array()?;
    let texts: Vec<String> = messages
        .iter()
        .take(n)
        .map(|m| {
            m.get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let tools_changed = messages.get(n) != before.get("messages")?.as_array()?.get(n);
    (texts.len() == n).then_some((texts, tools_changed))
}

/// The request phases on the chat request `g`'s texts stand for. `Err` is the answer already
/// given: a refusal (recorded), or a failure let through under `fail_open`.
async fn decide(
    guard: &Guardrail,
    info: &ConnInfo,
    headers: &http::HeaderMap,
    g: &GuardRequest,
    hook: &'static str,
) -> Result<(Call, Guarded), Response<ProxyBody>> {
    let p = &guard.pipeline;
    let origin = GuardOrigin {
        gateway: GATEWAY,
        hook,
    };
    let mut call = p.guard_call(info, headers, origin);
    let op = Operation::ChatCompletions;
    match p
        .guard_request(&mut call, info, headers, op, &g.asserted(), chat_request(g))
        .await
    {
        Ok(guarded) => Ok((call, guarded)),
        Err(err) => Err(refuse(guard, call, err, hook).await),
    }
}

async fn request(
    guard: &Guardrail,
    info: &ConnInfo,
    headers: &http::HeaderMap,
    g: GuardRequest,
) -> Response<ProxyBody> {
    const HOOK: &str = "pre_call";
    let p = &guard.pipeline;
    let n = g.texts.as_ref().map_or(0, Vec::len);
    let (call, guarded) = match decide(guard, info, headers, &g, HOOK).await {
        Ok(d) => d,
        Err(reply) => return reply,
    };
    if call.routed_from.is_some() {
        // LiteLLM's guardrail API hands back texts, not the model: a routing rule cannot be
        // applied through it, and the call must not go to the model the policy moved it off.
        return unappliable(
            guard,
            call,
            "guardrail_unroutable",
            "a policy routing rule sends this call to another model, which LiteLLM's guardrail API cannot apply",
            "send the call for that model, or use aimsgate as the proxy for this route",
        );
    }
    let body = chat_request(&g);
    let answer = match guarded {
        Guarded::Unchanged => {
            guard.count(GATEWAY, HOOK, "allow");
            json!({"action": "NONE"})
        }
        Guarded::Rewritten(b) => match request_texts(&b, n, &body) {
            Some((texts, false)) => {
                guard.count(GATEWAY, HOOK, "redact");
                json!({"action": "GUARDRAIL_INTERVENED", "texts": texts})
            }
            // A redaction inside tool-call arguments cannot be handed back through `texts`:
            // refused rather than sent unredacted.
            _ => {
                return unappliable(
                    guard,
                    call,
                    "guardrail_unrewritable",
                    "a redaction is needed inside tool-call arguments, which LiteLLM's guardrail API cannot rewrite",
                    "remove the data from the tool call, or use aimsgate as the proxy for this route",
                )
            }
        },
    };
    match g.key() {
        Some(key) => guard.pending.put(p, key, call),
        None => p.guard_end(call, crate::proxy::outcome::StreamEnd::Complete),
    }
    json(StatusCode::OK, &answer)
}

/// A decision LiteLLM's guardrail API cannot carry out (its answer holds texts only): the call
/// is refused instead, and its outcome says why (`code`).
fn unappliable(
    guard: &Guardrail,
    mut call: Call,
    code: &'static str,
    message: &str,
    fix: &str,
) -> Response<ProxyBody> {
    let err = Error::Refused {
        rule: call
            .decision
            .as_ref()
            .and_then(|d| d.rules.last())
            .map(|r| r.id.to_string())
            .unwrap_or_else(|| "default".into()),
        message: message.to_owned(),
        fix: fix.to_owned(),
    };
    guard.count(GATEWAY, "pre_call", "block");
    let message = refusal_message(&err, &call.decision_id);
    call.error_code = Some(code);
    guard
        .pipeline
        .guard_end(call, crate::proxy::outcome::StreamEnd::Blocked);
    json(
        StatusCode::OK,
        &json!({"action": "BLOCKED", "blocked_reason": message}),
    )
}

/// A refusal or a failure: recorded (decision record when none was committed), then
/// `BLOCKED` — or `NONE` when a failure may let the call through.
async fn refuse(
    guard: &Guardrail,
    call: Call,
    err: Error,
    hook: &'static str,
) -> Response<ProxyBody> {
    let through = failure_lets_through(&guard.pipeline.shared, &err);
    let message = refusal_message(&err, &call.decision_id);
    let _ = guard.pipeline.fail(call, err).await;
    if through {
        guard.count(GATEWAY, hook, "fail_open");
        return json(StatusCode::OK, &json!({"action": "NONE"}));
    }
    guard.count(GATEWAY, hook, "block");
    json(
        StatusCode::OK,
        &json!({"action": "BLOCKED", "blocked_reason": message}),
    )
}

async fn response(
    guard: &Guardrail,
    info: &ConnInfo,
    headers: &http::HeaderMap,
    mut g: GuardRequest,
) -> Response<ProxyBody> {
    const HOOK: &str = "post_call";
    let p = &guard.pipeline;
    let texts = g.texts.take().unwrap_or_default();
    g.tool_calls = None;
    let call = match g.key().and_then(|k| guard.pending.take(&k)) {
        Some(c) => c,
        // An answer check without its request check (the guardrail runs post-call only):
        // decided now, with no request text, so the answer is judged under this caller's
        // output rules.
        None => match decide(guard, info, headers, &g, HOOK).await {
            Ok((call, _)) => call,
            Err(reply) => return reply,
        },
    };
    // The texts stand for the choices of a chat completion.
    let choices: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"})
        })
        .collect();
    let body = json!({"object": "chat.completion", "model": g.model, "choices": choices});
    let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    let decision_id = call.decision_id.clone();
    match p.guard_answer(call, 200, ContentKind::Json, body) {
        Ok(Guarded::Unchanged) => {
            guard.count(GATEWAY, HOOK, "allow");
            json(StatusCode::OK, &json!({"action": "NONE"}))
        }
        Ok(Guarded::Rewritten(b)) => {
            let rewritten: Option<Vec<String>> =
                serde_json::from_slice::<Value>(&b).ok().and_then(|v| {
                    v.get("choices")?
                        .as_array()?
                        .iter()
                        .map(|c| Some(c.pointer("/message/content")?.as_str()?.to_owned()))
                        .collect()
                });
            match rewritten.filter(|t| t.len() == texts.len()) {
                Some(texts) => {
                    guard.count(GATEWAY, HOOK, "redact");
                    json(
                        StatusCode::OK,
                        &json!({"action": "GUARDRAIL_INTERVENED", "texts": texts}),
                    )
                }
                None => {
                    guard.count(GATEWAY, HOOK, "block");
                    let message = format!("the redacted answer could not be handed back (aimsgate decision {decision_id})");
                    json(
                        StatusCode::OK,
                        &json!({"action": "BLOCKED", "blocked_reason": message}),
                    )
                }
            }
        }
        Err(err) => {
            guard.count(GATEWAY, HOOK, "block");
            json(
                StatusCode::OK,
                &json!({"action": "BLOCKED", "blocked_reason": refusal_message(&err, &decision_id)}),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(texts: Vec<String>) -> GuardRequest {
        GuardRequest {
            input_type: "request".into(),
            litellm_call_id: Some("c".into()),
            texts: Some(texts),
            tool_calls: None,
            model: Some("gpt-4o-mini".into()),
            request_data: None,
            additional_provider_specific_params: None,
        }
    }

    proptest::proptest! {
        /// Whatever the texts, the chat request aimsgate judges gives them back unchanged.
        #[test]
        fn texts_survive_the_round_trip(texts in proptest::collection::vec(".{0,40}", 0..6)) {
            let g = request(texts.clone());
            let body = chat_request(&g);
            let (back, tools) = request_texts(&body, texts.len(), &body).unwrap();
            proptest::prop_assert_eq!(back, texts);
            proptest::prop_assert!(!tools);
        }
    }

    #[test]
    fn the_caller_is_the_key_owner_in_teams_and_orgs() {
        let g: GuardRequest = serde_json::from_str(
            r#"{"input_type":"request","texts":["hi"],"request_data":{"user_api_key_alias":"ci-key","user_api_key_team_alias":"payments","user_api_key_org_id":"o1","user_api_key_end_user_id":"spoofable"},"additional_provider_specific_params":{"ai_system":"support"}}"#,
        )
        .unwrap();
        let a = g.asserted();
        assert_eq!(
            a.user.as_deref(),
            Some("ci-key"),
            "the end user id the client sets is not the caller"
        );
        assert_eq!(a.groups, ["team:payments", "org:o1"]);
        assert_eq!(a.ai_system.as_deref(), Some("support"));
        assert_eq!(g.key(), None, "no call id, no answer check to wait for");
    }

    #[test]
    fn a_changed_tool_call_is_seen() {
        let mut g = request(vec!["a".into()]);
        g.tool_calls = Some(vec![
            serde_json::json!({"id": "t", "function": {"arguments": "x"}}),
        ]);
        let body = chat_request(&g);
        let changed = String::from_utf8(body.to_vec())
            .unwrap()
            .replace("\"x\"", "\"[redacted]\"");
        let (texts, tools) = request_texts(changed.as_bytes(), 1, &body).unwrap();
        assert_eq!(texts, ["a"]);
        assert!(tools);
    }
}
