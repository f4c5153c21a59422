//! Guardrail mode (`[guardrail]`, `serve --guardrail-listen`): the LiteLLM and Portkey webhook
//! contracts driven with the bodies those gateways send (captured from LiteLLM 1.110.2 and
//! Portkey 1.15.2), and Envoy's ext_proc driven by a gRPC client built from Envoy's published
//! protos (`envoy-types`). Each guarded call leaves a decision record marked with the calling
//! gateway and, once its answer was checked, an outcome record for the same decision. The real
//! LiteLLM and Portkey gateways are driven in `guardrail_e2e.rs`.

use std::time::Duration;

use envoy_types::pb::envoy::config::core::v3::{HeaderMap as EnvoyHeaders, HeaderValue};
use envoy_types::pb::envoy::service::ext_proc::v3::{
    body_mutation::Mutation, external_processor_client::ExternalProcessorClient,
    processing_request::Request as Req, processing_response::Response as Resp, HttpBody,
    HttpHeaders, ProcessingRequest, ProcessingResponse, ProtocolConfiguration,
};
use serde_json::{json, Value};

use crate::support::*;

pub const CARD: &str = "4539 1488 0343 6467";
pub const SECRET: &str = "aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o";

pub fn guard_config(mock: &MockProvider, extra: &str) -> String {
    config(
        mock,
        &format!(
            "[guardrail]\nlisten = \"127.0.0.1:0\"\npending_ttl = \"3s\"\n{extra}\n[[guardrail.systems]]\nmodel = \"gpt-4o*\"\nai_system = \"general-assistant\"\n"
        ),
    )
}

fn guard_url(gw: &Gateway, path: &str) -> String {
    format!("http://{}{path}", gw.guardrail.expect("guardrail listener"))
}

const LITELLM: &str = "/beta/litellm_basic_guardrail_api";
const GUARD_KEY: (&str, &str) = ("x-api-key", "sk-litellm-guard-key-0001");

