//! The proxy: binds the listeners, builds the shared state from the validated configuration,
//! and runs the request [`pipeline`] until shutdown.
//!
//! It wires the cores together and owns every HTTP concern (listener, TLS, upstream clients,
//! the single error→response mapping); it contains no detection patterns and no policy rules.

pub mod admin;
pub mod body;
pub mod listener;
pub mod pipeline;
pub mod respond;
pub mod tls;
pub mod trace;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::identity::{Authenticator, IdentityError};
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
    shutting_down: AtomicBool,
}

impl Shared {
    pub fn build(config: Config) -> Result<Self, StartError> {
        let auth = Authenticator::new(config.identity.to_identity(&config.source)?)?;
        let upstreams = config
            .upstreams
            .iter()
            .cloned()
            .map(Upstream::new)
            .collect::<Result<Vec<_>, _>>()?;
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
        let tls = match &config.server.tls {
            Some(t) => Some(tls::CertStore::load(t)?),
            None => None,
        };
        Ok(Self {
            config,
            upstreams,
            auth,
            trusted_header,
            strip_headers,
            tls,
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
}

impl Running {
    /// Stop accepting, drain in-flight requests and streams (up to the grace period), stop.
    pub async fn shutdown(self) {
        self.shared.shutting_down.store(true, Ordering::Release);
        let _ = self.stop.send(true);
        let _ = self.proxy_task.await;
        let _ = self.admin_task.await;
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
    let (stop, rx) = watch::channel(false);
    let proxy_task = tokio::spawn(listener::serve(
        shared.clone(),
        listener,
        acceptor,
        rx.clone(),
    ));
    let admin_task = tokio::spawn(admin::serve(shared.clone(), admin, rx));
    Ok(Running {
        addr,
        admin_addr,
        shared,
        stop,
        proxy_task,
        admin_task,
    })
}
