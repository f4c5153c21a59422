//! Envoy's external processing API (`envoy.service.ext_proc.v3.ExternalProcessor/Process`,
//! gRPC): an Envoy-based gateway or mesh sends one bidirectional stream per HTTP call — the
//! request headers, the request body, the response headers and the response body — and
//! applies each answer. One stream is one guarded call, so the decision and the answer check
//! share one [`Call`], as on the proxy path.
//!
//! - Request headers: the route (`:method`, `:path`) and the caller's own credential
//!   (`authorization`, `x-api-key`, …) are read exactly as the proxy reads them; a request
//!   that cannot be served gets an `ImmediateResponse` in the provider's error shape.
//! - Request body, `BUFFERED` (one message) or `STREAMED` (chunks: each is held back, the
//!   whole body is judged at the end and sent in the last chunk's place): the proxy's phases
//!   up to the durable decision record; a redaction replaces the body, a refusal is an
//!   `ImmediateResponse` (403, 429 … in the provider's shape, the decision id in the headers).
//! - Response headers: the status; `content-length` is removed when an output rule may rewrite.
//! - Response body: an event stream is inspected chunk by chunk as the proxy relays one; any
//!   other answer is judged whole (use `BUFFERED` for the response body, so a withheld answer
//!   can still become an `ImmediateResponse`).
//!
//! `observability_mode` streams are judged and recorded; Envoy ignores the answers. The stream
//! ending early (Envoy gone, the call reset) ends the call as the client leaving. Holds no rules.

use std::pin::Pin;
use std::sync::Arc;

use envoy_types::pb::envoy::config::core::v3::{HeaderValue as EnvoyHeader, HeaderValueOption};
use envoy_types::pb::envoy::r#type::v3::HttpStatus;
use envoy_types::pb::envoy::service::ext_proc::v3::{
    body_mutation::Mutation,
    external_processor_server::{ExternalProcessor, ExternalProcessorServer},
    processing_request::Request as Req,
    processing_response::Response as Resp,
    BodyMutation, BodyResponse, CommonResponse, HeaderMutation, HeadersResponse, HttpBody,
    HttpHeaders, ImmediateResponse, ProcessingRequest, ProcessingResponse,
};
use futures_util::Stream;
use http::HeaderMap;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use bytes::Bytes;
use http::Response;

use super::service::{body_bytes, failure_lets_through, Guardrail};
use crate::error::Error;
use crate::providers::Operation;
use crate::proxy::body::Inspected;
use crate::proxy::body::ProxyBody;
use crate::proxy::call::ConnInfo;
use crate::proxy::call::{Call, GuardOrigin};
use crate::proxy::inspect::ContentKind;
use crate::proxy::outcome::StreamEnd;
use crate::proxy::pipeline::guard::{Asserted, GuardStream, Guarded};

const GATEWAY: &str = "envoy_ext_proc";

/// The tonic service for one connection.
pub fn server(guard: Guardrail, conn: Arc<ConnInfo>) -> ExternalProcessorServer<ExtProc> {
    let limit = guard.pipeline.shared.config.server.max_body_bytes + 64 * 1024;
    ExternalProcessorServer::new(ExtProc { guard, conn })
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit)
}

/// The ext_proc service.
pub struct ExtProc {
    guard: Guardrail,
    conn: Arc<ConnInfo>,
}

type Answers = Pin<Box<dyn Stream<Item = Result<ProcessingResponse, Status>> + Send>>;

#[tonic::async_trait]
impl ExternalProcessor for ExtProc {
    type ProcessStream = Answers;

    async fn process(
        &self,
        request: tonic::Request<Streaming<ProcessingRequest>>,
    ) -> Result<tonic::Response<Answers>, Status> {
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(8);
        let session = Session {
            guard: self.guard.clone(),
            conn: self.conn.clone(),
            state: State::Start,
            headers: HeaderMap::new(),
            op: None,
            body: Vec::new(),
            chunks: 0,
        };
        tokio::spawn(session.run(inbound, tx));
        let out =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|m| (m, rx)) },
            );
        Ok(tonic::Response::new(Box::pin(out)))
    }
}

