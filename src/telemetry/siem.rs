//! SIEM push: a copy of every decision and outcome record, once durable in the signed log,
//! pushed as an OpenTelemetry log over OTLP (HTTP or gRPC) to a collector or SIEM. The body is
//! the record as the JSONL export shows it (never content), with GenAI-convention attributes and
//! the record's log index, entry hash and covering checkpoint, so a SIEM row can be traced back
//! to, and proven against, the signed log ([`mapping`]).
//!
//! The log is the record; the push is best effort and never slows a call. The evidence writer
//! hands durable records to [`SiemSink`], which only `try_send`s them into a bounded queue:
//! when the queue is full the newest records are dropped (and counted), never waited for. One
//! background task ([`export`]) batches, sends ([`transport`]) and retries. Metrics:
//! [`SiemMetrics`]. Reads no configuration ([`crate::config::SiemSettings`] comes validated).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::mpsc;

use crate::config::SiemSettings;
use crate::evidence::proto::{record, Payload};
use crate::evidence::{CoveringCheckpoint, DurableRecord, DurableSink};

pub mod export;
pub mod mapping;
pub mod transport;

/// Why the push could not start.
#[derive(Debug, thiserror::Error)]
#[error("SIEM push: {0}")]
pub struct SiemError(pub String);

/// One queued record with the checkpoint that covers it (shared by its group).
pub struct Item {
    pub record: DurableRecord,
    pub checkpoint: Arc<CoveringCheckpoint>,
}

/// Why records were dropped (the `reason` label).
#[derive(Clone, Copy, Debug)]
pub enum Dropped {
    /// The queue was full (the receiver is slow or away).
    QueueFull,
    /// Every retry of the export failed.
    ExportFailed,
    /// The receiver refused the request or rejected records (partial success).
    Rejected,
}

impl Dropped {
    fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::ExportFailed => "export_failed",
            Self::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    pub reason: &'static str,
}

/// The push's metrics (registered under `aimsgate_siem_*`).
#[derive(Clone, Debug, Default)]
pub struct SiemMetrics {
    /// Records the receiver accepted.
    pub exported: Counter,
    /// Records dropped, by reason.
    pub dropped: Family<DropLabels, Counter>,
    /// Export attempts that failed (each retry counts).
    pub export_failures: Counter,
    /// Records queued, not yet taken for export.
    pub queue_depth: Gauge,
}

impl SiemMetrics {
    pub(crate) fn register(&self, r: &mut Registry) {
        r.register(
            "siem_exported_records",
            "Evidence records the SIEM receiver accepted (OTLP logs)",
            self.exported.clone(),
        );
        r.register(
            "siem_dropped_records",
            "Evidence records not pushed to the SIEM, by reason (queue_full, export_failed, rejected); the signed log keeps them",
            self.dropped.clone(),
        );
        r.register(
            "siem_export_failures",
            "Failed SIEM export attempts (each retry counts)",
            self.export_failures.clone(),
        );
        r.register(
            "siem_queue_depth",
            "Evidence records waiting to be pushed to the SIEM",
            self.queue_depth.clone(),
        );
    }

    fn drop(&self, why: Dropped, n: u64) {
        self.dropped
            .get_or_create(&DropLabels {
                reason: why.as_str(),
            })
            .inc_by(n);
    }
}

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
        let exporter = export::Exporter {
            transport,
            settings: settings.clone(),
            metrics: metrics.clone(),
        };
        let task = tokio::spawn(exporter.run(rx));
        Ok(Self {
            sink: Mutex::new(Some(Arc::new(SiemSink { tx, metrics }))),
            task: Mutex::new(Some(task)),
        })
    }

    /// The sink to put in [`crate::evidence::LogConfig::durable_sink`] (`None` after
    /// [`Siem::shutdown`]).
    pub fn sink(&self) -> Option<Arc<dyn DurableSink>> {
        let sink = self.sink.lock().ok()?.clone()?;
        Some(sink)
    }

    /// Call after the evidence log is closed (which drops its sink): the queue closes, and the
    /// task pushes what is queued; after `grace` it is stopped with the rest dropped.
    pub async fn shutdown(&self, grace: Duration) {
        if let Ok(mut s) = self.sink.lock() {
            s.take();
        }
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
