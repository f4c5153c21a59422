//! SIEM push: a copy of every decision and outcome record, once durable in the signed log,
//! pushed as an OpenTelemetry log over OTLP (HTTP or gRPC) to a collector or SIEM. The body is
//! the record as the JSONL export shows it (never content), with GenAI-convention attributes and
//! the record's log index, entry hash and covering checkpoint, so a SIEM row can be traced back
//! to, and proven against, the signed log ([`mapping`]).
//!
//! The log is the record; the push is best effort and never slows a call. The evidence writer
//! hands durable records to [`SiemSink`], which only `try_send`s them into a bounded queue:
//! when the queue is full the newest records are dropped (and counted), never waited for. One
//! background task ([`export`]) batches, sends ([`transport`]) and retries. Metrics and the
//! queue's item type live in the leaf `shared.rs` ([`SiemMetrics`], [`Item`]). Reads no
//! configuration: [`crate::config::SiemSettings`] comes validated.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::SiemSettings;
use crate::evidence::proto::{record, Payload};
use crate::evidence::{CoveringCheckpoint, DurableRecord, DurableSink};

pub mod export;
pub mod mapping;
mod shared;
pub mod transport;

pub use shared::{DropLabels, Dropped, Item, SiemError, SiemMetrics};

/// The evidence writer's end of the queue.
pub struct SiemSink {
    tx: mpsc::Sender<Item>,
    metrics: SiemMetrics,
}

impl DurableSink for SiemSink {
    fn wants(&self, kind: &Payload) -> bool {
        matches!(kind, record::Kind::Decision(_) | record::Kind::Outcome(_))
    }

    fn durable(&self, records: Vec<DurableRecord>, checkpoint: &CoveringCheckpoint) {
        let checkpoint = Arc::new(checkpoint.clone());
        let mut dropped = 0u64;
        for record in records {
            let item = Item {
                record,
                checkpoint: checkpoint.clone(),
            };
            match self.tx.try_send(item) {
                Ok(()) => {
                    self.metrics.queue_depth.inc();
                }
                Err(_) => dropped += 1,
            }
        }
        if dropped > 0 {
            self.metrics.drop(Dropped::QueueFull, dropped);
        }
    }
}

/// The running push: its export task, and the sink until shutdown.
pub struct Siem {
    sink: Mutex<Option<Arc<SiemSink>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    stopping: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Siem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Siem").finish_non_exhaustive()
    }
}

impl Siem {
    /// Starts the export task (must run inside the tokio runtime). Records arrive through
    /// [`Siem::sink`], set as the evidence log's durable sink.
    pub fn start(settings: &SiemSettings, metrics: SiemMetrics) -> Result<Self, SiemError> {
        let transport = transport::Transport::new(settings)?;
        let (tx, rx) = mpsc::channel(settings.queue_capacity);
        let (stopping, stop_rx) = tokio::sync::watch::channel(false);
        let exporter = export::Exporter {
            transport,
            settings: settings.clone(),
            metrics: metrics.clone(),
            stopping: stop_rx,
        };
        let task = tokio::spawn(exporter.run(rx));
        Ok(Self {
            sink: Mutex::new(Some(Arc::new(SiemSink { tx, metrics }))),
            task: Mutex::new(Some(task)),
            stopping,
        })
    }

    /// The sink to put in [`crate::evidence::LogConfig::durable_sink`] (`None` after
    /// [`Siem::shutdown`]).
    pub fn sink(&self) -> Option<Arc<dyn DurableSink>> {
        let sink = self.sink.lock().ok()?.clone()?;
        Some(sink)
    }

    /// Call after the evidence log is closed (which drops its sink): the queue closes, and the
    /// task tries once more to push what is queued (no retries); after `grace` it is stopped
    /// with the rest dropped.
    pub async fn shutdown(&self, grace: Duration) {
        if let Ok(mut s) = self.sink.lock() {
            s.take();
        }
        self.stopping.send_replace(true);
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        let Some(mut task) = task else { return };
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
            tracing::warn!(
                "SIEM push stopped with records still queued (the signed log keeps them)"
            );
        }
    }
}

#[cfg(test)]
mod tests;
