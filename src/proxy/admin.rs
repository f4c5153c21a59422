//! The admin listener: `/healthz` (the process is up), `/readyz` (it can take traffic) and
//! `/metrics` (Prometheus), on its own address, never the proxy's port.

use std::convert::Infallible;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use super::body::{full, ProxyBody};
use super::shared::Shared;

/// Serve admin requests until `shutdown` resolves.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, &req)) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

fn route(shared: &Shared, req: &Request<Incoming>) -> Response<ProxyBody> {
    let (status, body): (StatusCode, String) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => (StatusCode::OK, "ok\n".into()),
        (&Method::GET, "/readyz") => match shared.not_ready_reason() {
            None => (StatusCode::OK, "ready\n".into()),
            Some(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {why}\n"),
            ),
        },
        (&Method::GET, "/metrics") => {
            let h = shared.evidence.health();
            let m = &shared.metrics;
            m.evidence_healthy.set(i64::from(h.healthy));
            m.evidence_queue_depth
                .set(i64::try_from(h.queue_depth).unwrap_or(i64::MAX));
            m.evidence_records
                .set(i64::try_from(h.records).unwrap_or(i64::MAX));
            m.evidence_group_commit_latency
                .set(h.last_append_latency_us as f64 / 1e6);
            m.evidence_last_checkpoint_age_seconds
                .set(i64::try_from(h.last_checkpoint_age_secs).unwrap_or(i64::MAX));
            m.evidence_checkpoint_signatures
                .set(i64::try_from(h.signatures).unwrap_or(i64::MAX));
            // OpenMetrics when the scraper asks for it (Prometheus does), else the Prometheus
            // text format 0.0.4 that every other tool reads.
            let openmetrics = req
                .headers()
                .get_all(http::header::ACCEPT)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("application/openmetrics-text"));
            let (text, kind) = if openmetrics {
                (
                    m.render(),
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )
            } else {
                (m.render_text(), "text/plain; version=0.0.4; charset=utf-8")
            };
            let mut r = Response::new(full(text));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(kind),
            );
            return r;
        }
        (_, "/healthz" | "/readyz" | "/metrics") => {
            (StatusCode::METHOD_NOT_ALLOWED, "use GET\n".into())
        }
        _ => (
            StatusCode::NOT_FOUND,
            "not found: try /healthz, /readyz or /metrics\n".into(),
        ),
    };
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