/// Where one stream's call stands.
enum State {
    /// Nothing seen yet.
    Start,
    /// Request headers seen; the call waits for the request body.
    Request(Box<Call>),
    /// Decided and forwarded; waiting for the response headers.
    Forwarded(Box<Call>),
    /// A whole answer is being collected.
    Answer(Box<Call>, u16, ContentKind),
    /// An event stream is being inspected.
    Streaming(Box<GuardStream>),
    /// The stream was cut by an output rule: the rest is dropped.
    Cut,
    /// Refused, let through after a failure, or the answer judged: every further message is
    /// answered with a plain continue.
    Done,
}

/// Which message a refusal answers.
#[derive(Clone, Copy)]
enum At {
    RequestHeaders,
    RequestBody,
}

struct Session {
    guard: Guardrail,
    conn: Arc<ConnInfo>,
    state: State,
    /// The request headers (pseudo-headers left out), for identification.
    headers: HeaderMap,
    op: Option<Operation>,
    /// The request or answer body held back so far.
    body: Vec<u8>,
    chunks: usize,
}

type Tx = mpsc::Sender<Result<ProcessingResponse, Status>>;

fn respond(r: Resp) -> ProcessingResponse {
    ProcessingResponse {
        response: Some(r),
        ..Default::default()
    }
}

fn common(body: Option<Mutation>, remove: &[&str]) -> Option<CommonResponse> {
    Some(CommonResponse {
        body_mutation: body.map(|m| BodyMutation { mutation: Some(m) }),
        header_mutation: (!remove.is_empty()).then(|| HeaderMutation {
            set_headers: Vec::new(),
            remove_headers: remove.iter().map(|s| (*s).to_owned()).collect(),
        }),
        ..Default::default()
    })
}

fn headers_answer(request: bool, remove: &[&str]) -> ProcessingResponse {
    let h = HeadersResponse {
        response: common(None, remove),
    };
    respond(if request {
        Resp::RequestHeaders(h)
    } else {
        Resp::ResponseHeaders(h)
    })
}

fn body_answer(request: bool, m: Option<Mutation>) -> ProcessingResponse {
    let b = BodyResponse {
        response: common(m, &[]),
    };
    respond(if request {
        Resp::RequestBody(b)
    } else {
        Resp::ResponseBody(b)
    })
}

/// A response aimsgate made (a refusal in the provider's shape) as an `ImmediateResponse`.
async fn immediate(resp: Response<ProxyBody>) -> ProcessingResponse {
    let (parts, body) = body_bytes(resp).await;
    let set_headers = parts
        .headers
        .iter()
        .filter(|(n, _)| *n != http::header::CONTENT_LENGTH)
        .map(|(n, v)| HeaderValueOption {
            header: Some(EnvoyHeader {
                key: n.as_str().to_owned(),
                value: String::new(),
                raw_value: v.as_bytes().to_vec(),
            }),
            ..Default::default()
        })
        .collect();
    respond(Resp::ImmediateResponse(ImmediateResponse {
        status: Some(HttpStatus {
            code: i32::from(parts.status.as_u16()),
        }),
        headers: Some(HeaderMutation {
            set_headers,
            remove_headers: Vec::new(),
        }),
        body: body.to_vec(),
        grpc_status: None,
        details: "aimsgate_refused".into(),
    }))
}

/// The headers as a map, with the pseudo-headers (`:method`, `:path`, `:status`) apart.
pub struct Split {
    pub map: HeaderMap,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<u16>,
}

pub fn split_headers(h: &HttpHeaders) -> Split {
    let mut out = Split {
        map: HeaderMap::new(),
        method: None,
        path: None,
        status: None,
    };
    for hv in h.headers.iter().flat_map(|m| m.headers.iter()) {
        let value = if hv.raw_value.is_empty() {
            hv.value.as_bytes()
        } else {
            hv.raw_value.as_slice()
        };
        let text = || std::str::from_utf8(value).ok().map(str::to_owned);
        match hv.key.as_str() {
            ":method" => out.method = text(),
            ":path" => out.path = text(),
            ":status" => out.status = text().and_then(|s| s.parse().ok()),
            k if k.starts_with(':') => {}
            k => {
                if let (Ok(n), Ok(v)) = (
                    http::HeaderName::from_bytes(k.as_bytes()),
                    http::HeaderValue::from_bytes(value),
                ) {
                    out.map.append(n, v);
                }
            }
        }
    }
    out
}

