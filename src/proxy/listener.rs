//! The proxy listener: accepts TCP connections (bounded by `max_connections`), terminates TLS
//! when configured, serves HTTP/1.1 and HTTP/2 (ALPN over TLS, prior knowledge in clear) with
//! hyper, closes idle connections, and drains in-flight requests and streams on shutdown.
//!
//! The connection-limit semaphore doubles as the drain tracker: shutdown is complete when every
//! permit is back. Request handling itself is [`super::pipeline`]'s.
//!
//! Memory under hostile load is bounded here and in `Pipeline::read_body`: the listener owns the
//! process-wide request-body [`Budget`] and one per connection, and hands both to every request
//! (a request extension, [`BodyBudgets`]). hyper's own buffers are set explicitly below: an
//! HTTP/1.1 connection buffers at most [`H1_MAX_BUF`] of unread input; an HTTP/2 connection
//! announces `h2_max_concurrent_streams` and flow-control windows of [`H2_STREAM_WINDOW`] per
//! stream and [`H2_CONN_WINDOW`] per connection, so bytes the pipeline has not yet taken (and
//! charged to the budgets) stay under 1 MiB per connection however slowly a body is read.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::body::{BoxError, ProxyBody};
use super::budget::{BodyBudgets, Budget};
use super::call::{ConnInfo, DrainGuard};
use super::pipeline::Pipeline;
use super::shared::Shared;

/// Accept and serve until `shutdown` flips, then drain for at most the configured grace period.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let max = shared.config.server.max_connections;
    let limit = Arc::new(Semaphore::new(max));
    let bodies = Budget::new(shared.config.server.max_inflight_body_bytes as u64);
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            shared.clone(),
            stream,
            peer,
            tls.clone(),
            bodies.clone(),
            permit,
            shutdown.clone(),
        ));
    }
    drop(listener);
    let grace = shared.config.server.shutdown_grace;
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, limit.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "shutdown grace period over; closing remaining connections"
        );
    }
}

async fn connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: std::net::SocketAddr,
    tls: Option<TlsAcceptor>,
    process_bodies: Arc<Budget>,
    permit: OwnedSemaphorePermit,
    mut shutdown: watch::Receiver<bool>,
) {
    let budgets = BodyBudgets {
        connection: Budget::new(shared.config.server.max_connection_body_bytes as u64),
        process: process_bodies,
    };
    let activity = Arc::new(Activity::default());
    let io = Tracked {
        inner: stream,
        activity: activity.clone(),
    };
    let header_timeout = shared.config.server.header_read_timeout;
    let drain = Some(DrainGuard::new(permit));
    match tls {
        None => {
            let info = ConnInfo {
                peer,
                client_cert: None,
                tls: false,
                drain,
            };
            drive(
                shared,
                TokioIo::new(io),
                info,
                budgets,
                activity,
                &mut shutdown,
            )
            .await;
        }
        Some(acceptor) => {
            let Some((tls_stream, client_cert)) =
                handshake(&acceptor, io, header_timeout, peer).await
            else {
                return;
            };
            let info = ConnInfo {
                peer,
                client_cert,
                tls: true,
                drain,
            };
            drive(
                shared,
                TokioIo::new(tls_stream),
                info,
                budgets,
                activity,
                &mut shutdown,
            )
            .await;
        }
    }
}

/// The TLS handshake of one connection, bounded by `timeout`, and the client's leaf
/// certificate (DER) when it sent one. `None` when the handshake failed or timed out (logged).
pub(super) async fn handshake<I>(
    acceptor: &TlsAcceptor,
    io: I,
    timeout: Duration,
    peer: std::net::SocketAddr,
) -> Option<(tokio_rustls::server::TlsStream<I>, Option<Arc<Vec<u8>>>)>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    let tls_stream = match tokio::time::timeout(timeout, acceptor.accept(io)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return None;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return None;
        }
    };
    let client_cert = tls_stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Arc::new(c.as_ref().to_vec()));
    Some((tls_stream, client_cert))
}

async fn drive<I>(
    shared: Arc<Shared>,
    io: TokioIo<I>,
    info: ConnInfo,
    budgets: BodyBudgets,
    activity: Arc<Activity>,
    shutdown: &mut watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let server = &shared.config.server;
    let idle = server.idle_timeout;
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(server.header_read_timeout)
        .keep_alive(true)
        .half_close(false)
        .max_buf_size(H1_MAX_BUF)
        .max_headers(100);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(server.h2_max_concurrent_streams)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONN_WINDOW)
        .adaptive_window(false)
        .max_frame_size(16 * 1024)
        .max_send_buf_size(H2_MAX_SEND_BUF)
        .max_header_list_size(64 * 1024)
        .max_pending_accept_reset_streams(Some(20))
        .max_local_error_reset_streams(Some(1024))
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let info = Arc::new(info);
    let pipeline = Arc::new(Pipeline {
        shared: shared.clone(),
    });
    let act = activity.clone();
    let svc = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(budgets.clone());
        let pipeline = pipeline.clone();
        let info = info.clone();
        let guard = InFlight::new(act.clone());
        async move {
            let resp = pipeline.handle(&info, req).await;
            Ok::<_, Infallible>(resp.map(|b| {
                Guarded {
                    inner: b,
                    _guard: guard,
                }
                .boxed_unsync()
            }))
        }
    });
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    let mut closing = *shutdown.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    let tick = idle
        .min(Duration::from_secs(1))
        .max(Duration::from_millis(10));
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = shutdown.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(tick), if !closing => {
                if activity.idle_for() >= idle && activity.inflight.load(Ordering::Acquire) == 0 {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Unread HTTP/1.1 input one connection may buffer (headers must fit in it too).
pub const H1_MAX_BUF: usize = 64 * 1024;
/// HTTP/2 flow-control window per stream: request-body bytes a client may send before the
/// pipeline has read (and budgeted) them.
pub const H2_STREAM_WINDOW: u32 = 256 * 1024;
/// HTTP/2 flow-control window for all streams of one connection together.
pub const H2_CONN_WINDOW: u32 = 1024 * 1024;
/// Response bytes queued per HTTP/2 stream before the client has taken them.
pub const H2_MAX_SEND_BUF: usize = 256 * 1024;

fn clock_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// Last I/O time and requests in flight on one connection.
#[derive(Debug)]
struct Activity {
    last_ms: AtomicU64,
    inflight: AtomicUsize,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            last_ms: AtomicU64::new(clock_ms()),
            inflight: AtomicUsize::new(0),
        }
    }
}

impl Activity {
    fn touch(&self) {
        self.last_ms.store(clock_ms(), Ordering::Relaxed);
    }
    fn idle_for(&self) -> Duration {
        Duration::from_millis(clock_ms().saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Counts a request as in flight until its response body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: Arc<Activity>) -> Self {
        a.inflight.fetch_add(1, Ordering::AcqRel);
        Self(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}

/// A response body that holds its request's in-flight guard.
struct Guarded {
    inner: ProxyBody,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = BoxError;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, BoxError>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A transport that records when bytes last moved.
struct Tracked<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
