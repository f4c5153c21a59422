//! Request and response bodies. A request body is read by [`read_request`] into one buffer,
//! charged to the in-flight body budgets as it arrives; a bodiless route checks with
//! [`refuse_any`] that nothing came. For responses: the boxed body type every response uses, and
//! [`Observed`], the wrapper that
//! streams an upstream body to the client frame by frame (never buffering it) while it lets an
//! inspector see or rewrite each chunk, enforces the upstream idle timeout, and calls a finisher
//! exactly once — at the end of the stream, on an error, or when the client goes away (drop).
//!
//! Dropping an [`Observed`] drops the upstream body, which closes that upstream connection: a
//! client disconnect cancels the upstream call.
//!
//! What stays buffered: the JSON extractor needs the whole request, so a request body is held in
//! memory once, whole, from its first byte until it has been forwarded (at most `max_body_bytes`
//! per request, and at most the per-connection and process budgets together). A body that came in
//! one frame is kept as that frame (no copy); otherwise frames are copied once, from hyper's frame
//! into one buffer — sized up front from a declared Content-Length, grown by doubling for a
//! chunked body — and the buffer becomes the forwarded `Bytes` without another copy. What parsing
//! allocates beside it (the JSON tree, extracted text, a redacted rewrite) is not budgeted.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::budget::{BodyBudgets, Held, Reserved, Scope};
use super::outcome::{BodyStats, InspectReport, StreamEnd};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use tokio::time::Sleep;

/// Errors a response body can yield.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every response aimsgate sends.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// A complete in-memory body.
pub fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// More than the limit arrived.
    TooLarge,
    /// A body budget is exhausted.
    Budget(Scope),
    /// A body came on a route that takes none.
    NotAllowed,
    /// The transport failed (e.g. the client went away mid-body).
    Transport(BoxError),
}

/// Read a whole request body of at most `limit` bytes, charging every frame to `budgets` before
/// it is copied. A `declared` Content-Length (already checked against `limit`) sizes the buffer
/// up front, so it is never reallocated; pages are touched, and bytes charged, only as they come.
/// The returned bytes keep the budget reserved until their last clone is dropped.
pub async fn read_request<B>(
    body: B,
    limit: usize,
    declared: Option<u64>,
    budgets: Option<&BodyBudgets>,
) -> Result<Bytes, ReadError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut reservation = budgets.map(BodyBudgets::reservation);
    // A body that arrives in one frame (most small JSON requests) is kept as that frame, with no
    // copy; from the second frame on, frames are copied into one buffer.
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Transport(e.into()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing the pipeline reads
        };
        if data.is_empty() {
            continue;
        }
        len = len.saturating_add(data.len());
        if len > limit {
            return Err(ReadError::TooLarge);
        }
        if let Some(r) = reservation.as_mut() {
            r.grow(data.len() as u64).map_err(ReadError::Budget)?;
        }
        if len == data.len() {
            first = Some(data);
            continue;
        }
        if let Some(head) = first.take() {
            let size = declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
            buf.reserve_exact(size.max(len).min(limit));
            buf.extend_from_slice(&head);
        }
        buf.extend_from_slice(&data);
    }
    Ok(match (first, reservation) {
        (Some(head), Some(reservation)) => Bytes::from_owner(Reserved {
            buf: Held::Frame(head),
            reservation,
        }),
        (Some(head), None) => head,
        (None, Some(reservation)) if !buf.is_empty() => Bytes::from_owner(Reserved {
            buf: Held::Copied(buf),
            reservation,
        }),
        (None, _) => Bytes::from(buf),
    })
}

/// For a route that takes no body: succeed only if the body is empty. A declared non-zero length
/// is refused without reading; otherwise the first data byte refuses (nothing is kept).
pub async fn refuse_any<B>(body: B, declared_nonzero: bool) -> Result<(), ReadError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if declared_nonzero {
        return Err(ReadError::NotAllowed);
    }
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Transport(e.into()))?;
        if frame.data_ref().is_some_and(|d| !d.is_empty()) {
            return Err(ReadError::NotAllowed);
        }
    }
    Ok(())
}

/// Sees every chunk of a response; may rewrite it or end the stream.
pub trait Inspector: Send {
    /// Inspect a chunk; return what to send to the client instead.
    fn on_chunk(&mut self, chunk: Bytes) -> Inspected;
    /// Called once at the natural end; may return final bytes (e.g. held-back text).
    fn on_end(&mut self) -> Option<Bytes>;
    /// What was learned (usage, output findings, scan coverage), for the outcome record.
    fn report(&mut self) -> InspectReport {
        InspectReport::default()
    }
}

/// An inspector's verdict on one chunk.
pub enum Inspected {
    Pass(Bytes),
    /// Send these final bytes (e.g. an error event) and end the stream.
    Stop(Bytes),
}

/// Passes everything through untouched.
pub struct NoInspection;

impl Inspector for NoInspection {
    fn on_chunk(&mut self, chunk: Bytes) -> Inspected {
        Inspected::Pass(chunk)
    }
    fn on_end(&mut self) -> Option<Bytes> {
        None
    }
}

