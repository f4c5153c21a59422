//! The witness's HTTP listener (hyper, HTTP/1.1 with keep-alive and HTTP/2 prior knowledge):
//! `POST /add-checkpoint` (C2SP tlog-witness; body capped at [`MAX_BODY`] and read within
//! [`BODY_TIMEOUT`]) and the monitoring view `GET /<hex SHA-256 of the origin>/checkpoint`.
//! Everything else is 404 (unknown path) or 405 (wrong method). Answers are `text/plain`, a 409
//! `text/x.tlog.size`. The decision itself is [`Witness::add_checkpoint`], run on a blocking
//! thread because it fsyncs.
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use super::server::{Outcome, Witness};

/// Largest request body accepted (a checkpoint with many signatures and 63 proof lines is a
/// few kB; post-quantum signatures are up to 5 kB each).
pub const MAX_BODY: usize = 256 * 1024;
/// Time allowed to receive a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent connections served; further ones wait in the accept queue.
const MAX_CONNECTIONS: usize = 1024;

/// Serves until `shutdown` flips.
pub async fn serve(
    witness: Arc<Witness>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.changed() => return,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let witness = witness.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let svc = service_fn(move |req| {
                let witness = witness.clone();
                async move { Ok::<_, Infallible>(handle(witness, req).await) }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(true)
                .max_buf_size(64 * 1024);
            builder.http2().max_concurrent_streams(64);
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

/// Answers one request.
pub async fn handle<B>(witness: Arc<Witness>, req: Request<B>) -> Response<Full<Bytes>>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let path = req.uri().path().to_owned();
    if path == "/add-checkpoint" {
        if req.method() != Method::POST {
            return text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n".into());
        }
        let read = tokio::time::timeout(
            BODY_TIMEOUT,
            Limited::new(req.into_body(), MAX_BODY).collect(),
        );
        let body = match read.await {
            Ok(Ok(b)) => b.to_bytes(),
            Ok(Err(e))
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body over {MAX_BODY} bytes\n"),
                )
            }
            Ok(Err(e)) => return text(StatusCode::BAD_REQUEST, format!("reading the body: {e}\n")),
            Err(_) => {
                return text(
                    StatusCode::REQUEST_TIMEOUT,
                    "body not received in time\n".into(),
                )
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let w = witness.clone();
        let outcome = tokio::task::spawn_blocking(move || w.add_checkpoint(&body, now))
            .await
            .unwrap_or_else(|e| Outcome::Internal(format!("witness task: {e}")));
        return respond(outcome);
    }
    let monitoring = path
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/checkpoint"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    if let Some(hash) = monitoring {
        if req.method() != Method::GET {
            return text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n".into());
        }
        return match witness.latest(hash) {
            Some(note) => text(StatusCode::OK, note),
            None => text(
                StatusCode::NOT_FOUND,
                "no checkpoint cosigned for this log\n".into(),
            ),
        };
    }
    text(
        StatusCode::NOT_FOUND,
        "not found: POST /add-checkpoint or GET /<origin hash>/checkpoint\n".into(),
    )
}

fn respond(outcome: Outcome) -> Response<Full<Bytes>> {
    let status =
        StatusCode::from_u16(outcome.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match outcome {
        Outcome::Cosigned(lines) => text(status, lines),
        Outcome::Conflict(size) => {
            let mut r = text(status, format!("{size}\n"));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/x.tlog.size"),
            );
            r
        }
        Outcome::UnknownOrigin => text(status, "unknown log origin\n".into()),
        Outcome::Unprocessable(why) => {
            // Possibly evidence of a misbehaving log: worth keeping in the witness's own log.
            tracing::warn!(reason = %why, "refused an inconsistent checkpoint");
            text(status, format!("{why}\n"))
        }
        Outcome::Internal(why) => {
            tracing::error!(error = %why, "could not persist the witness state; nothing cosigned");
            text(status, "the witness could not persist its state\n".into())
        }
        Outcome::BadRequest(why) | Outcome::Forbidden(why) => text(status, format!("{why}\n")),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
