//! The proxy: binds the listeners, builds the shared state from the validated configuration,
//! and runs the request [`pipeline`] until shutdown.
//!
//! It wires the cores together and owns every HTTP concern (listener, TLS, upstream clients,
//! the single error→response mapping); it contains no detection patterns and no policy rules.

pub mod active;
pub mod admin;
pub mod body;
pub mod budget;
pub mod call;
pub mod caller;
pub mod inspect;
pub mod listener;
mod observe;
pub mod outcome;
pub mod pipeline;
pub mod record;
pub mod reload;
pub mod respond;
pub mod tls;
pub mod trace;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use http::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::classify::{Classifier, ClassifyError};
use crate::config::{Config, ConfigError, DurabilityMode};
use crate::error::Error;
use crate::evidence::{Durability, EvidenceError, EvidenceLog, LogConfig};
use crate::identity::{Authenticator, IdentityError};
use crate::policy::{Bundle, LoadError};
use active::Active;
use upstream::Upstream;

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
        let auth = Authenticator::new(config.identity.to_identity(&config.source)?)?;
        let upstreams = config
            .upstreams
            .iter()
            .cloned()
            .map(Upstream::new)
            .collect::<Result<Vec<_>, _>>()?;
        let policy = reload::load_policy(config)?;
        let classifier = Arc::new(reload::classifier_for(config, &policy)?);
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
    let e = &config.evidence;
    let mut lc = LogConfig::new(&config.data_dir);
    lc.durability = match e.durability {
        DurabilityMode::Sync => Durability::Sync,
        DurabilityMode::Async { max_delay } => Durability::Async { max_delay },
    };
    lc.segment_bytes = e.segment_bytes;
    lc.checkpoint_every_records = e.checkpoint_every_records;
    lc.checkpoint_interval = e.checkpoint_interval;
    lc.retention_days = e.retention_days;
    lc.retention_below_minimum = e.retention_below_minimum;
    lc.origin = e.origin.clone();
    lc.min_commit_interval = e.min_commit_interval;
    lc.hmac_key = e.hmac_key.as_ref().map(|k| k.expose().as_bytes().to_vec());
    lc.persist_secret = e.signing_key.is_none();
    lc
}

/// The evidence signing key: from `[evidence] signing_key` (env or file; only its public half is
/// written to the data dir, so verifiers find it), else `<data_dir>/signing.key`, generated on
/// first start.
fn signing_key(config: &Config) -> Result<crate::evidence::KeyPair, StartError> {
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
        let (evidence, report) = EvidenceLog::open(log_config(&config), key)?;
        // The verifier key auditors pin (`verify --public-key`); public by design.
        tracing::info!(
            origin = evidence.origin(),
            vkey = %crate::evidence::keys::vkey(evidence.origin(), &public),
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
        let trusted_header = config
            .identity
            .trusted_header
            .as_ref()
            .filter(|_| config.identity.modes.iter().any(|m| m == "trusted_header"))
            .map(|t| (t.header.clone(), t.groups_header.clone()));
        let mut strip_headers = Vec::new();
        if let Some(t) = &config.identity.trusted_header {
            for h in std::iter::once(&t.header).chain(t.groups_header.iter()) {
                if let Ok(n) = HeaderName::from_bytes(h.as_bytes()) {
                    strip_headers.push(n);
                }
            }
        }
        let traces = match &config.telemetry.traces {
            Some(t) => {
                tracing::info!(endpoint = %t.endpoint, service = %t.service_name, "exporting OpenTelemetry traces over OTLP/HTTP");
                Some(crate::telemetry::otel::Traces::start(t)?)
            }
            None => None,
        };
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
            metrics: crate::telemetry::metrics::Metrics::default(),
            shutting_down: AtomicBool::new(false),
        })
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

/// A running proxy: its bound addresses and the handle that stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    proxy_task: tokio::task::JoinHandle<()>,
    admin_task: tokio::task::JoinHandle<()>,
    witness: Option<crate::witness::client::Handle>,
}

impl Running {
    /// Stop accepting, drain in-flight requests and streams (up to the grace period), stop.
    pub async fn shutdown(self) {
        self.shared.shutting_down.store(true, Ordering::Release);
        let _ = self.stop.send(true);
        let _ = self.proxy_task.await;
        let _ = self.admin_task.await;
        let shared = self.shared.clone();
        let closed = tokio::task::spawn_blocking(move || {
            if let Some(t) = &shared.traces {
                t.shutdown();
            }
            shared.evidence.close()
        });
        match closed.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "closing the evidence log"),
            Err(e) => tracing::error!(error = %e, "closing the evidence log"),
        }
        // One last round: the witnesses see the final checkpoint.
        if let Some(w) = self.witness {
            w.shutdown().await;
        }
    }
}

/// Bind both listeners and start serving. Port 0 binds an ephemeral port (see [`Running::addr`]).
pub async fn start(config: Config) -> Result<Running, StartError> {
    let shared = Arc::new(Shared::build(config)?);
    let server = &shared.config.server;
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })
    };
    let listener = bind(server.listen).await?;
    let admin = bind(server.admin_listen).await?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: server.listen,
        source,
    })?;
    let admin_addr = admin.local_addr().map_err(|source| StartError::Bind {
        addr: server.admin_listen,
        source,
    })?;
    let acceptor = match (&server.tls, &shared.tls) {
        (Some(settings), Some(store)) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
            tls::server_config(settings, store.clone())?,
        ))),
        _ => None,
    };
    reload::record_initial(&shared).await;
    let (stop, rx) = watch::channel(false);
    tokio::spawn(reload::watch(shared.clone(), rx.clone()));
    let proxy_task = tokio::spawn(listener::serve(
        shared.clone(),
        listener,
        acceptor,
        rx.clone(),
    ));
    let admin_task = tokio::spawn(admin::serve(shared.clone(), admin, rx));
    let witness = start_witness_client(&shared)?;
    Ok(Running {
        addr,
        admin_addr,
        shared,
        stop,
        proxy_task,
        admin_task,
        witness,
    })
}

/// The witness client task, when `[[evidence.witness]]` entries are configured.
fn start_witness_client(
    shared: &Arc<Shared>,
) -> Result<Option<crate::witness::client::Handle>, StartError> {
    let e = &shared.config.evidence;
    let dir = shared.config.data_dir.clone();
    let (files, log) = (dir.clone(), Arc::downgrade(shared));
    // The writer's latest durable checkpoint; before its first group after a start, the
    // newest checkpoint frame in the files.
    let source: crate::witness::client::CheckpointSource = Arc::new(move || {
        log.upgrade()?.evidence.latest_checkpoint().or_else(|| {
            crate::evidence::read::latest_checkpoint(&files)
                .ok()
                .flatten()
        })
    });
    let metrics = shared.metrics.witness_requests.clone();
    Ok(crate::witness::client::spawn(
        &e.witnesses,
        e.witness_interval,
        dir,
        source,
        metrics,
    )?)
}
