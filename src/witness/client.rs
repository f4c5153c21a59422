//! The proxy's witness client: a tokio task that, every `witness_interval` and once more at
//! shutdown, takes the log's latest checkpoint and sends it to each configured witness with a
//! consistency proof from the size that witness last accepted ([`peer`]), checks each returned
//! cosignature against the configured vkey, and stores the checkpoint with every cosignature
//! obtained for it in `<data dir>/cosigned/` ([`super::cosigned`]).
//!
//! It never blocks a call: it runs beside the request path, each request has a timeout, a
//! witness that fails is retried on later rounds with exponential backoff, and failures show
//! as a rate-limited warning and `aimsgate_witness_requests_total{witness,result}`. A
//! checkpoint a witness already cosigned is not sent again, so an idle log costs nothing.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::request::parse_checkpoint_text;
use super::WitnessError;
use crate::config::WitnessSettings;
use crate::evidence::note::parse_note;
use crate::telemetry::metrics::WitnessLabels;

mod peer;

/// Returns the log's latest signed checkpoint note (called on a blocking thread).
pub type CheckpointSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// The HTTP(S) client used for every witness.
pub(crate) type HttpClient =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Longest a shutdown waits for the final round.
pub const SHUTDOWN_ROUND: Duration = Duration::from_secs(10);

/// The running client task.
pub struct Handle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Handle {
    /// Runs one last round (every witness, backoff ignored), bounded by [`SHUTDOWN_ROUND`],
    /// and stops.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(SHUTDOWN_ROUND, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!("the witness round at shutdown did not finish in time");
            self.task.abort();
        }
    }
}

/// Starts the client task for `witnesses` (none: no task at all).
pub fn spawn(
    witnesses: &[WitnessSettings],
    interval: Duration,
    data_dir: PathBuf,
    source: CheckpointSource,
    metrics: Family<WitnessLabels, Counter>,
) -> Result<Option<Handle>, WitnessError> {
    if witnesses.is_empty() {
        return Ok(None);
    }
    let mut client = Client {
        ctx: peer::Ctx {
            http: http_client()?,
            data_dir,
            metrics,
            interval,
        },
        peers: witnesses.iter().cloned().map(peer::Peer::new).collect(),
        written: None,
    };
    tracing::info!(
        witnesses = witnesses.len(),
        interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        "sending checkpoints to witnesses"
    );
    let (stop, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => client.round(&source, false).await,
                _ = rx.changed() => {
                    client.round(&source, true).await;
                    return;
                }
            }
        }
    });
    Ok(Some(Handle { stop, task }))
}

struct Client {
    ctx: peer::Ctx,
    peers: Vec<peer::Peer>,
    /// The last `latest.note` written, so an unchanged result is not rewritten.
    written: Option<String>,
}

impl Client {
    async fn round(&mut self, source: &CheckpointSource, last: bool) {
        let src = source.clone();
        let Ok(Some(note)) = tokio::task::spawn_blocking(move || src()).await else {
            tracing::debug!("no checkpoint yet for the witnesses");
            return;
        };
        let (parsed, cp) = match parse_note(&note).map_err(|e| e.to_string()).and_then(|n| {
            let cp = parse_checkpoint_text(&n.text).map_err(|e| e.to_string())?;
            Ok((n, cp))
        }) {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "the latest checkpoint does not parse; not sent to witnesses");
                return;
            }
        };
        let now = tokio::time::Instant::now();
        let ctx = &self.ctx;
        let due = self
            .peers
            .iter_mut()
            .filter(|p| (last || p.due(now)) && !p.cosigned(&parsed.text))
            .map(|p| p.submit(ctx, &note, &parsed, &cp));
        futures_util::future::join_all(due).await;
        let mut out = parsed.clone();
        for p in &self.peers {
            for line in p.lines_for(&parsed.text) {
                if let Err(e) = out.add_sig_line(line) {
                    tracing::warn!(error = %e, "could not add a cosignature to the checkpoint");
                }
            }
        }
        if out.sigs.len() == parsed.sigs.len() {
            return;
        }
        let text = out.to_text();
        if self.written.as_ref() == Some(&text) {
            return;
        }
        let dir = self.ctx.data_dir.clone();
        let (size, t) = (cp.size, text.clone());
        match tokio::task::spawn_blocking(move || super::cosigned::store(&dir, size, &t)).await {
            Ok(Ok(())) => self.written = Some(text),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not store the cosigned checkpoint"),
            Err(e) => tracing::warn!(error = %e, "could not store the cosigned checkpoint"),
        }
    }
}

fn http_client() -> Result<HttpClient, WitnessError> {
    let tls = crate::tls_client::client_config()
        .map_err(|e| WitnessError::Client(format!("TLS: {e}")))?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}
