//! Guardrail mode: aimsgate as the guardrail service other gateways call, on its own listener
//! (`serve --guardrail-listen ADDR`, `[guardrail]`). One port serves HTTP/1.1 and HTTP/2 (TLS
//! with the proxy listener's `[server.tls]` when set, else in clear with prior knowledge):
//!
//! | contract | route |
//! |---|---|
//! | LiteLLM Generic Guardrail API ([`litellm`]) | `POST /beta/litellm_basic_guardrail_api` |
//! | Portkey webhook guardrail ([`portkey`]) | `POST /portkey/webhook` |
//! | Envoy external processing ([`ext_proc`]) | gRPC `envoy.service.ext_proc.v3.ExternalProcessor/Process` |
//! | liveness | `GET /healthz` |
//!
//! Each guarded call runs the proxy's own phases ([`Pipeline::guard_request`] and the answer
//! side), so it leaves the same decision and outcome records as a proxied call, marked with the
//! calling gateway and hook. A guardrail failure (the evidence log not writable, an internal
//! error) answers per `[guardrail] fail_open` ([`failure_lets_through`]). Request checks and
//! answer checks of one call arrive as two requests for the webhook contracts: the decision
//! waits in [`pending`] for its answer check.
//!
//! Holds no rules and no patterns; the wire shapes are each contract's file.

pub mod ext_proc;
pub mod litellm;
pub mod pending;
pub mod portkey;
pub mod service;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::body::{BoxError, ProxyBody};
use super::call::ConnInfo;
pub use service::{
    bad_request, failure_lets_through, json, refusal_message, Guardrail, EXT_PROC_PATH,
    LITELLM_PATH, PORTKEY_PATH,
};

/// Accept and serve until `shutdown` flips; then the waiting decisions are recorded.
pub async fn serve(
    guard: Guardrail,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let sweeper = tokio::spawn(sweep(guard.clone(), shutdown.clone()));
    let connections = Arc::new(tokio::sync::Semaphore::new(
        guard.shared().config.server.max_connections,
    ));
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "guardrail listener: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let guard = guard.clone();
        let stop = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            accept(guard, stream, peer, tls, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = sweeper.await;
    let grace = guard.shared().config.server.shutdown_grace;
    let all = u32::try_from(guard.shared().config.server.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(grace, connections.acquire_many(all)).await;
    guard.pending.drain_all(&guard.pipeline);
}

/// One accepted connection: TLS first when the proxy listener has it (the same certificate,
/// client CAs and ALPN, so a gateway or mesh can authenticate with its client certificate).
async fn accept(
    guard: Guardrail,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    let Some(acceptor) = tls else {
        let info = ConnInfo {
            peer,
            client_cert: None,
            tls: false,
            drain: None,
        };
        return connection(guard, TokioIo::new(stream), info, shutdown).await;
    };
    let timeout = guard.shared().config.server.header_read_timeout;
    let Some((tls_stream, client_cert)) =
        super::listener::handshake(&acceptor, stream, timeout, peer).await
    else {
        return;
    };
    let info = ConnInfo {
        peer,
        client_cert,
        tls: true,
        drain: None,
    };
    connection(guard, TokioIo::new(tls_stream), info, shutdown).await;
}

async fn connection<I>(
    guard: Guardrail,
    io: TokioIo<I>,
    info: ConnInfo,
    mut shutdown: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let server = &guard.shared().config.server;
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(server.header_read_timeout)
        .max_buf_size(super::listener::H1_MAX_BUF);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(server.h2_max_concurrent_streams)
        .initial_stream_window_size(super::listener::H2_STREAM_WINDOW)
        .initial_connection_window_size(super::listener::H2_CONN_WINDOW)
        .max_header_list_size(64 * 1024)
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let info = Arc::new(info);
    let ext_proc = ext_proc::server(guard.clone(), info.clone());
    let svc = service_fn(move |req: Request<Incoming>| {
        let guard = guard.clone();
        let info = info.clone();
        let mut ext_proc = ext_proc.clone();
        async move {
            let resp = if req.uri().path() == EXT_PROC_PATH {
                use tonic::codegen::Service as _;
                match ext_proc.call(req).await {
                    Ok(r) => r.map(|b| b.map_err(|e| Box::new(e) as BoxError).boxed_unsync()),
                    Err(never) => match never {},
                }
            } else {
                route(&guard, &info, req).await
            };
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "guardrail connection ended with an error");
            }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// The webhook routes.
async fn route(guard: &Guardrail, info: &ConnInfo, req: Request<Incoming>) -> Response<ProxyBody> {
    match (req.method(), req.uri().path()) {
        (&Method::POST, LITELLM_PATH) => litellm::handle(guard, info, req).await,
        (&Method::POST, PORTKEY_PATH) => portkey::handle(guard, info, req).await,
        (&Method::GET, "/healthz") => json(StatusCode::OK, &serde_json::json!({"status": "ok"})),
        (_, LITELLM_PATH | PORTKEY_PATH) => bad_request(
            StatusCode::METHOD_NOT_ALLOWED,
            "this guardrail route takes POST",
        ),
        (_, path) => {
            let path: String = path.chars().take(64).collect();
            bad_request(
                StatusCode::NOT_FOUND,
                &format!(
                    "no guardrail route `{path}`: use POST {LITELLM_PATH} (LiteLLM), POST {PORTKEY_PATH} (Portkey) or gRPC {EXT_PROC_PATH} (Envoy ext_proc)"
                ),
            )
        }
    }
}

/// Expire waiting decisions until shutdown.
async fn sweep(guard: Guardrail, mut shutdown: watch::Receiver<bool>) {
    let tick = (guard.pending.ttl() / 10).clamp(Duration::from_millis(10), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => guard.pending.expire(&guard.pipeline, Instant::now()),
            _ = shutdown.changed() => break,
        }
    }
}