/// Called once when the body is done, with the inspector handed over (so the work it still
/// has to do, its report, can run off the response's path).
type Finisher = Box<dyn FnOnce(BodyStats, Box<dyn Inspector>) + Send>;

/// An upstream body streamed to the client under observation.
pub struct Observed<B> {
    inner: Pin<Box<B>>,
    inspector: Box<dyn Inspector>,
    finisher: Option<Finisher>,
    idle: Duration,
    sleep: Pin<Box<Sleep>>,
    started: Instant,
    bytes: u64,
    first_byte: Option<Duration>,
    done: bool,
    /// The inspector's last bytes, when the upstream body ended together with a data frame.
    tail: Option<Bytes>,
}

impl<B> Observed<B> {
    pub fn new(
        inner: B,
        inspector: Box<dyn Inspector>,
        idle: Duration,
        started: Instant,
        finisher: Finisher,
    ) -> Self {
        Self {
            inner: Box::pin(inner),
            inspector,
            finisher: Some(finisher),
            idle,
            sleep: Box::pin(tokio::time::sleep(idle)),
            started,
            bytes: 0,
            first_byte: None,
            done: false,
            tail: None,
        }
    }

    fn finish(&mut self, end: StreamEnd) {
        self.done = true;
        if let Some(f) = self.finisher.take() {
            let stats = BodyStats {
                end,
                bytes: self.bytes,
                first_byte: self.first_byte,
            };
            // `NoInspection` is zero-sized: the swap allocates nothing.
            let inspector = std::mem::replace(&mut self.inspector, Box::new(NoInspection));
            f(stats, inspector);
        }
    }
}

impl<B> Drop for Observed<B> {
    fn drop(&mut self) {
        if self.finisher.is_some() {
            self.finish(StreamEnd::ClientGone);
        }
    }
}

/// Error yielded when the upstream stalls past its idle timeout.
#[derive(Debug, thiserror::Error)]
#[error("upstream sent nothing for {0:?}")]
pub struct IdleTimeout(Duration);

