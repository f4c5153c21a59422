//! The memory test: the real binary with default limits (8 MiB bodies, 256 MiB process budget,
//! 16 MiB per connection, 64 HTTP/2 streams) under 100 HTTP/1.1 connections and one HTTP/2
//! connection of 200 streams, each declaring a body near `max_body_bytes` and sending it slowly.
//!
//! Bounds (asserted, in bytes of the proxy's resident set, read from `/proc/<pid>/status`):
//! under load, peak RSS (`VmHWM`) ≤ baseline + process budget + [`OVERHEAD`]; after the clients
//! go away, RSS ≤ baseline + [`AFTER`]. No timing is asserted: the load phase only runs long
//! enough for the budgets to fill and refuse.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::support::*;

const MIB: u64 = 1024 * 1024;
/// The default process-wide body budget.
const PROCESS_BUDGET: u64 = 256 * MIB;
/// What the proxy may hold beyond the budgeted bodies under this load: hyper's per-connection
/// buffers (64 KiB × 101 connections, 1 MiB of h2 window), growth slack of bodies being read,
/// evidence records of the refusals, allocator fragmentation.
const OVERHEAD: u64 = 96 * MIB;
/// What may stay resident after the load, above the baseline.
const AFTER: u64 = 64 * MIB;
/// The default HTTP/2 stream limit.
const H2_STREAMS: usize = 64;
/// Each body declares this length (just under the default `max_body_bytes` of 8 MiB) ...
const DECLARED: u64 = 8 * MIB - 4096;
/// ... and sends this much of it, one chunk per tick, then stalls (it never completes).
const CHUNK: usize = 128 * 1024;
const CHUNKS: usize = 48;
const TICK: Duration = Duration::from_millis(100);

/// Streams the gateway accepted and that are still open, and the most there ever were.
#[derive(Default)]
pub struct Active {
    now: AtomicUsize,
    max: AtomicUsize,
}

/// One request's place in [`Active`]: taken when the gateway accepts its stream, given back
/// once, when its answer arrives or its body is dropped, whichever comes first (a stream answered
/// before it was seen accepted is never counted).
#[derive(Default)]
pub struct Slot {
    taken: std::sync::atomic::AtomicBool,
    released: std::sync::atomic::AtomicBool,
}

impl Slot {
    fn take(&self, active: &Active) {
        if !self.released.load(Ordering::SeqCst) && !self.taken.swap(true, Ordering::SeqCst) {
            let now = active.now.fetch_add(1, Ordering::SeqCst) + 1;
            active.max.fetch_max(now, Ordering::SeqCst);
        }
    }
    fn release(&self, active: &Active) {
        if !self.released.swap(true, Ordering::SeqCst) && self.taken.load(Ordering::SeqCst) {
            active.now.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A request body that sends [`CHUNK`] bytes per [`TICK`], [`CHUNKS`] times, then stalls.
pub struct SlowBody {
    chunk: Bytes,
    left: usize,
    tick: Pin<Box<tokio::time::Sleep>>,
    active: Arc<Active>,
    slot: Arc<Slot>,
    /// An empty body instead (for a bodiless call on the same connection).
    empty: bool,
}

impl SlowBody {
    fn new(chunk: Bytes, active: Arc<Active>) -> Self {
        Self {
            chunk,
            left: CHUNKS,
            tick: Box::pin(tokio::time::sleep(Duration::ZERO)),
            active,
            slot: Arc::default(),
            empty: false,
        }
    }

    fn empty() -> Self {
        let mut body = Self::new(Bytes::new(), Arc::default());
        body.empty = true;
        body
    }
}

impl Body for SlowBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.empty {
            return Poll::Ready(None);
        }
        if self.left == 0 || self.tick.as_mut().poll(cx).is_pending() {
            return Poll::Pending; // stalls for good once everything was sent
        }
        // hyper polls a body once before its stream may send, then waits for send capacity, which
        // a stream the gateway has not yet accepted never gets: a second chunk means accepted.
        if self.left == CHUNKS - 1 {
            self.slot.take(&self.active);
        }
        self.left -= 1;
        let next = tokio::time::Instant::now() + TICK;
        self.tick.as_mut().reset(next);
        Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))))
    }
    fn is_end_stream(&self) -> bool {
        self.empty
    }
    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(if self.empty { 0 } else { DECLARED })
    }
}

impl Drop for SlowBody {
    fn drop(&mut self) {
        self.slot.release(&self.active);
    }
}

fn slow_request(gw: &Gateway, body: SlowBody) -> http::Request<SlowBody> {
    http::Request::post(gw.url("/v1/chat/completions"))
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .header("content-type", "application/json")
        .header("content-length", DECLARED.to_string())
        .body(body)
        .unwrap()
}

/// `VmRSS` and `VmHWM` of a process, in bytes.
fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = |key: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