impl Session {
    async fn run(mut self, mut inbound: Streaming<ProcessingRequest>, tx: Tx) {
        loop {
            let msg = match inbound.message().await {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(status) => {
                    tracing::debug!(error = %status, "ext_proc stream ended with an error");
                    break;
                }
            };
            let observe = msg.observability_mode;
            let answers = match msg.request {
                Some(Req::RequestHeaders(h)) => {
                    let body_mode = msg.protocol_config.as_ref().map(|c| c.request_body_mode);
                    self.request_headers(&h, body_mode).await
                }
                Some(Req::RequestBody(b)) => self.request_body(b).await,
                Some(Req::ResponseHeaders(h)) => self.response_headers(&h).await,
                Some(Req::ResponseBody(b)) => self.response_body(b),
                Some(Req::RequestTrailers(_)) => {
                    vec![respond(Resp::RequestTrailers(Default::default()))]
                }
                Some(Req::ResponseTrailers(_)) => {
                    vec![respond(Resp::ResponseTrailers(Default::default()))]
                }
                None => Vec::new(),
            };
            if observe {
                continue;
            }
            for a in answers {
                if tx.send(Ok(a)).await.is_err() {
                    return self.abandon();
                }
            }
        }
        self.abandon();
    }

    /// The stream ended: a call still open ends as the client leaving (or, decided and never
    /// answered, as complete with no answer seen).
    fn abandon(&mut self) {
        let p = &self.guard.pipeline;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Request(call) => p.guard_end(*call, StreamEnd::ClientGone),
            State::Forwarded(call) => p.guard_end(*call, StreamEnd::Complete),
            State::Answer(call, _, _) => p.guard_end(*call, StreamEnd::ClientGone),
            State::Streaming(s) => drop(s),
            State::Start | State::Cut | State::Done => {}
        }
    }

    fn origin(hook: &'static str) -> GuardOrigin {
        GuardOrigin {
            gateway: GATEWAY,
            hook,
        }
    }

    /// A refusal or failure on the request side: recorded by the pipeline, answered as an
    /// `ImmediateResponse` in the provider's shape — or, for a failure under `fail_open`, let
    /// through with the body held so far.
    async fn refuse(
        &mut self,
        call: Call,
        err: Error,
        at: At,
        held: Vec<u8>,
    ) -> Vec<ProcessingResponse> {
        let hook = match at {
            At::RequestHeaders => "request_headers",
            At::RequestBody => "request_body",
        };
        let through = failure_lets_through(&self.guard.pipeline.shared, &err);
        let resp = self.guard.pipeline.fail(call, err).await;
        self.state = State::Done;
        if through {
            self.guard.count(GATEWAY, hook, "fail_open");
            return vec![match at {
                At::RequestHeaders => headers_answer(true, &[]),
                At::RequestBody => {
                    body_answer(true, (self.chunks > 1).then_some(Mutation::Body(held)))
                }
            }];
        }
        self.guard.count(GATEWAY, hook, "block");
        vec![immediate(resp).await]
    }

    /// `body_mode`: the filter's request body mode, when Envoy says (`protocol_config`).
    async fn request_headers(
        &mut self,
        h: &HttpHeaders,
        body_mode: Option<i32>,
    ) -> Vec<ProcessingResponse> {
        if !matches!(self.state, State::Start) {
            return vec![headers_answer(true, &[])];
        }
        let split = split_headers(h);
        let p = self.guard.pipeline.clone();
        let mut call = p.guard_call(&self.conn, &split.map, Self::origin("request"));
        let method = split.method.as_deref().unwrap_or("GET");
        let routed = p
            .guard_route(&mut call, method, split.path.as_deref().unwrap_or("/"))
            .and_then(|op| {
                p.guard_identify(&mut call, &self.conn, &split.map)?;
                Ok(op)
            });
        let op = match routed {
            Ok(op) => op,
            Err(e) => return self.refuse(call, e, At::RequestHeaders, Vec::new()).await,
        };
        // Only BUFFERED (2) and STREAMED (1) hand aimsgate the whole body before it goes
        // upstream: with NONE the body would pass unjudged, BUFFERED_PARTIAL sends only its first
        // part, the full-duplex modes answer in another shape.
        if !h.end_of_stream && body_mode.is_some_and(|m| m != 1 && m != 2) {
            return self
                .refuse(call, body_unseen(), At::RequestHeaders, Vec::new())
                .await;
        }
        self.headers = split.map;
        self.op = Some(op);
        self.state = State::Request(Box::new(call));
        if h.end_of_stream {
            // No body (e.g. `GET /v1/models`): decided now.
            return self.decide(At::RequestHeaders).await;
        }
        // The body may be rewritten, and its length with it.
        vec![headers_answer(true, &["content-length"])]
    }

    async fn request_body(&mut self, b: HttpBody) -> Vec<ProcessingResponse> {
        if !matches!(self.state, State::Request(_)) {
            return vec![body_answer(true, None)];
        }
        let limit = self.guard.pipeline.shared.config.server.max_body_bytes;
        if self.body.len() + b.body.len() > limit {
            if let State::Request(call) = std::mem::replace(&mut self.state, State::Done) {
                let err = Error::BodyTooLarge { limit };
                return self.refuse(*call, err, At::RequestBody, Vec::new()).await;
            }
        }
        self.body.extend_from_slice(&b.body);
        self.chunks += 1;
        if !b.end_of_stream {
            // Held back until the whole body is judged (STREAMED mode).
            return vec![body_answer(true, Some(Mutation::ClearBody(true)))];
        }
        self.decide(At::RequestBody).await
    }

    /// The request phases on the held body.
    async fn decide(&mut self, at: At) -> Vec<ProcessingResponse> {
        let (State::Request(mut call), Some(op)) =
            (std::mem::replace(&mut self.state, State::Done), self.op)
        else {
            return Vec::new();
        };
        let p = self.guard.pipeline.clone();
        let body = Bytes::from(std::mem::take(&mut self.body));
        let headers = std::mem::take(&mut self.headers);
        let hook = match at {
            At::RequestHeaders => "request_headers",
            At::RequestBody => "request_body",
        };
        call.guard = Some(Self::origin(hook));
        let result = p
            .guard_request(
                &mut call,
                &self.conn,
                &headers,
                op,
                &Asserted::default(),
                body.clone(),
            )
            .await;
        let mutation = match result {
            Ok(Guarded::Unchanged) => {
                self.guard.count(GATEWAY, hook, "allow");
                (self.chunks > 1).then(|| Mutation::Body(body.to_vec()))
            }
            Ok(Guarded::Rewritten(b)) => {
                self.guard.count(GATEWAY, hook, "redact");
                Some(Mutation::Body(b.to_vec()))
            }
            Err(e) => return self.refuse(*call, e, at, body.to_vec()).await,
        };
        self.state = State::Forwarded(call);
        vec![match at {
            At::RequestHeaders => headers_answer(true, &[]),
            At::RequestBody => body_answer(true, mutation),
        }]
    }

    async fn response_headers(&mut self, h: &HttpHeaders) -> Vec<ProcessingResponse> {
        let call = match std::mem::replace(&mut self.state, State::Done) {
            State::Forwarded(call) => call,
            // The answer comes for a request whose body aimsgate never judged (the filter sends
            // no body, or only part of it): the answer is withheld and the call recorded refused.
            State::Request(call) => {
                self.guard.count(GATEWAY, "response_headers", "block");
                let resp = self.guard.pipeline.fail(*call, body_unseen()).await;
                return vec![immediate(resp).await];
            }
            other => {
                self.state = other;
                return vec![headers_answer(false, &[])];
            }
        };
        let split = split_headers(h);
        let status = split.status.unwrap_or(200);
        let content = ContentKind::of(split.map.get(http::header::CONTENT_TYPE));
        let enforcing = call.output.as_ref().is_some_and(|m| m.enforcing());
        self.body.clear();
        self.chunks = 0;
        if h.end_of_stream {
            // No body: the answer is judged empty.
            let _ = self
                .guard
                .pipeline
                .guard_answer(*call, status, content, Bytes::new());
            return vec![headers_answer(false, &[])];
        }
        self.state = if content == ContentKind::EventStream {
            State::Streaming(Box::new(self.guard.pipeline.guard_stream(*call, status)))
        } else {
            State::Answer(call, status, content)
        };
        vec![headers_answer(
            false,
            if enforcing { &["content-length"] } else { &[] },
        )]
    }

    fn response_body(&mut self, b: HttpBody) -> Vec<ProcessingResponse> {
        const HOOK: &str = "response_body";
        match std::mem::replace(&mut self.state, State::Done) {
            State::Streaming(mut s) => {
                let original = Bytes::from(b.body);
                let (mut out, stopped) = match s.chunk(original.clone()) {
                    Inspected::Pass(bytes) => (bytes.to_vec(), false),
                    Inspected::Stop(bytes) => (bytes.to_vec(), true),
                };
                if stopped {
                    self.guard.count(GATEWAY, HOOK, "block");
                    let _ = s.end(StreamEnd::Blocked);
                    self.state = State::Cut;
                } else if b.end_of_stream {
                    if let Some(tail) = s.end(StreamEnd::Complete) {
                        out.extend_from_slice(&tail);
                    }
                    self.guard.count(GATEWAY, HOOK, "allow");
                } else {
                    self.state = State::Streaming(s);
                }
                let changed = out != original.as_ref();
                vec![body_answer(false, changed.then_some(Mutation::Body(out)))]
            }
            State::Cut => {
                self.state = State::Cut;
                vec![body_answer(false, Some(Mutation::ClearBody(true)))]
            }
            State::Answer(call, status, content) => {
                let limit = 16 * 1024 * 1024;
                if self.body.len() + b.body.len() > limit {
                    // Too large to judge whole: withheld, as the proxy withholds an answer it
                    // cannot inspect under an enforcing rule.
                    let family = call.family;
                    let err = Error::Refused {
                        rule: "gateway.output-inspection".into(),
                        message: "the answer is larger than aimsgate inspects whole (16 MiB)"
                            .into(),
                        fix: "ask for a shorter answer, or stream it".into(),
                    };
                    self.guard.pipeline.guard_end(*call, StreamEnd::Blocked);
                    self.guard.count(GATEWAY, HOOK, "block");
                    return vec![immediate_sync(family, &err)];
                }
                self.body.extend_from_slice(&b.body);
                self.chunks += 1;
                if !b.end_of_stream {
                    self.state = State::Answer(call, status, content);
                    return vec![body_answer(false, Some(Mutation::ClearBody(true)))];
                }
                let body = Bytes::from(std::mem::take(&mut self.body));
                let family = call.family;
                match self
                    .guard
                    .pipeline
                    .guard_answer(*call, status, content, body.clone())
                {
                    Ok(Guarded::Unchanged) => {
                        self.guard.count(GATEWAY, HOOK, "allow");
                        vec![body_answer(
                            false,
                            (self.chunks > 1).then(|| Mutation::Body(body.to_vec())),
                        )]
                    }
                    Ok(Guarded::Rewritten(r)) => {
                        self.guard.count(GATEWAY, HOOK, "redact");
                        vec![body_answer(false, Some(Mutation::Body(r.to_vec())))]
                    }
                    Err(err) => {
                        self.guard.count(GATEWAY, HOOK, "block");
                        vec![immediate_sync(family, &err)]
                    }
                }
            }
            other => {
                self.state = other;
                vec![body_answer(false, None)]
            }
        }
    }
}

/// The refusal of a call whose request body the filter does not hand over whole.
fn body_unseen() -> Error {
    Error::Refused {
        rule: "gateway.ext-proc-request-body".into(),
        message: "aimsgate must judge the whole request body before it goes upstream, and this ext_proc filter does not send it".into(),
        fix: "set the ext_proc filter's processing_mode.request_body_mode to BUFFERED or STREAMED".into(),
    }
}

/// A refusal built here (not through the pipeline's `fail`) as an `ImmediateResponse`.
fn immediate_sync(family: crate::providers::Family, err: &Error) -> ProcessingResponse {
    let body = crate::providers::error_body(family, err);
    respond(Resp::ImmediateResponse(ImmediateResponse {
        status: Some(HttpStatus {
            code: i32::from(err.status().as_u16()),
        }),
        headers: Some(HeaderMutation {
            set_headers: vec![HeaderValueOption {
                header: Some(EnvoyHeader {
                    key: "content-type".into(),
                    value: String::new(),
                    raw_value: b"application/json".to_vec(),
                }),
                ..Default::default()
            }],
            remove_headers: Vec::new(),
        }),
        body,
        grpc_status: None,
        details: "aimsgate_refused".into(),
    }))
}
