//! A mock LLM provider speaking the OpenAI, Anthropic, Gemini and Bedrock wire formats, streaming
//! and not (Bedrock streams in real AWS event-stream frames).
//!
//! Used by `aimsgate demo` (the offline first run), by the integration tests and by the load
//! benchmark. It is a test fixture: it records what it received so tests can check what
//! actually left the proxy, and it misbehaves on request, selected by the model name:
//!
//! | model            | behaviour                                                   |
//! |------------------|-------------------------------------------------------------|
//! | `mock-error`     | answers 500 in the provider's error shape                   |
//! | `mock-slow`      | waits 2 s before the response headers                       |
//! | `mock-hang`      | never answers                                               |
//! | `mock-stall`     | streams one chunk, then stalls forever                      |
//! | `mock-long`      | streams 2000 chunks, 2 ms apart                             |
//! | `*mock-echo*`    | replies with the prompt text it received (to check redaction)|
//! | anything else    | a fixed reply, `MOCK_REPLY`, split into `MOCK_CHUNKS`        |
//!
//! A `gemini-` or `anthropic.claude-` prefix selects the same behaviour (`gemini-mock-error`,
//! `anthropic.claude-mock-error` on Bedrock's `/model/{id}/...`), so a baseline that approves
//! `gemini-*` and `anthropic.claude-*` lets the misbehaving models through. Bedrock requests are
//! not verified; [`Received::sigv4_access_key`] tells what signed them.

mod anthropic;
mod bedrock;
mod gemini;
mod openai;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::proxy::body::{full, BoxError, ProxyBody};

/// The text every non-echo reply carries.
pub const MOCK_REPLY: &str = "Hello from the aimsgate mock provider.";
/// How the reply is split into stream chunks.
pub const MOCK_CHUNKS: &[&str] = &["Hello", " from", " the", " aimsgate", " mock", " provider."];

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    /// The access key id of a SigV4 `authorization: AWS4-HMAC-SHA256 Credential=…` header.
    pub fn sigv4_access_key(&self) -> Option<String> {
        let a = self.headers.get("authorization")?.to_str().ok()?;
        let rest = a.strip_prefix("AWS4-HMAC-SHA256 Credential=")?;
        rest.split('/').next().map(str::to_owned)
    }
}

/// A running mock provider.
#[derive(Clone)]
pub struct MockProvider {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    cancelled: Arc<std::sync::atomic::AtomicUsize>,
    failing: Arc<Mutex<Option<Failing>>>,
    record: bool,
}

/// A failure the mock answers every request with, for a number of requests or for good.
#[derive(Debug, Clone, Copy)]
struct Failing {
    status: StatusCode,
    retry_after: Option<u64>,
    /// `None`: every request.
    remaining: Option<usize>,
}