impl<B> Body for Observed<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(this.tail.take().map(|t| Ok(Frame::data(t))));
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Pending => {
                if this.sleep.as_mut().poll(cx).is_ready() {
                    this.finish(StreamEnd::UpstreamIdle);
                    return Poll::Ready(Some(Err(Box::new(IdleTimeout(this.idle)))));
                }
                Poll::Pending
            }
            Poll::Ready(None) => {
                let tail = this.inspector.on_end();
                this.finish(StreamEnd::Complete);
                match tail {
                    Some(t) if !t.is_empty() => Poll::Ready(Some(Ok(Frame::data(t)))),
                    _ => Poll::Ready(None),
                }
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish(StreamEnd::UpstreamError);
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = tokio::time::Instant::now() + this.idle;
                this.sleep.as_mut().reset(deadline);
                match frame.into_data() {
                    Ok(data) => {
                        if this.first_byte.is_none() {
                            this.first_byte = Some(this.started.elapsed());
                        }
                        this.bytes += data.len() as u64;
                        match this.inspector.on_chunk(data) {
                            // A body with a known length may not be polled again after its last
                            // byte (hyper stops at Content-Length): end it here, not on drop.
                            Inspected::Pass(out) if this.inner.is_end_stream() => {
                                this.tail = this.inspector.on_end().filter(|t| !t.is_empty());
                                this.finish(StreamEnd::Complete);
                                Poll::Ready(Some(Ok(Frame::data(out))))
                            }
                            Inspected::Pass(out) => Poll::Ready(Some(Ok(Frame::data(out)))),
                            Inspected::Stop(out) => {
                                this.finish(StreamEnd::Blocked);
                                Poll::Ready(Some(Ok(Frame::data(out))))
                            }
                        }
                    }
                    // Trailers pass through untouched.
                    Err(frame) => Poll::Ready(Some(Ok(frame))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.tail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Upper;
    impl Inspector for Upper {
        fn on_chunk(&mut self, chunk: Bytes) -> Inspected {
            Inspected::Pass(Bytes::from(chunk.to_ascii_uppercase()))
        }
        fn on_end(&mut self) -> Option<Bytes> {
            Some(Bytes::from_static(b"!"))
        }
    }

    #[tokio::test]
    async fn streams_inspects_and_finishes_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let body = Observed::new(
            Full::new(Bytes::from_static(b"hello")),
            Box::new(Upper),
            Duration::from_secs(5),
            Instant::now(),
            Box::new(move |stats, _inspector| s2.lock().unwrap().push(stats)),
        );
        let out = body.collect().await.unwrap().to_bytes();
        assert_eq!(&out[..], b"HELLO!");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].end, StreamEnd::Complete);
        assert_eq!(seen[0].bytes, 5);
    }

    #[tokio::test]
    async fn dropping_the_body_reports_client_gone() {
        let seen = Arc::new(Mutex::new(None));
        let s2 = seen.clone();
        let body = Observed::new(
            Full::new(Bytes::from_static(b"x")),
            Box::new(NoInspection),
            Duration::from_secs(5),
            Instant::now(),
            Box::new(move |stats, _inspector| *s2.lock().unwrap() = Some(stats.end)),
        );
        drop(body);
        assert_eq!(*seen.lock().unwrap(), Some(StreamEnd::ClientGone));
    }

    #[tokio::test]
    async fn a_known_length_body_read_to_its_last_byte_is_complete_even_if_dropped_then() {
        // hyper's server stops polling once Content-Length bytes are written, then drops the body.
        let seen = Arc::new(Mutex::new(None));
        let s2 = seen.clone();
        let mut body = Observed::new(
            Full::new(Bytes::from_static(b"whole answer")),
            Box::new(NoInspection),
            Duration::from_secs(5),
            Instant::now(),
            Box::new(move |stats, _inspector| *s2.lock().unwrap() = Some((stats.end, stats.bytes))),
        );
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(
            frame.into_data().unwrap(),
            Bytes::from_static(b"whole answer")
        );
        drop(body);
        assert_eq!(*seen.lock().unwrap(), Some((StreamEnd::Complete, 12)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_upstream_hits_the_idle_timeout() {
        let (_tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(1);
        let stream = http_body_util::StreamBody::new(tokio_stream_from(rx));
        let seen = Arc::new(Mutex::new(None));
        let s2 = seen.clone();
        let mut body = Observed::new(
            stream,
            Box::new(NoInspection),
            Duration::from_millis(50),
            Instant::now(),
            Box::new(move |stats, _inspector| *s2.lock().unwrap() = Some(stats.end)),
        );
        let r = body.frame().await.unwrap();
        assert!(r.is_err());
        assert_eq!(*seen.lock().unwrap(), Some(StreamEnd::UpstreamIdle));
    }

    fn frames(chunks: &[&'static [u8]]) -> impl Body<Data = Bytes, Error = BoxError> {
        let items: Vec<Result<Frame<Bytes>, BoxError>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from_static(c))))
            .collect();
        http_body_util::StreamBody::new(futures_util::stream::iter(items))
    }

    fn budgets(process: u64, connection: u64) -> BodyBudgets {
        BodyBudgets {
            process: crate::proxy::budget::Budget::new(process),
            connection: crate::proxy::budget::Budget::new(connection),
        }
    }

    #[tokio::test]
    async fn a_request_body_is_read_whole_and_keeps_its_budget_while_held() {
        let b = budgets(100, 100);
        let bytes = read_request(frames(&[b"ab", b"", b"cde"]), 10, None, Some(&b))
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"abcde");
        assert_eq!(b.process.in_use(), 5);
        assert_eq!(b.connection.in_use(), 5);
        drop(bytes);
        assert_eq!(b.process.in_use(), 0);
        // A declared length sizes the buffer once; the bytes are the same.
        let bytes = read_request(frames(&[b"ab", b"cd"]), 10, Some(4), Some(&b))
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"abcd");
        drop(bytes);
        // A body in one frame is that frame, still charged until dropped.
        let one = read_request(frames(&[b"", b"whole"]), 10, Some(5), Some(&b))
            .await
            .unwrap();
        assert_eq!(&one[..], b"whole");
        assert_eq!(b.process.in_use(), 5);
        drop(one);
        assert_eq!(b.connection.in_use(), 0);
        let empty = read_request(frames(&[]), 10, None, Some(&b)).await.unwrap();
        assert!(empty.is_empty());
    }

    #[tokio::test]
    async fn a_request_body_over_a_budget_or_the_limit_is_refused_and_releases_what_it_held() {
        let b = budgets(4, 100);
        let r = read_request(frames(&[b"abc", b"de"]), 10, None, Some(&b)).await;
        assert!(matches!(r, Err(ReadError::Budget(Scope::Process))), "{r:?}");
        assert_eq!(b.process.in_use(), 0);
        assert_eq!(b.connection.in_use(), 0);
        let b = budgets(100, 4);
        let r = read_request(frames(&[b"abcde"]), 10, None, Some(&b)).await;
        assert!(
            matches!(r, Err(ReadError::Budget(Scope::Connection))),
            "{r:?}"
        );
        let r = read_request(frames(&[b"abc", b"de"]), 4, None, None).await;
        assert!(matches!(r, Err(ReadError::TooLarge)), "{r:?}");
    }

    #[tokio::test]
    async fn a_bodiless_route_accepts_only_an_empty_body() {
        assert!(refuse_any(frames(&[]), false).await.is_ok());
        assert!(refuse_any(frames(&[b""]), false).await.is_ok());
        let r = refuse_any(frames(&[b"", b"x"]), false).await;
        assert!(matches!(r, Err(ReadError::NotAllowed)), "{r:?}");
        let r = refuse_any(frames(&[]), true).await;
        assert!(matches!(r, Err(ReadError::NotAllowed)), "{r:?}");
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, BoxError>>,
    ) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, BoxError>> {
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
