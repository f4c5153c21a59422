//! Telemetry: structured logging with `tracing` (text or JSON), Prometheus [`metrics`] and
//! OpenTelemetry traces ([`otel`]), all fed from one [`call::Call`] per finished call, and the
//! SIEM push of durable evidence records as OpenTelemetry logs ([`siem`]). Log lines,
//! labels and span attributes carry ids, names and numbers only — never prompt text or
//! credentials. Holds no business logic.

pub mod call;
pub mod metrics;
pub mod otel;
pub mod siem;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Install the global subscriber; `RUST_LOG` overrides the configured level.
pub fn init_logging(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
}