/// What one slow request came back with: a status, or a transport error (a refused stream, or a
/// connection the gateway closed after refusing).
type Outcome = Result<u16, String>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_bounded_under_slow_large_bodies_and_returns_after() {
    let mock = mock().await;
    let cfg = config(&mock, "")
        .replace("max_body_bytes = 65536\n", "")
        .replace("body_read_timeout = \"2s\"\n", "");
    let gw = Gateway::start(&cfg).await;
    let pid = gw.child.id().unwrap();
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
    let (baseline, _) = rss(pid);

    let chunk = Bytes::from(vec![b'a'; CHUNK]);
    let h1_active = Arc::new(Active::default());
    let h2_active = Arc::new(Active::default());
    let mut tasks: Vec<(bool, tokio::task::JoinHandle<Outcome>)> = Vec::new();
    for _ in 0..100 {
        let tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = slow_request(&gw, SlowBody::new(chunk.clone(), h1_active.clone()));
        tasks.push((
            false,
            tokio::spawn(async move {
                match send.send_request(req).await {
                    Ok(r) => Ok(r.status().as_u16()),
                    Err(e) => Err(e.to_string()),
                }
            }),
        ));
    }
    let tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let (mut h2, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    // One small call first, so the gateway's SETTINGS (its stream limit) are in force.
    let first = http::Request::get(gw.url("/v1/models"))
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .body(SlowBody::empty())
        .unwrap();
    assert_eq!(h2.send_request(first).await.unwrap().status(), 200);
    for _ in 0..200 {
        let body = SlowBody::new(chunk.clone(), h2_active.clone());
        let (slot, active) = (body.slot.clone(), h2_active.clone());
        let fut = h2.send_request(slow_request(&gw, body));
        tasks.push((
            true,
            tokio::spawn(async move {
                let answer = fut.await;
                slot.release(&active);
                match answer {
                    Ok(r) => Ok(r.status().as_u16()),
                    Err(e) => Err(e.to_string()),
                }
            }),
        ));
    }

    // Under load: sample the resident set while the bodies trickle in and the budgets refuse.
    let mut peak = 0;
    for _ in 0..80 {
        tokio::time::sleep(TICK).await;
        peak = peak.max(rss(pid).0);
    }
    let (_, hwm) = rss(pid);
    let bound = baseline + PROCESS_BUDGET + OVERHEAD;
    eprintln!(
        "RSS baseline {} MiB, peak sampled {} MiB, VmHWM {} MiB, bound {} MiB",
        baseline / MIB,
        peak / MIB,
        hwm / MIB,
        bound / MIB
    );
    assert!(hwm <= bound, "VmHWM {hwm} over the bound {bound}");
    let h2_max = h2_active.max.load(Ordering::SeqCst);
    // The client counts a stream as gone when its answer's task runs, which may be just after
    // hyper's connection task has opened the next one: a few streams of slack, not 200 - 64.
    assert!(
        h2_max <= H2_STREAMS + 8,
        "{h2_max} h2 streams were sending at once; the gateway allows {H2_STREAMS}"
    );

    // The clients go away; what came back so far are budget refusals, nothing else.
    let mut statuses = Vec::new();
    for (is_h2, t) in tasks {
        if t.is_finished() {
            statuses.push((is_h2, t.await.unwrap()));
        } else {
            t.abort();
        }
    }
    drop(h2);
    let h1_503 = statuses
        .iter()
        .filter(|(h2, s)| !h2 && *s == Ok(503))
        .count();
    let h2_429 = statuses
        .iter()
        .filter(|(h2, s)| *h2 && *s == Ok(429))
        .count();
    eprintln!(
        "answered {} (h1 503: {h1_503}, h2 429: {h2_429}); h2 streams sending at once: {h2_max}",
        statuses.len()
    );
    for (_, s) in &statuses {
        if let Ok(code) = s {
            assert!(matches!(code, 429 | 503), "unexpected status {code}");
        }
    }
    assert!(
        h1_503 > 0,
        "the process budget refused some h1 bodies (503)"
    );
    assert!(
        h2_429 > 0,
        "the connection budget refused some h2 streams (429)"
    );

    // Memory comes back, and the gateway still serves.
    let mut after = u64::MAX;
    for _ in 0..100 {
        tokio::time::sleep(TICK).await;
        after = rss(pid).0;
        if after <= baseline + AFTER {
            break;
        }
    }
    eprintln!("RSS after the load {} MiB", after / MIB);
    assert!(
        after <= baseline + AFTER,
        "RSS {after} not back under {}",
        baseline + AFTER
    );
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
    let got = mock.received();
    assert_eq!(got.len(), 3, "no slow body was forwarded");
    assert!(got.iter().all(|r| r.body.len() < 1000));

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let refusals: Vec<_> = records
        .iter()
        .map(|r| &r["kind"]["Decision"])
        .filter(|d| {
            d["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("body_budget_exhausted"))
        })
        .collect();
    assert!(refusals.iter().any(|d| d["http_status"] == 503));
    assert!(refusals.iter().any(|d| d["http_status"] == 429));
}
