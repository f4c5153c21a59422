//! The proxy's shared state: [`Shared`] (what every connection and call reads), the [`Parts`]
//! `serve --check` validates without touching the data directory, and [`StartError`].
//!
//! Built once at start from the validated configuration; the one part that changes while the
//! proxy runs is the [`Active`] generation, swapped by `reload`. It binds no listener and serves
//! nothing: that is `listener` and `admin`, started by [`super::start`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use http::HeaderName;

use super::active::Active;
use super::tls;
use super::upstream::Upstream;
use crate::classify::{Classifier, ClassifyError};
use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::evidence::{EvidenceError, EvidenceLog, LogConfig};
use crate::identity::{Authenticator, IdentityError};
use crate::policy::{Bundle, LoadError};

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("identity: {0}")]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(#[from] Error),
    #[error("policy: {0}")]
    Policy(#[from] LoadError),
    #[error("classifier: {0}")]
    Classify(#[from] ClassifyError),
    #[error("evidence log: {0}")]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Traces(#[from] crate::telemetry::otel::TracesError),
    #[error(transparent)]
    Witness(#[from] crate::witness::WitnessError),
    #[error(transparent)]
    Siem(#[from] crate::telemetry::siem::SiemError),
}

/// State shared by every connection and request.
pub struct Shared {
    pub config: Config,
    pub upstreams: Vec<Upstream>,
    pub auth: Authenticator,
    /// The trusted identity header and its groups header, when that mode is on.
    pub trusted_header: Option<(String, Option<String>)>,
    /// Caller headers never forwarded upstream (identity headers set by an authenticator).
    pub strip_headers: Vec<HeaderName>,
    pub tls: Option<Arc<tls::CertStore>>,
    /// The active policy bundle (rules and inventory) with its classifier: one generation,
    /// swapped as a whole on reload and loaded once per call.
    pub active: ArcSwap<Active>,
    pub evidence: EvidenceLog,
    pub metrics: crate::telemetry::metrics::Metrics,
    /// OpenTelemetry span export, when configured.
    pub traces: Option<crate::telemetry::otel::Traces>,
    /// Retries left to spend across all calls (`[routing.retry] budget_ratio`).
    pub retry_budget: super::retry::RetryBudget,
    /// `[[limits]]` counters.
    pub limits: super::limits::Limits,
    /// The SIEM push of durable decision and outcome records, when configured.
    pub siem: Option<crate::telemetry::siem::Siem>,
    shutting_down: AtomicBool,
}

/// Everything a proxy needs that does not touch the data directory: validated by `serve --check`.
pub struct Parts {
    pub auth: Authenticator,
    pub upstreams: Vec<Upstream>,
    pub classifier: Arc<Classifier>,
    pub policy: Bundle,
    pub tls: Option<Arc<tls::CertStore>>,
}

impl Parts {
    pub fn build(config: &Config) -> Result<Self, StartError> {
        let auth = Authenticator::new(config.identity.core.clone())?;
        let upstreams = config
            .upstreams
            .iter()
            .cloned()
            .map(Upstream::new)
            .collect::<Result<Vec<_>, _>>()?;
        let policy = super::active::load_policy(config)?;
        crate::config::cross_check(config, &policy)?;
        let classifier = Arc::new(super::active::classifier_for(config, &policy)?);
        let tls = match &config.server.tls {
            Some(t) => Some(tls::CertStore::load(t)?),
            None => None,
        };
        Ok(Self {
            auth,
            upstreams,
            classifier,
            policy,
            tls,
        })
    }
}

/// The evidence log settings from the configuration.
pub fn log_config(config: &Config) -> LogConfig {
    config.evidence.log.clone()
}

/// The evidence signing key: from `[evidence] signing_key` (env or file; only its public half is
/// written to the data dir, so verifiers find it), else `<data_dir>/signing.key`, generated on
/// first start.
pub fn signing_key(config: &Config) -> Result<crate::evidence::KeyPair, StartError> {
    let dir = &config.data_dir;
    if let Some(secret) = &config.evidence.signing_key {
        let key = crate::evidence::keys::parse_secret(secret.expose())?;
        std::fs::create_dir_all(dir).map_err(EvidenceError::from)?;
        // A data-dir key that signed the log so far signs the hand-over to the configured one.
        if let Ok(text) = std::fs::read_to_string(dir.join(crate::evidence::keys::SECRET_FILE)) {
            let old = crate::evidence::keys::parse_secret(&text)?;
            if old.key_id() != key.key_id() {
                crate::evidence::keys::archive_secret(dir, &old)?;
            }
        }
        crate::evidence::keys::write_public_files(dir, &key)?;
        tracing::info!(
            key_id = key.key_id(),
            "evidence signing key from configuration"
        );
        return Ok(key);
    }
    let (key, created) = crate::evidence::load_or_create_key(dir)?;
    if created {
        tracing::info!(key_id = key.key_id(), dir = %dir.display(), "generated a new evidence signing key pair (signing.key, signing.pub)");
    }
    Ok(key)
}

/// Starts the SIEM push when `[siem]` is configured (before the log opens: the log hands it
/// every record that becomes durable).
fn start_siem(
    config: &Config,
    metrics: &crate::telemetry::metrics::Metrics,
) -> Result<Option<crate::telemetry::siem::Siem>, StartError> {
    let Some(s) = &config.siem else {
        return Ok(None);
    };
    tracing::info!(url = %s.url, protocol = s.protocol.as_str(), "pushing decision and outcome records to the SIEM as OTLP logs");
    Ok(Some(crate::telemetry::siem::Siem::start(
        s,
        metrics.siem.clone(),
    )?))
}

impl Shared {
    pub fn build(config: Config) -> Result<Self, StartError> {
        let Parts {
            auth,
            upstreams,
            classifier,
            policy,
            tls,
        } = Parts::build(&config)?;
        let key = signing_key(&config)?;
        let public = key.public();
        let metrics = crate::telemetry::metrics::Metrics::default();
        let siem = start_siem(&config, &metrics)?;
        let mut log = log_config(&config);
        log.durable_sink = siem.as_ref().and_then(|s| s.sink());
        let (evidence, report) = EvidenceLog::open(log, key)?;
        // The verifier key auditors pin (`verify --public-key`); public by design.
        tracing::info!(
            origin = evidence.origin(),
            vkey = %crate::evidence::note::vkey::log_vkey(evidence.origin(), &public),
            next_log_index = report.next_seq,
            "evidence log open"
        );
        if report.recovered {
            tracing::warn!(
                truncated_bytes = report.truncated_bytes,
                next_seq = report.next_seq,
                "evidence log recovered after an unclean stop"
            );
        }
        let trusted_header = config.identity.trusted_header();
        let strip_headers = config.identity.strip_headers.clone();
        let traces = match &config.telemetry.traces {
            Some(t) => {
                tracing::info!(endpoint = %t.endpoint, service = %t.service_name, "exporting OpenTelemetry traces over OTLP/HTTP");
                Some(crate::telemetry::otel::Traces::start(t)?)
            }
            None => None,
        };
        let limits = super::limits::Limits::new(&config.limits, &config.limits_store, &metrics);
        Ok(Self {
            traces,
            config,
            upstreams,
            auth,
            trusted_header,
            strip_headers,
            tls,
            active: ArcSwap::from_pointee(Active::new(Arc::new(policy), classifier)),
            evidence,
            metrics,
            retry_budget: super::retry::RetryBudget::default(),
            limits,
            siem,
            shutting_down: AtomicBool::new(false),
        })
    }

    /// From now on the proxy reports not ready and drains.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// `None` when the proxy can take traffic, else why not.
    pub fn not_ready_reason(&self) -> Option<String> {
        if self.is_shutting_down() {
            return Some("shutting down".into());
        }
        let h = self.evidence.health();
        if !h.healthy && !self.config.evidence.fail_open {
            return Some(format!(
                "evidence log not writable: {}",
                h.last_error.unwrap_or_default()
            ));
        }
        None
    }
}
