//! The two OTLP transports for one encoded `ExportLogsServiceRequest`, over hyper-util's pooled
//! client and the shared rustls config: OTLP/HTTP (`POST …/v1/logs`, protobuf body) and OTLP/gRPC
//! (the unary `LogsService/Export` call over HTTP/2: a 5-byte length-prefixed message and the
//! `grpc-status` trailer, h2c for `http://`, ALPN `h2` for `https://`). Each answer is
//! classified as the OTLP specification says: done (with the receiver's partial-success
//! rejections), retryable (connection errors, timeouts, HTTP 429/502/503/504, gRPC
//! `UNAVAILABLE` and kin), or refused for good.
//!
//! Owns no queue and no retry loop (`export.rs`), and never logs header values.
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use prost::Message as _;

use super::shared::SiemError;
use crate::config::{SiemProtocol, SiemSettings};

/// Largest receiver answer read (an OTLP response is tiny).
const MAX_RESPONSE: usize = 64 * 1024;

/// gRPC status codes the OTLP specification calls retryable.
const GRPC_RETRYABLE: &[u32] = &[1, 4, 8, 10, 11, 14, 15];

/// How one export attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// Accepted; the receiver rejected this many of the records (partial success).
    Done { rejected: u64 },
    /// Failed, worth retrying (after at least the given delay, when the receiver named one).
    Retry(String, Option<Duration>),
    /// Refused for good: retrying the same request cannot succeed.
    Refused(String),
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// The export client of one configured receiver.
pub struct Transport {
    client: Client<Https, Full<Bytes>>,
    url: http::Uri,
    protocol: SiemProtocol,
    headers: HeaderMap,
    timeout: Duration,
}