fn litellm_body(input_type: &str, call_id: &str, texts: &[&str]) -> String {
    json!({
        "input_type": input_type,
        "litellm_call_id": call_id,
        "litellm_trace_id": "7701f1da-c170-4230-a65d-85dcd26722fa",
        "structured_messages": null,
        "images": null,
        "tools": null,
        "texts": texts,
        "request_data": {"user_api_key_hash": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b", "user_api_key_user_id": "u-42", "user_api_key_team_id": "payments"},
        "request_headers": {"content-type": "application/json"},
        "litellm_version": "1.110.2",
        "additional_provider_specific_params": {},
        "tool_calls": null,
        "model": "gpt-4o-mini",
    })
    .to_string()
}

#[tokio::test]
async fn litellm_contract_redacts_refuses_and_checks_the_answer_under_the_same_decision() {
    let mock = mock().await;
    let gw = Gateway::start(&guard_config(&mock, "")).await;
    let url = guard_url(&gw, LITELLM);
    // A card number: rewritten in place, same number of texts.
    let body = litellm_body(
        "request",
        "call-1",
        &["be brief", &format!("charge {CARD} now")],
    );
    let r = post(&url, &[GUARD_KEY], &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["action"], "GUARDRAIL_INTERVENED", "{v}");
    let texts = v["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[0], "be brief");
    let t1 = texts[1].as_str().unwrap();
    assert!(
        !t1.contains(CARD) && t1.starts_with("charge ") && t1.ends_with(" now"),
        "{t1}"
    );
    // A credential: blocked, the reason names the rule and the decision.
    let body = litellm_body("request", "call-2", &[&format!("why? {SECRET}")]);
    let v = post(&url, &[GUARD_KEY], &body).await.json();
    assert_eq!(v["action"], "BLOCKED", "{v}");
    let reason = v["blocked_reason"].as_str().unwrap();
    assert!(reason.contains("aimsgate decision"), "{reason}");
    assert!(!reason.contains("Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"));
    // Clean text: NONE. Its answer check (post_call, same call id) carries a card: observed
    // under the baseline's output rules, so NONE too, and the outcome names the decision.
    let v = post(
        &url,
        &[GUARD_KEY],
        &litellm_body("request", "call-3", &["hello"]),
    )
    .await
    .json();
    assert_eq!(v["action"], "NONE", "{v}");
    let v = post(
        &url,
        &[GUARD_KEY],
        &litellm_body("response", "call-3", &[&format!("card {CARD}")]),
    )
    .await
    .json();
    assert_eq!(v["action"], "NONE", "{v}");
    assert!(
        mock.received().is_empty(),
        "guardrail mode forwards nothing itself"
    );
    // Malformed and unknown bodies: a clear 400, no decision.
    let bad = post(&url, &[GUARD_KEY], "{not json").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.text().contains("not the expected JSON"),
        "{}",
        bad.text()
    );
    let bad = post(&url, &[GUARD_KEY], r#"{"input_type":"sideways"}"#).await;
    assert_eq!(bad.status, 400);
    let nf = post(&guard_url(&gw, "/nope"), &[], "{}").await;
    assert_eq!(nf.status, 404);

    let records = export_records(&gw.data_dir());
    let decisions: Vec<&Value> = records
        .iter()
        .map(|r| &r["kind"]["Decision"])
        .filter(|d| d["guardrail_gateway"] == "litellm")
        .collect();
    assert_eq!(decisions.len(), 3, "{decisions:?}");
    let effects: Vec<&str> = decisions
        .iter()
        .map(|d| d["effect"].as_str().unwrap())
        .collect();
    assert_eq!(effects, ["EFFECT_REDACT", "EFFECT_BLOCK", "EFFECT_ALLOW"]);
    for d in &decisions {
        assert_eq!(d["guardrail_hook"], "pre_call");
        assert_eq!(d["ai_system_id"], "general-assistant");
        assert_eq!(d["requested_model"], "gpt-4o-mini");
        assert_eq!(d["upstream"], "openai");
        let p = d["principal_id"].as_str().unwrap();
        assert!(
            p.ends_with("/u-42"),
            "the gateway's user, in its credential's namespace: {p}"
        );
    }
    // The allowed call's outcome came with its answer check: the card in the answer counted.
    let allowed = decisions[2]["decision_id"].as_str().unwrap();
    let o = outcome_eventually(&gw.data_dir(), allowed).await;
    let classes: Vec<&str> = o["output_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["class"].as_str().unwrap())
        .collect();
    assert!(classes.iter().any(|c| c.starts_with("financial.")), "{o}");
    // The redacted call never got its answer check: recorded once it waited pending_ttl.
    let redacted = decisions[0]["decision_id"].as_str().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while outcome_of(&export_records(&gw.data_dir()), redacted).is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no outcome after pending_ttl"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let m = metrics(&gw).await;
    assert!(
        m.contains(r#"aimsgate_guardrail_verdicts_total{gateway="litellm",hook="pre_call",verdict="redact"} 1"#),
        "{m}"
    );
    assert!(!gw.logs().contains(CARD), "no prompt text in the logs");
}

#[tokio::test]
async fn guardrail_failures_answer_per_fail_open() {
    for fail_open in [false, true] {
        let mock = mock().await;
        let extra = format!("fail_open = {fail_open}\n");
        let cfg = guard_config(&mock, &extra) + "[evidence]\nsegment_bytes = 1\n";
        let gw = Gateway::start(&cfg).await;
        let url = guard_url(&gw, LITELLM);
        let v = post(&url, &[GUARD_KEY], &litellm_body("request", "c0", &["hi"]))
            .await
            .json();
        assert_eq!(v["action"], "NONE");
        // The evidence log's disk is full from here on.
        let log = gw.data_dir().join("log");
        for seq in 0..2000u64 {
            let _ = std::os::unix::fs::symlink("/dev/full", log.join(format!("{seq:020}.seg")));
        }
        let v = post(&url, &[GUARD_KEY], &litellm_body("request", "c1", &["hi"]))
            .await
            .json();
        let want = if fail_open { "NONE" } else { "BLOCKED" };
        assert_eq!(v["action"], want, "fail_open = {fail_open}: {v}");
        let verdict = if fail_open { "fail_open" } else { "block" };
        let m = metrics(&gw).await;
        assert!(
            m.contains(&format!(
                r#"aimsgate_guardrail_verdicts_total{{gateway="litellm",hook="pre_call",verdict="{verdict}"}} 1"#
            )),
            "{m}"
        );
    }
}

const PORTKEY: &str = "/portkey/webhook";
const PK_AUTH: (&str, &str) = ("authorization", "Bearer sk-portkey-hook-key-0002");

fn portkey_request(content: &str) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": content}]})
}

fn portkey_hook(event: &str, request: &Value, response: Value) -> String {
    json!({
        "request": {"json": request, "text": "", "isStreamingRequest": false, "isTransformed": false},
        "response": response,
        "provider": "openai",
        "requestType": "chatComplete",
        "metadata": {"_user": "alice", "team": "red"},
        "eventType": event,
    })
    .to_string()
}

fn no_response() -> Value {
    json!({"json": {}, "text": "", "statusCode": null, "isTransformed": false})
}

#[tokio::test]
async fn portkey_contract_transforms_denies_and_pairs_the_after_hook() {
    let mock = mock().await;
    let gw = Gateway::start(&guard_config(&mock, "")).await;
    let url = guard_url(&gw, PORTKEY);
    // A card: verdict true with the redacted request as transformedData.
    let req = portkey_request(&format!("charge {CARD}"));
    let v = post(
        &url,
        &[PK_AUTH],
        &portkey_hook("beforeRequestHook", &req, no_response()),
    )
    .await
    .json();
    assert_eq!(v["verdict"], true, "{v}");
    let sent = v["transformedData"]["request"]["json"].clone();
    let content = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        !content.contains(CARD) && content.starts_with("charge "),
        "{content}"
    );
    assert_eq!(sent["messages"][0]["content"], "be nice");
    // The after hook carries the request as sent (the transformed one) and the answer.
    let answer = json!({"json": {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "done"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}},
        "text": "done", "statusCode": 200, "isTransformed": false});
    let v = post(
        &url,
        &[PK_AUTH],
        &portkey_hook("afterRequestHook", &sent, answer),
    )
    .await
    .json();
    assert_eq!(v["verdict"], true, "{v}");
    let first = v["data"]["decision_id"].as_str().unwrap().to_owned();
    // A credential: verdict false (Portkey answers its caller 446 under `deny: true`).
    let v = post(
        &url,
        &[PK_AUTH],
        &portkey_hook("beforeRequestHook", &portkey_request(SECRET), no_response()),
    )
    .await
    .json();
    assert_eq!(v["verdict"], false, "{v}");
    assert!(v["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("refused by aimsgate policy"));
    let bad = post(
        &url,
        &[PK_AUTH],
        r#"{"eventType":"beforeRequestHook","requestType":"imageGenerate","request":{"json":{}}}"#,
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text());

    let records = export_records(&gw.data_dir());
    let d = decision_of(&records, &first);
    assert_eq!(d["guardrail_gateway"], "portkey");
    assert_eq!(d["guardrail_hook"], "before_request");
    assert_eq!(d["effect"], "EFFECT_REDACT");
    assert!(
        d["principal_id"].as_str().unwrap().ends_with("/alice"),
        "{d}"
    );
    let o = outcome_eventually(&gw.data_dir(), &first).await;
    assert_eq!(
        o["output_tokens"], 2,
        "usage from the answer the after hook carried: {o}"
    );
    let portkey_decisions = records
        .iter()
        .filter(|r| r["kind"]["Decision"]["guardrail_gateway"] == "portkey")
        .count();
    assert_eq!(portkey_decisions, 2, "the after hook found its decision");
}

fn headers(pairs: &[(&str, &str)], end_of_stream: bool) -> HttpHeaders {
    HttpHeaders {
        headers: Some(EnvoyHeaders {
            headers: pairs
                .iter()
                .map(|(k, v)| HeaderValue {
                    key: (*k).into(),
                    value: String::new(),
                    raw_value: v.as_bytes().to_vec(),
                })
                .collect(),
        }),
        end_of_stream,
        ..Default::default()
    }
}

fn msg(r: Req) -> ProcessingRequest {
    ProcessingRequest {
        request: Some(r),
        ..Default::default()
    }
}

fn body(b: &str, end_of_stream: bool) -> HttpBody {
    HttpBody {
        body: b.as_bytes().to_vec(),
        end_of_stream,
        ..Default::default()
    }
}

/// One ext_proc stream: send `msgs`, return one answer per message.
async fn ext_proc(gw: &Gateway, msgs: Vec<ProcessingRequest>) -> Vec<ProcessingResponse> {
    let url = format!("http://{}", gw.guardrail.unwrap());
    let mut client = ExternalProcessorClient::connect(url).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let outbound = futures_util::stream::unfold(
        rx,
        |mut rx: tokio::sync::mpsc::Receiver<ProcessingRequest>| async move {
            rx.recv().await.map(|m| (m, rx))
        },
    );
    let mut inbound = client.process(outbound).await.unwrap().into_inner();
    let mut answers = Vec::new();
    for m in msgs {
        tx.send(m).await.unwrap();
        let a = tokio::time::timeout(Duration::from_secs(10), inbound.message())
            .await
            .expect("an answer per message")
            .unwrap()
            .expect("stream open");
        let immediate = matches!(a.response, Some(Resp::ImmediateResponse(_)));
        answers.push(a);
        if immediate {
            break;
        }
    }
    answers
}

fn mutation(a: &ProcessingResponse) -> Option<Mutation> {
    let c = match a.response.as_ref()? {
        Resp::RequestBody(b) | Resp::ResponseBody(b) => b.response.as_ref()?,
        _ => return None,
    };
    c.body_mutation.as_ref()?.mutation.clone()
}

const REQ_HEADERS: &[(&str, &str)] = &[
    (":method", "POST"),
    (":path", "/v1/chat/completions"),
    (":authority", "api.openai.com"),
    ("content-type", "application/json"),
    ("authorization", "Bearer sk-caller-test-key-1234"),
    ("x-aimsgate-ai-system", "general-assistant"),
];

#[tokio::test]
async fn ext_proc_redacts_refuses_and_inspects_answers() {
    let mock = mock().await;
    let gw = Gateway::start(&guard_config(&mock, "")).await;
    // Buffered request body with a card: the body is replaced, the card gone.
    let chat = format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"charge {CARD}"}}]}}"#
    );
    let answer = r#"{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}}"#;
    let a = ext_proc(
        &gw,
        vec![
            msg(Req::RequestHeaders(headers(REQ_HEADERS, false))),
            msg(Req::RequestBody(body(&chat, true))),
            msg(Req::ResponseHeaders(headers(
                &[(":status", "200"), ("content-type", "application/json")],
                false,
            ))),
            msg(Req::ResponseBody(body(answer, true))),
        ],
    )
    .await;
    assert_eq!(a.len(), 4);
    let Some(Mutation::Body(sent)) = mutation(&a[1]) else {
        panic!("the request body is replaced: {:?}", a[1]);
    };
    let sent = String::from_utf8(sent).unwrap();
    assert!(!sent.contains(CARD) && sent.contains("charge "), "{sent}");
    assert!(
        mutation(&a[3]).is_none(),
        "an answer without findings passes unchanged"
    );

    // A streamed request body (two chunks): the first held back, the whole sent last.
    let (head, tail) = chat.split_at(20);
    let a = ext_proc(
        &gw,
        vec![
            msg(Req::RequestHeaders(headers(REQ_HEADERS, false))),
            msg(Req::RequestBody(body(head, false))),
            msg(Req::RequestBody(body(tail, true))),
        ],
    )
    .await;
    assert_eq!(mutation(&a[1]), Some(Mutation::ClearBody(true)));
    let Some(Mutation::Body(sent)) = mutation(&a[2]) else {
        panic!("the whole body goes in the last chunk's place: {:?}", a[2]);
    };
    assert!(!String::from_utf8(sent).unwrap().contains(CARD));

    // A credential: an ImmediateResponse in OpenAI's error shape, with the decision id.
    let secret = format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"why? {SECRET}"}}]}}"#
    );
    let a = ext_proc(
        &gw,
        vec![
            msg(Req::RequestHeaders(headers(REQ_HEADERS, false))),
            msg(Req::RequestBody(body(&secret, true))),
        ],
    )
    .await;
    let Some(Resp::ImmediateResponse(im)) = a[1].response.clone() else {
        panic!("refused: {:?}", a[1]);
    };
    assert_eq!(im.status.unwrap().code, 403);
    let err: Value = serde_json::from_slice(&im.body).unwrap();
    assert_eq!(err["error"]["code"], "policy_refused", "{err}");
    let id_header = im
        .headers
        .unwrap()
        .set_headers
        .into_iter()
        .filter_map(|h| h.header)
        .find(|h| h.key == "x-aimsgate-decision-id")
        .expect("decision id header");
    let refused_id = String::from_utf8(id_header.raw_value).unwrap();

    // No credential at all: refused at the request headers, in the route's shape.
    let a = ext_proc(
        &gw,
        vec![msg(Req::RequestHeaders(headers(
            &[
                (":method", "POST"),
                (":path", "/v1/messages"),
                ("content-type", "application/json"),
            ],
            false,
        )))],
    )
    .await;
    let Some(Resp::ImmediateResponse(im)) = a[0].response.clone() else {
        panic!("refused: {:?}", a[0]);
    };
    assert_eq!(im.status.unwrap().code, 401);
    let err: Value = serde_json::from_slice(&im.body).unwrap();
    assert_eq!(err["type"], "error", "Anthropic's error shape: {err}");

    // An event-stream answer is inspected as it streams: chunks pass, the stream ends clean.
    let sse = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
    let a = ext_proc(
        &gw,
        vec![
            msg(Req::RequestHeaders(headers(REQ_HEADERS, false))),
            msg(Req::RequestBody(body(r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#, true))),
            msg(Req::ResponseHeaders(headers(&[(":status", "200"), ("content-type", "text/event-stream")], false))),
            msg(Req::ResponseBody(body(sse, false))),
            msg(Req::ResponseBody(body("data: [DONE]\n\n", true))),
        ],
    )
    .await;
    assert_eq!(a.len(), 5);
    assert!(matches!(a[2].response, Some(Resp::ResponseHeaders(_))));

    let records = export_records(&gw.data_dir());
    let d = decision_of(&records, &refused_id);
    assert_eq!(d["guardrail_gateway"], "envoy_ext_proc");
    assert_eq!(d["effect"], "EFFECT_BLOCK");
    assert_eq!(d["http_status"], 403);
    let ext: Vec<&Value> = records
        .iter()
        .map(|r| &r["kind"]["Decision"])
        .filter(|d| d["guardrail_gateway"] == "envoy_ext_proc")
        .collect();
    assert_eq!(ext.len(), 5, "one decision per stream: {ext:?}");
    let first = ext[0]["decision_id"].as_str().unwrap();
    let o = outcome_eventually(&gw.data_dir(), first).await;
    assert_eq!(o["upstream_status"], 200);
    assert_eq!(o["output_tokens"], 1, "{o}");
    let streamed = ext[4]["decision_id"].as_str().unwrap();
    let o = outcome_eventually(&gw.data_dir(), streamed).await;
    assert_eq!(o["stream"], true, "{o}");
    assert!(mock.received().is_empty());
}

#[tokio::test]
async fn ext_proc_refuses_a_filter_that_would_not_show_it_the_body() {
    let mock = mock().await;
    let gw = Gateway::start(&guard_config(&mock, "")).await;
    let immediate = |a: &ProcessingResponse| match a.response.clone() {
        Some(Resp::ImmediateResponse(im)) => im,
        other => panic!("refused: {other:?}"),
    };
    // The filter says it sends no request body: refused at the headers.
    let mut first = msg(Req::RequestHeaders(headers(REQ_HEADERS, false)));
    first.protocol_config = Some(ProtocolConfiguration {
        request_body_mode: 0,
        ..Default::default()
    });
    let a = ext_proc(&gw, vec![first]).await;
    let im = immediate(&a[0]);
    assert_eq!(im.status.unwrap().code, 403);
    assert!(String::from_utf8_lossy(&im.body).contains("request_body_mode"));
    // A filter that does not say, and then sends the answer without the body: withheld.
    let a = ext_proc(
        &gw,
        vec![
            msg(Req::RequestHeaders(headers(REQ_HEADERS, false))),
            msg(Req::ResponseHeaders(headers(
                &[(":status", "200"), ("content-type", "application/json")],
                false,
            ))),
        ],
    )
    .await;
    let im = immediate(&a[1]);
    assert_eq!(im.status.unwrap().code, 403);
    let records = export_records(&gw.data_dir());
    let refused = records
        .iter()
        .map(|r| &r["kind"]["Decision"])
        .filter(|d| d["guardrail_gateway"] == "envoy_ext_proc" && d["effect"] == "EFFECT_BLOCK")
        .count();
    assert_eq!(refused, 2, "both recorded as refusals");
}
