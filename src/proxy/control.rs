//! The control socket `DATA_DIR/control.sock`: a Unix domain socket (mode 0600) through which
//! local tools reach a running proxy's evidence log, which the proxy holds locked. It serves
//! HTTP/1.1 with one route, `POST /v1/review` (a reviewer's disposition of a call flagged for
//! review, see [`crate::evidence::review`]); [`client`] is the other end, used by
//! `aimsgate review`.
//!
//! Security: only the socket's file mode protects it. Whoever can write to the socket (the data
//! dir's owner, and root) can record a disposition; the reviewer name is what the caller says,
//! and the log's signature proves only that the gateway recorded it. Owns the socket's life
//! (bound at start, a stale file from a crash replaced, removed at clean shutdown) and the wire
//! format; the validation and the lookup of the decision are `evidence::review`'s.

pub mod client;

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::UnixListener;

use super::body::{full, ProxyBody};
use super::shared::Shared;
use crate::evidence::review::{find_decision, Review};

/// The socket's file name in the data dir.
pub const SOCKET_FILE: &str = "control.sock";
/// Largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;
/// The review route.
pub const REVIEW_PATH: &str = "/v1/review";

/// `DIR/control.sock`.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(SOCKET_FILE)
}

/// The body of `POST /v1/review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision_id: String,
    /// `accepted`, `rejected` or `escalated`.
    pub disposition: String,
    /// The reviewer.
    pub by: String,
    pub note: String,
}

/// The answer to a recorded disposition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewReply {
    /// Seq of the ReviewDisposition record.
    pub seq: u64,
    /// Seq of the reviewed decision record.
    pub decision_seq: u64,
    /// Was the decision flagged for review?
    #[serde(default)]
    pub flagged: bool,
}

/// Binds `DIR/control.sock` with mode 0600, replacing a stale socket file left by a crash (the
/// evidence log's lock, taken before, guarantees no other proxy serves this data dir). The
/// socket is bound under a temporary name, restricted, then renamed into place, so it is never
/// reachable with a wider mode.
pub fn bind(dir: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = dir.join(format!(".control-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let listener = UnixListener::bind(&tmp)?;
    let placed = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&tmp, socket_path(dir)));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(listener)
}

/// Serves the control socket until `shutdown` changes, then removes the socket file.
pub async fn serve(
    shared: Arc<Shared>,
    listener: UnixListener,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
    let path = socket_path(&shared.config.data_dir);
    if let Err(e) = std::fs::remove_file(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, path = %path.display(), "could not remove the control socket");
        }
    }
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Response<ProxyBody> {
    match (req.method(), req.uri().path()) {
        (&Method::POST, REVIEW_PATH) => match review(shared, req).await {
            Ok(reply) => json(StatusCode::OK, &reply),
            Err((status, message)) => error(status, &message),
        },
        (_, REVIEW_PATH) => error(StatusCode::METHOD_NOT_ALLOWED, "use POST"),
        _ => error(
            StatusCode::NOT_FOUND,
            "not found: the route is POST /v1/review",
        ),
    }
}

type Refusal = (StatusCode, String);

async fn review(shared: &Shared, req: Request<Incoming>) -> Result<ReviewReply, Refusal> {
    let body = read_body(req).await?;
    let input: ReviewRequest = serde_json::from_slice(&body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("invalid request JSON: {e}"),
        )
    })?;
    let review = Review::new(
        &input.decision_id,
        &input.disposition,
        &input.by,
        &input.note,
    )
    .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let dir = shared.config.data_dir.clone();
    let id = review.decision_id.clone();
    let found = tokio::task::spawn_blocking(move || find_decision(&dir, &id))
        .await
        .map_err(|e| unavailable(&e.to_string()))?
        .map_err(|e| unavailable(&e.to_string()))?;
    let Some(decision) = found else {
        return Err((
            StatusCode::NOT_FOUND,
            format!(
                "decision {} not found in {}",
                review.decision_id,
                shared.config.data_dir.display()
            ),
        ));
    };
    let appended = shared
        .evidence
        .append(review.payload(&decision))
        .await
        .map_err(|e| unavailable(&e.to_string()))?;
    tracing::info!(
        decision_id = %review.decision_id,
        disposition = crate::evidence::review::disposition_name(review.disposition),
        seq = appended.seq,
        "review disposition recorded"
    );
    Ok(ReviewReply {
        seq: appended.seq,
        decision_seq: decision.seq,
        flagged: decision.flagged,
    })
}

fn unavailable(e: &str) -> Refusal {
    tracing::error!(error = %e, "could not record a review disposition");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("evidence log unavailable: {e}"),
    )
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, Refusal> {
    match Limited::new(req.into_body(), BODY_LIMIT).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over {BODY_LIMIT} bytes"),
        )),
        Err(e) => Err((
            StatusCode::BAD_REQUEST,
            format!("reading the request body: {e}"),
        )),
    }
}

fn json(status: StatusCode, v: &impl Serialize) -> Response<ProxyBody> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// `{"error": {"message": ..}}`.
fn error(status: StatusCode, message: &str) -> Response<ProxyBody> {
    json(
        status,
        &serde_json::json!({ "error": { "message": message } }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bind_replaces_a_stale_file_with_an_owner_only_socket() {
        use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
        let d = tempfile::tempdir().unwrap();
        std::fs::write(socket_path(d.path()), b"left by a crash").unwrap();
        let _listener = bind(d.path()).unwrap();
        let meta = std::fs::metadata(socket_path(d.path())).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from(SOCKET_FILE)],
            "no temp left"
        );
        // Reachable under its final name.
        tokio::net::UnixStream::connect(socket_path(d.path()))
            .await
            .unwrap();
    }

    #[test]
    fn the_wire_format_is_plain_json() {
        let req: ReviewRequest = serde_json::from_str(
            r#"{"decision_id":"d","disposition":"accepted","by":"a","note":"n"}"#,
        )
        .unwrap();
        assert_eq!(req.by, "a");
        assert!(serde_json::from_str::<ReviewRequest>(
            r#"{"decision_id":"d","disposition":"accepted","by":"a","note":"n","x":1}"#
        )
        .is_err());
        let reply: ReviewReply = serde_json::from_str(r#"{"seq":9,"decision_seq":4}"#).unwrap();
        assert_eq!(
            (reply.seq, reply.decision_seq, reply.flagged),
            (9, 4, false)
        );
    }
}
