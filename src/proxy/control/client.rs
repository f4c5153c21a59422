//! The client end of the control socket: sends one request to a running proxy over
//! `DIR/control.sock` and reads its answer. Owns no validation (the server validates, and so
//! does `aimsgate review` before it calls) and no fallback: when no server answers, it says so
//! ([`Sent::NoServer`]) and the caller decides what to do.
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use super::{socket_path, ReviewReply, ReviewRequest, REVIEW_PATH};

/// How long a running proxy gets to answer.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read.
const REPLY_LIMIT: usize = 64 * 1024;

/// What sending a disposition found.
#[derive(Debug)]
pub enum Sent {
    /// The proxy recorded it.
    Recorded(ReviewReply),
    /// The proxy refused it: HTTP status and its message.
    Refused { status: u16, message: String },
    /// No proxy answers on the socket (no socket file, or the connection was refused).
    NoServer(std::io::Error),
}

/// The exchange with a proxy that accepted the connection failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    #[error("control socket: {0}")]
    Http(#[from] hyper::Error),
    #[error("control socket: {0}")]
    Request(#[from] http::Error),
    #[error("control socket: no answer within {0:?}")]
    Timeout(Duration),
    #[error("control socket: unreadable answer: {0}")]
    BadReply(String),
}

/// Sends `req` to the proxy serving `dir`.
pub async fn send_review(dir: &Path, req: &ReviewRequest) -> Result<Sent, ControlError> {
    let stream = match UnixStream::connect(socket_path(dir)).await {
        Ok(s) => s,
        Err(e) => return Ok(Sent::NoServer(e)),
    };
    let body = serde_json::to_vec(req).map_err(|e| ControlError::BadReply(e.to_string()))?;
    tokio::time::timeout(TIMEOUT, exchange(stream, body))
        .await
        .map_err(|_| ControlError::Timeout(TIMEOUT))?
}

async fn exchange(stream: UnixStream, body: Vec<u8>) -> Result<Sent, ControlError> {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let req = http::Request::post(REVIEW_PATH)
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let bytes = Limited::new(resp.into_body(), REPLY_LIMIT)
        .collect()
        .await
        .map_err(|e| ControlError::BadReply(e.to_string()))?
        .to_bytes();
    drop(sender);
    driver.abort();
    if status.is_success() {
        let reply: ReviewReply =
            serde_json::from_slice(&bytes).map_err(|e| ControlError::BadReply(e.to_string()))?;
        return Ok(Sent::Recorded(reply));
    }
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    Ok(Sent::Refused {
        status: status.as_u16(),
        message,
    })
}