impl MockProvider {
    /// Start on `addr` (port 0 for an ephemeral port). `record` keeps every request in memory.
    pub async fn start(addr: SocketAddr, record: bool) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let me = Self {
            addr: listener.local_addr()?,
            received: Arc::default(),
            cancelled: Arc::default(),
            failing: Arc::default(),
            record,
        };
        let m = me.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let m = m.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let m = m.clone();
                        async move { Ok::<_, Infallible>(m.handle(req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Ok(me)
    }

    /// OpenAI-style base URL (`http://addr/v1`).
    pub fn openai_base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Anthropic-style base URL (`http://addr`).
    pub fn anthropic_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Gemini-style base URL (`http://addr`; the SDK appends `/v1beta/models/...`).
    pub fn gemini_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Bedrock runtime endpoint URL (`http://addr`; the SDK appends `/model/{id}/...`).
    pub fn bedrock_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answer the next `times` requests (`None`: all of them) with `status` in the provider's
    /// error shape, with `retry-after: SECS` when given (for retry and failover tests).
    pub fn fail_with(&self, status: u16, retry_after: Option<u64>, times: Option<usize>) {
        if let (Ok(mut f), Ok(status)) = (self.failing.lock(), StatusCode::from_u16(status)) {
            *f = Some(Failing {
                status,
                retry_after,
                remaining: times,
            });
        }
    }

    /// The failure to answer this request with, if one is set (and count it).
    fn take_failure(&self) -> Option<Failing> {
        let mut guard = self.failing.lock().ok()?;
        let f = (*guard)?;
        match f.remaining {
            Some(0) => {
                *guard = None;
                return None;
            }
            Some(n) => {
                *guard = Some(Failing {
                    remaining: Some(n - 1),
                    ..f
                })
            }
            None => {}
        }
        Some(f)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many streams ended because the client (the proxy) went away.
    pub fn cancelled_streams(&self) -> usize {
        self.cancelled.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<ProxyBody> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        if self.record {
            if let Ok(mut r) = self.received.lock() {
                r.push(Received {
                    method: parts.method.clone(),
                    path_and_query: parts
                        .uri
                        .path_and_query()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    headers: parts.headers.clone(),
                    body: body.clone(),
                });
            }
        }
        if let Some(f) = self.take_failure() {
            let mut r = json_response(
                serde_json::json!({"error": {"message": "mock: failing on purpose", "type": "server_error", "code": f.status.as_u16()}}),
            );
            *r.status_mut() = f.status;
            if let Some(secs) = f.retry_after {
                r.headers_mut()
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
            return r;
        }
        if parts.uri.path() == "/mock-aws-credentials" {
            // An ECS-style container credentials endpoint, for the credential-source tests.
            return json_response(bedrock::container_credentials());
        }
        if let Some(r) = bedrock::imds(&parts.method, parts.uri.path(), &parts.headers) {
            return r;
        }
        let json: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        // Gemini names the model in the path and streams by method.
        let google = crate::providers::gemini::parse_path(parts.uri.path());
        let aws = crate::providers::bedrock::parse_path(parts.uri.path());
        let model = match (google, &aws) {
            (Some(g), _) => g.model.to_owned(),
            (None, Some(b)) => b.model.clone(),
            (None, None) => json
                .get("model")
                .and_then(|m| m.as_str())
                .unwrap_or("mock-model")
                .to_owned(),
        };
        let stream = json
            .get("stream")
            .and_then(|s| s.as_bool())
            .unwrap_or(false);
        let anthropic = parts.uri.path().starts_with("/v1/messages");
        // The behaviour a model name selects; `gemini-mock-error` etc. select it too, so the
        // baseline's `gemini-*` approval covers the misbehaving Gemini models.
        let behaviour = model
            .strip_prefix("gemini-")
            .or_else(|| model.strip_prefix("anthropic.claude-"))
            .unwrap_or(&model);
        match behaviour {
            "mock-error" if aws.is_some() => {
                let mut r = json_response(bedrock::error());
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r.headers_mut().insert(
                    "x-amzn-errortype",
                    http::HeaderValue::from_static("InternalServerException"),
                );
                return r;
            }
            "mock-error" if google.is_some() => {
                let mut r = json_response(gemini::error());
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return r;
            }
            "mock-error" => return error(anthropic),
            "mock-slow" => tokio::time::sleep(Duration::from_secs(2)).await,
            "mock-hang" => std::future::pending::<()>().await,
            _ => {}
        }
        let reply = if model.contains("mock-echo") {
            echo_text(&json)
        } else {
            MOCK_REPLY.to_owned()
        };
        let chunks: Vec<String> = if model.contains("mock-echo") {
            split_chunks(&reply)
        } else {
            MOCK_CHUNKS.iter().map(|s| s.to_string()).collect()
        };
        let stall = behaviour == "mock-stall";
        let chunks = if behaviour == "mock-long" {
            (0..2000).map(|i| format!("tok{i} ")).collect()
        } else {
            chunks
        };
        if let (true, Some(g)) = (parts.method == Method::POST, google) {
            return match g.method {
                "generateContent" => json_response(gemini::generate(&model, &reply)),
                "streamGenerateContent" => {
                    self.sse(gemini::generate_stream(&model, &chunks), stall)
                }
                "countTokens" => json_response(gemini::count_tokens()),
                "embedContent" => json_response(gemini::embed()),
                "batchEmbedContents" => json_response(gemini::batch_embed(&json)),
                _ => not_found(),
            };
        }
        if let (true, Some(b)) = (parts.method == Method::POST, &aws) {
            const ES: &str = "application/vnd.amazon.eventstream";
            return match b.action {
                "converse" => json_response(bedrock::converse(&reply)),
                "converse-stream" => self.stream(bedrock::converse_stream(&chunks), stall, ES),
                "invoke" => json_response(anthropic::messages(&model, &reply)),
                _ => self.stream(bedrock::invoke_stream(&model, &chunks), stall, ES),
            };
        }
        match (parts.method.clone(), parts.uri.path()) {
            (Method::GET, "/v1/models") => json_response(openai::models()),
            (Method::POST, "/v1/chat/completions") if stream => {
                self.sse(openai::chat_stream(&model, &chunks), stall)
            }
            (Method::POST, "/v1/chat/completions") => json_response(openai::chat(&model, &reply)),
            (Method::POST, "/v1/responses") if stream => {
                self.sse(openai::responses_stream(&model, &chunks), stall)
            }
            (Method::POST, "/v1/responses") => json_response(openai::responses(&model, &reply)),
            (Method::POST, "/v1/completions") => json_response(openai::completions(&model, &reply)),
            (Method::POST, "/v1/embeddings") => json_response(openai::embeddings(&model)),
            (Method::POST, "/v1/messages") if stream => {
                self.sse(anthropic::messages_stream(&model, &chunks), stall)
            }
            (Method::POST, "/v1/messages") => json_response(anthropic::messages(&model, &reply)),
            (Method::POST, "/v1/messages/count_tokens") => {
                json_response(serde_json::json!({"input_tokens": 12}))
            }
            _ => not_found(),
        }
    }
}

fn not_found() -> Response<ProxyBody> {
    let mut r = Response::new(full("{\"error\":{\"message\":\"mock: no such route\"}}"));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

/// Concatenate every string `content`/`text`/`input` value in the request (for echo models).
fn echo_text(v: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, val) in m {
                    match (k.as_str(), val) {
                        (
                            "content" | "text" | "input" | "prompt" | "system",
                            serde_json::Value::String(s),
                        ) => out.push(s.clone()),
                        _ => walk(val, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out.join("\n")
}

fn split_chunks(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        cur.push(c);
        if cur.len() >= 7 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn json_response(v: serde_json::Value) -> Response<ProxyBody> {
    let mut r = Response::new(full(serde_json::to_vec(&v).unwrap_or_default()));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(anthropic: bool) -> Response<ProxyBody> {
    let v = if anthropic {
        serde_json::json!({"type": "error", "error": {"type": "api_error", "message": "mock upstream failure"}})
    } else {
        serde_json::json!({"error": {"message": "mock upstream failure", "type": "server_error", "param": null, "code": null}})
    };
    let mut r = json_response(v);
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

impl MockProvider {
    /// Stream `events` (already framed SSE text) with a short pause between them.
    fn sse(&self, events: Vec<String>, stall: bool) -> Response<ProxyBody> {
        let events = events.into_iter().map(Bytes::from).collect();
        self.stream(events, stall, "text/event-stream")
    }

    /// Stream already framed `events` of `content_type` with a short pause between them.
    fn stream(
        &self,
        events: Vec<Bytes>,
        stall: bool,
        content_type: &'static str,
    ) -> Response<ProxyBody> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
        let cancelled = self.cancelled.clone();
        tokio::spawn(async move {
            for (i, ev) in events.into_iter().enumerate() {
                if tx.send(Ok(Frame::data(ev))).await.is_err() {
                    cancelled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    return;
                }
                if stall && i == 1 {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        let mut rx = rx;
        let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut r = Response::new(StreamBody::new(stream).boxed_unsync());
        let h = r.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        h.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-cache"),
        );
        r
    }
}
