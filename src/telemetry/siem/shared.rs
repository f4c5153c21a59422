//! The SIEM push's shared types, a leaf the module's other files import: the queued [`Item`],
//! the start-up error, and the metrics with the drop reasons. No logic beyond counting.
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::evidence::{CoveringCheckpoint, DurableRecord};

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
    pub fn as_str(self) -> &'static str {
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

    /// Counts `n` records dropped for `why`.
    pub fn drop(&self, why: Dropped, n: u64) {
        self.dropped
            .get_or_create(&DropLabels {
                reason: why.as_str(),
            })
            .inc_by(n);
    }
}