impl Transport {
    pub fn new(s: &SiemSettings) -> Result<Self, SiemError> {
        let tls = crate::tls_client::client_config_with(&s.ca_certs)
            .map_err(|e| SiemError(e.to_string()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(s.timeout));
        http.set_nodelay(true);
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let mut client = Client::builder(TokioExecutor::new());
        let https = match s.protocol {
            SiemProtocol::Http => builder.enable_http1().enable_http2().wrap_connector(http),
            SiemProtocol::Grpc => {
                client.http2_only(true);
                builder.enable_http2().wrap_connector(http)
            }
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &s.headers {
            let mut v = HeaderValue::from_str(value.expose())
                .map_err(|_| SiemError(format!("header {name}: not a valid value")))?;
            v.set_sensitive(true);
            headers.append(name.clone(), v);
        }
        Ok(Self {
            client: client.build(https),
            url: s.url.clone(),
            protocol: s.protocol,
            headers,
            timeout: s.timeout,
        })
    }

    /// Sends one encoded `ExportLogsServiceRequest`.
    pub async fn send(&self, message: Bytes) -> Sent {
        let exchange = async {
            match self.protocol {
                SiemProtocol::Http => self.http(message).await,
                SiemProtocol::Grpc => self.grpc(message).await,
            }
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(sent) => sent,
            Err(_) => Sent::Retry(format!("no answer within {:?}", self.timeout), None),
        }
    }

    fn request(&self, content_type: &'static str, body: Bytes) -> Option<Request<Full<Bytes>>> {
        let mut req = Request::post(self.url.clone())
            .header(http::header::CONTENT_TYPE, content_type)
            .header(
                http::header::USER_AGENT,
                concat!("aimsgate/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .ok()?;
        for (k, v) in &self.headers {
            req.headers_mut().append(k.clone(), v.clone());
        }
        Some(req)
    }

    async fn http(&self, body: Bytes) -> Sent {
        let Some(req) = self.request("application/x-protobuf", body) else {
            return Sent::Refused("the request could not be built".into());
        };
        let resp = match self.client.request(req).await {
            Ok(r) => r,
            Err(e) => return Sent::Retry(connect_error(&e), None),
        };
        let status = resp.status();
        let after = retry_after(resp.headers());
        let body = match Limited::new(resp.into_body(), MAX_RESPONSE).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return Sent::Retry(format!("reading the answer: {e}"), None),
        };
        http_outcome(status, &body, after)
    }

    async fn grpc(&self, message: Bytes) -> Sent {
        let Some(mut req) = self.request("application/grpc", grpc_frame(&message)) else {
            return Sent::Refused("the request could not be built".into());
        };
        let h = req.headers_mut();
        h.insert(http::header::TE, HeaderValue::from_static("trailers"));
        let ms = self.timeout.as_millis().min(99_999_999);
        if let Ok(v) = HeaderValue::from_str(&format!("{ms}m")) {
            h.insert("grpc-timeout", v);
        }
        let resp = match self.client.request(req).await {
            Ok(r) => r,
            Err(e) => return Sent::Retry(connect_error(&e), None),
        };
        let (parts, body) = resp.into_parts();
        if parts.status != StatusCode::OK {
            // Not a gRPC answer (a proxy in between); 429/502/503/504 map to UNAVAILABLE.
            return http_outcome(parts.status, &[], None);
        }
        let collected = match Limited::new(body, MAX_RESPONSE).collect().await {
            Ok(c) => c,
            Err(e) => return Sent::Retry(format!("reading the answer: {e}"), None),
        };
        let trailers = collected.trailers().cloned().unwrap_or_default();
        let body = collected.to_bytes();
        // A trailers-only answer carries the status in its headers.
        let status = grpc_status(&trailers).or_else(|| grpc_status(&parts.headers));
        grpc_outcome(status, &trailers, &parts.headers, &body)
    }
}

/// The gRPC length-prefixed message: `0` (uncompressed), big-endian length, message.
pub fn grpc_frame(message: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(message.len() + 5);
    b.put_u8(0);
    b.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    b.put_slice(message);
    b.freeze()
}

/// The message of the first gRPC frame in `body`, if it is whole and uncompressed.
pub fn grpc_unframe(mut body: &[u8]) -> Option<&[u8]> {
    if body.len() < 5 || body[0] != 0 {
        return None;
    }
    body.advance(1);
    let len = usize::try_from(body.get_u32()).ok()?;
    body.get(..len)
}

fn grpc_status(h: &HeaderMap) -> Option<u32> {
    h.get("grpc-status")?.to_str().ok()?.trim().parse().ok()
}

fn rejected(message: &[u8]) -> u64 {
    ExportLogsServiceResponse::decode(message)
        .ok()
        .and_then(|r| r.partial_success)
        .map_or(0, |p| u64::try_from(p.rejected_log_records).unwrap_or(0))
}

/// Classifies an OTLP/HTTP answer.
pub fn http_outcome(status: StatusCode, body: &[u8], after: Option<Duration>) -> Sent {
    if status.is_success() {
        return Sent::Done {
            rejected: rejected(body),
        };
    }
    let why = format!("the receiver answered HTTP {}", status.as_u16());
    match status.as_u16() {
        429 | 502 | 503 | 504 => Sent::Retry(why, after),
        _ => Sent::Refused(why),
    }
}

/// Classifies an OTLP/gRPC answer.
pub fn grpc_outcome(
    status: Option<u32>,
    trailers: &HeaderMap,
    headers: &HeaderMap,
    body: &[u8],
) -> Sent {
    let message = |h: &HeaderMap| {
        h.get("grpc-message")
            .and_then(|v| v.to_str().ok())
            .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
    };
    let detail = message(trailers)
        .or_else(|| message(headers))
        .unwrap_or_default();
    match status {
        Some(0) => Sent::Done {
            rejected: grpc_unframe(body).map_or(0, rejected),
        },
        Some(code) if GRPC_RETRYABLE.contains(&code) => {
            Sent::Retry(format!("gRPC status {code}{detail}"), None)
        }
        Some(code) => Sent::Refused(format!("gRPC status {code}{detail}")),
        None => Sent::Retry("the answer carries no grpc-status".into(), None),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured).
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let secs: u64 = h
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs.min(3600)))
}

/// A client error with its cause (hyper-util's top-level message alone says little).
fn connect_error(e: &hyper_util::client::legacy::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
