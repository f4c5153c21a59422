//! Telemetry through the real binary: `/metrics` counters and histograms after traffic, spans
//! exported over OTLP/HTTP to an in-process receiver with the GenAI attributes, and JSON logs
//! that carry ids and decisions but never the prompt.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::support::*;

const PII_CHAT: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Refund card 4539 1488 0343 6467 for zebra-marker-7781 please"}]}"#;

/// The value of the first sample line starting with `prefix` and containing every label.
fn sample(text: &str, prefix: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .find(|l| labels.iter().all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_calls_decisions_findings_tokens_and_latency() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    for _ in 0..2 {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, sys],
        PII_CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let secret = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"}]}"#;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], secret).await;
    assert_eq!(r.status, 403);
    let r = post(&gw.url("/v1/chat/completions"), &[sys], CHAT).await;
    assert_eq!(r.status, 401);
    let resp = open_stream(&gw.url("/v1/chat/completions"), "gpt-4o-mini").await;
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap();

    // The streamed call's last phase runs after its body ended; time to first token is the
    // last metric it records. A scrape that overlaps that phase may see only part of it, so
    // once it shows the stream, scrape again: that page was rendered after the phase finished.
    metrics_until(&gw, |m| {
        sample(m, "aimsgate_time_to_first_token_seconds_count{", &[]).is_some()
    })
    .await;
    let m = metrics(&gw).await;
    let ok = sample(
        &m,
        "aimsgate_requests_total{",
        &[
            "ai_system=\"general-assistant\"",
            "upstream=\"openai\"",
            "model=\"gpt-4o*\"",
            "operation=\"chat\"",
            "effect=\"allow\"",
            "status=\"200\"",
        ],
    );
    assert_eq!(ok, Some(2.0), "{m}");
    assert_eq!(
        sample(
            &m,
            "aimsgate_requests_total{",
            &["effect=\"block\"", "status=\"403\""]
        ),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "aimsgate_requests_total{",
            &["effect=\"error\"", "status=\"401\""]
        ),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "aimsgate_decisions_total{", &["effect=\"redact\""]),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "aimsgate_findings_total{",
            &[
                "class=\"financial.credit_card\"",
                "direction=\"request\"",
                "action=\"redacted\""
            ]
        ),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "aimsgate_rule_matches_total{",
            &["rule=\"block-secrets\"", "mode=\"enforced\""]
        ),
        Some(1.0),
        "{m}"
    );
    assert!(
        sample(
            &m,
            "aimsgate_gen_ai_tokens_total{",
            &["token_type=\"input\""]
        )
        .unwrap_or(0.0)
            > 0.0,
        "{m}"
    );
    assert!(
        sample(
            &m,
            "aimsgate_gen_ai_tokens_total{",
            &["token_type=\"output\""]
        )
        .unwrap_or(0.0)
            > 0.0,
        "{m}"
    );
    assert_eq!(
        sample(&m, "aimsgate_request_duration_seconds_count{", &["operation=\"chat\"", "upstream=\"openai\""]),
        Some(5.0),
        "two clean calls, the redacted one, the refused one (after upstream selection) and the stream: {m}"
    );
    assert!(
        sample(&m, "aimsgate_added_latency_seconds_count{", &[]).is_some(),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "aimsgate_time_to_first_token_seconds_count{",
            // The stream names no AI system and no routing pattern matches its model: the label
            // is `other`, never the caller's string.
            &["model=\"other\""]
        ),
        Some(1.0),
        "{m}"
    );
    // Four decisions were made durable before forwarding (the refusals are recorded after).
    assert_eq!(
        sample(&m, "aimsgate_evidence_append_seconds_count", &[]),
        Some(4.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "aimsgate_evidence_healthy", &[]),
        Some(1.0),
        "{m}"
    );
    assert!(
        sample(&m, "aimsgate_evidence_records", &[]).unwrap_or(0.0) >= 8.0,
        "{m}"
    );
    assert!(
        !m.contains("zebra-marker-7781") && !m.contains("4539"),
        "no content in metrics"
    );
    assert!(!m.contains("sk-caller"), "no credentials in metrics");

    // The page passes Prometheus's own linter, in the text format it reads (fails, never
    // skips, when promtool is missing: `.ci/run` installs Debian's `prometheus`).
    assert!(
        std::path::Path::new(PROMTOOL).exists(),
        "{PROMTOOL} is missing: install it with `apt-get install -y prometheus`"
    );
    let mut lint = std::process::Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        lint.stdin.take().unwrap().write_all(m.as_bytes()).unwrap();
    }
    let out = lint.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{m}"
    );
    assert!(
        m.contains("# TYPE aimsgate_requests_total counter") && !m.contains("# EOF"),
        "{m}"
    );
    // Prometheus itself asks for OpenMetrics and gets it.
    let om = send(
        http::Method::GET,
        &format!("http://{}/metrics", gw.admin),
        &[(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )],
        "",
    )
    .await;
    assert_eq!(om.status, 200);
    assert!(
        om.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        om.headers
    );
    assert!(om.text().trim_end().ends_with("# EOF"), "{}", om.text());
    assert!(om.text().contains("# TYPE aimsgate_requests counter"));
}

