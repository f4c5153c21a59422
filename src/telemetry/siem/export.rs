//! The export task: takes queued records in batches (up to `batch_size`, waiting at most
//! `batch_timeout` for a batch to fill), wraps them in one `ExportLogsServiceRequest` with
//! the service resource and the `aimsgate.evidence` scope, and sends it, retrying retryable
//! failures with exponential backoff (`initial_backoff`, doubling up to `max_backoff`, at
//! most `max_retries` times, at least as long as a `Retry-After` asks, up to `max_backoff`).
//! A batch that still fails, or that the receiver refuses, is dropped and counted: the signed
//! log stays the record, and nothing here ever waits on the proxy's call path.
//!
//! Ends when the queue's sender side is gone (the evidence log closed) and the queue is drained;
//! once shutdown has begun, a failed export is not retried.
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;
use tokio::sync::mpsc;

use super::mapping::log_record;
use super::shared::{Dropped, Item, SiemMetrics};
use super::transport::{Sent, Transport};
use crate::config::SiemSettings;

/// The instrumentation scope of the pushed logs.
pub const SCOPE: &str = "aimsgate.evidence";

/// What the task needs besides its queue.
pub struct Exporter {
    pub transport: Transport,
    pub settings: SiemSettings,
    pub metrics: SiemMetrics,
    /// Turns true at shutdown: what is still queued gets one attempt each, no retries.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl Exporter {
    /// Runs until the queue is closed and drained.
    pub async fn run(self, mut rx: mpsc::Receiver<Item>) {
        let size = self.settings.batch_size;
        let mut batch: Vec<Item> = Vec::with_capacity(size);
        loop {
            if rx.recv_many(&mut batch, size).await == 0 {
                return;
            }
            let deadline = tokio::time::Instant::now() + self.settings.batch_timeout;
            while batch.len() < size {
                let room = size - batch.len();
                let more = rx.recv_many(&mut batch, room);
                match tokio::time::timeout_at(deadline, more).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            self.metrics.queue_depth.dec_by(batch.len() as i64);
            self.export(&batch).await;
            batch.clear();
        }
    }

    /// Exports one batch, retrying as configured; counts what was exported and dropped.
    async fn export(&self, batch: &[Item]) {
        let n = batch.len() as u64;
        let body = Bytes::from(request(&self.settings.service_name, batch).encode_to_vec());
        let mut backoff = self.settings.initial_backoff;
        let mut attempt = 0u32;
        loop {
            let (why, after) = match self.transport.send(body.clone()).await {
                Sent::Done { rejected } => {
                    let rejected = rejected.min(n);
                    self.metrics.exported.inc_by(n - rejected);
                    if rejected > 0 {
                        self.metrics.drop(Dropped::Rejected, rejected);
                        tracing::warn!(
                            rejected,
                            "the SIEM receiver rejected some pushed records (partial success)"
                        );
                    }
                    return;
                }
                Sent::Refused(why) => {
                    self.metrics.export_failures.inc();
                    self.metrics.drop(Dropped::Rejected, n);
                    tracing::warn!(error = %why, url = %self.settings.url, records = n,
                        "SIEM push refused; records dropped (the signed log keeps them)");
                    return;
                }
                Sent::Retry(why, after) => (why, after),
            };
            self.metrics.export_failures.inc();
            if attempt >= self.settings.max_retries || *self.stopping.borrow() {
                self.metrics.drop(Dropped::ExportFailed, n);
                tracing::warn!(error = %why, url = %self.settings.url, records = n, attempts = attempt + 1,
                    "SIEM push failed; records dropped (the signed log keeps them)");
                return;
            }
            tracing::debug!(error = %why, attempt, "SIEM push failed; retrying");
            let asked = after.map_or(Duration::ZERO, |a| a.min(self.settings.max_backoff));
            let mut stopping = self.stopping.clone();
            tokio::select! {
                () = tokio::time::sleep(backoff.max(asked)) => {}
                _ = stopping.wait_for(|s| *s) => {}
            }
            backoff = (backoff * 2).min(self.settings.max_backoff);
            attempt += 1;
        }
    }
}

/// The OTLP request for `batch`: one resource (the service), one scope, a log record each.
pub fn request(service_name: &str, batch: &[Item]) -> ExportLogsServiceRequest {
    let observed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let log_records = batch
        .iter()
        .filter_map(|i| log_record(&i.record, &i.checkpoint, observed))
        .collect();
    let attr = |k: &str, v: &str| KeyValue {
        key: k.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.to_owned())),
        }),
        ..KeyValue::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    attr("service.name", service_name),
                    attr("service.version", env!("CARGO_PKG_VERSION")),
                ],
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: SCOPE.to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                log_records,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}