/// Prometheus's linter (Debian's `prometheus` package).
const PROMTOOL: &str = "/usr/bin/promtool";

/// A minimal OTLP/HTTP receiver: keeps every `/v1/traces` request body.
async fn otlp_receiver() -> (std::net::SocketAddr, Arc<Mutex<Vec<Bytes>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let store = bodies.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let store = store.clone();
                    async move {
                        let path = req.uri().path().to_owned();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        if path == "/v1/traces" {
                            store.lock().unwrap().push(body);
                        }
                        let mut r = http::Response::new(Full::new(Bytes::new()));
                        r.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/x-protobuf"),
                        );
                        Ok::<_, Infallible>(r)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, bodies)
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a any_value::Value> {
    span.attributes
        .iter()
        .find(|kv: &&KeyValue| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v: &AnyValue| v.value.as_ref())
}

fn text(span: &Span, key: &str) -> Option<String> {
    match attr(span, key)? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(span: &Span, key: &str) -> Option<i64> {
    match attr(span, key)? {
        any_value::Value::IntValue(i) => Some(*i),
        _ => None,
    }
}

fn array(span: &Span, key: &str) -> Vec<String> {
    match attr(span, key) {
        Some(any_value::Value::ArrayValue(a)) => a
            .values
            .iter()
            .filter_map(|v| match v.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn spans_follow_the_genai_conventions_and_continue_the_callers_trace() {
    let mock = mock().await;
    let (otlp, bodies) = otlp_receiver().await;
    let endpoint = format!("http://{otlp}");
    let gw = Gateway::start_env(
        &config(&mock, ""),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_SERVICE_NAME", "gw-test"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, sys, ("traceparent", parent)],
        PII_CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let redacted_id = r.decision_id().to_owned();
    let upstream_parent = mock.received()[0]
        .headers
        .get("traceparent")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let r = post(&gw.url("/v1/messages"), &[ANTHROPIC_AUTH], MESSAGES).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post(&gw.url("/v1/chat/completions"), &[sys], CHAT).await;
    assert_eq!(r.status, 401);
    let refused_id = r.decision_id().to_owned();
    gw.stop().await; // shutdown flushes the batch exporter

    let raw: Vec<Bytes> = bodies.lock().unwrap().clone();
    assert!(!raw.is_empty(), "the collector received no export");
    for b in &raw {
        let s = String::from_utf8_lossy(b);
        assert!(
            !s.contains("zebra-marker-7781") && !s.contains("4539"),
            "no content in spans"
        );
        assert!(
            !s.contains("sk-caller") && !s.contains("sk-upstream"),
            "no credentials in spans"
        );
    }
    let mut spans = Vec::new();
    for b in &raw {
        let req = ExportTraceServiceRequest::decode(b.as_ref()).unwrap();
        for rs in req.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
                .and_then(|kv| kv.value.as_ref())
                .and_then(|v| v.value.clone());
            assert_eq!(
                service,
                Some(any_value::Value::StringValue("gw-test".into()))
            );
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
    }
    assert_eq!(spans.len(), 3, "one span per call");
    let by_id = |id: &str| {
        spans
            .iter()
            .find(|s| text(s, "aimsgate.decision.id").as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no span for {id}"))
    };

    let s = by_id(&redacted_id);
    assert_eq!(s.name, "chat gpt-4o-mini");
    assert_eq!(hex(&s.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&s.parent_span_id), "00f067aa0ba902b7");
    assert_eq!(
        upstream_parent,
        format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", hex(&s.span_id)),
        "the span is the parent the upstream saw"
    );
    assert_eq!(text(s, "gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(text(s, "gen_ai.provider.name").as_deref(), Some("openai"));
    assert_eq!(
        text(s, "gen_ai.request.model").as_deref(),
        Some("gpt-4o-mini")
    );
    assert!(int(s, "gen_ai.usage.input_tokens").unwrap_or(0) > 0);
    assert!(int(s, "gen_ai.usage.output_tokens").unwrap_or(0) > 0);
    assert_eq!(text(s, "server.address").as_deref(), Some("127.0.0.1"));
    assert_eq!(int(s, "http.response.status_code"), Some(200));
    assert_eq!(
        text(s, "aimsgate.decision.effect").as_deref(),
        Some("redact")
    );
    assert!(!array(s, "aimsgate.decision.rule_ids").is_empty());
    assert_eq!(
        array(s, "aimsgate.request.data_classes"),
        vec!["financial.credit_card".to_owned()]
    );
    assert_eq!(
        text(s, "aimsgate.ai_system.id").as_deref(),
        Some("general-assistant")
    );
    assert!(s.end_time_unix_nano > s.start_time_unix_nano);

    let a = spans
        .iter()
        .find(|s| text(s, "gen_ai.provider.name").as_deref() == Some("anthropic"))
        .expect("the Anthropic call's span");
    assert_eq!(a.name, "chat claude-sonnet-4-5");
    assert!(a.parent_span_id.is_empty(), "no traceparent: a new trace");

    let refused = by_id(&refused_id);
    assert_eq!(
        text(refused, "error.type").as_deref(),
        Some("unauthenticated")
    );
    assert_eq!(int(refused, "http.response.status_code"), Some(401));
    assert_eq!(
        text(refused, "aimsgate.decision.effect").as_deref(),
        Some("error")
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn json_logs_carry_ids_and_decisions_but_no_content() {
    let mock = mock().await;
    let gw = Gateway::start(&config(
        &mock,
        "[telemetry]\nlog_format = \"json\"\nlog_level = \"debug\"\n",
    ))
    .await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, sys],
        PII_CHAT,
    )
    .await;
    assert_eq!(r.status, 200);
    let id = r.decision_id().to_owned();
    let mut logs = String::new();
    for _ in 0..50 {
        logs = gw.logs();
        if logs.contains(&id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    let call = lines
        .iter()
        .find(|l| l["decision_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no access log line for {id}: {logs}"));
    assert_eq!(call["message"], "call");
    assert_eq!(call["effect"], "redact");
    assert_eq!(call["ai_system"], "general-assistant");
    assert_eq!(call["status"], 200);
    assert!(call["level"].is_string() && call["timestamp"].is_string());
    assert!(!logs.contains("zebra-marker-7781") && !logs.contains("4539 1488"));
    assert!(!logs.contains("sk-caller-test-key") && !logs.contains("sk-upstream-openai"));
}

#[tokio::test]
async fn an_unreachable_collector_costs_no_call_and_is_reported_in_the_logs() {
    let mock = mock().await;
    let gw = Gateway::start_env(
        &config(&mock, ""),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ],
    )
    .await;
    for _ in 0..3 {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let mut logs = String::new();
    for _ in 0..100 {
        logs = gw.logs();
        if logs.contains("opentelemetry-otlp") || logs.contains("opentelemetry_sdk") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        logs.contains("opentelemetry-otlp") || logs.contains("opentelemetry_sdk"),
        "export failures are logged: {logs}"
    );
    gw.stop().await;
}
