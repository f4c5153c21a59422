//! The proxy: binds the listeners, builds the shared state from the validated configuration,
//! and runs the request [`pipeline`] until shutdown.
//!
//! It wires the cores together and owns every HTTP concern (listener, TLS, upstream clients,
//! the single error→response mapping); it contains no detection patterns and no policy rules.
//! [`control`] serves the local control socket `DATA_DIR/control.sock` (`aimsgate review` on a
//! running proxy); [`guardrail`] the guardrail listener other gateways call.

pub mod active;
pub mod admin;
pub mod body;
pub mod budget;
pub mod call;
pub mod caller;
pub mod control;
pub mod guardrail;
pub mod inspect;
pub mod limits;
pub mod listener;
mod observe;
pub mod outcome;
pub mod pipeline;
pub mod record;
pub mod reload;
pub mod respond;
pub mod retry;
mod shared;
pub mod tls;
pub mod trace;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
pub use shared::{log_config, signing_key, Parts, Shared, StartError};

/// A running proxy: its bound addresses and the handle that stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    /// The guardrail listener's address, when `[guardrail]` is on.
    pub guardrail_addr: Option<SocketAddr>,
    pub shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    proxy_task: tokio::task::JoinHandle<()>,
    admin_task: tokio::task::JoinHandle<()>,
    guardrail_task: Option<tokio::task::JoinHandle<()>>,
    control_task: Option<tokio::task::JoinHandle<()>>,
    witness: Option<crate::witness::client::Handle>,
}

impl Running {
    /// Stop accepting, drain in-flight requests and streams (up to the grace period), stop.
    pub async fn shutdown(self) {
        self.shared.begin_shutdown();
        let _ = self.stop.send(true);
        let _ = self.proxy_task.await;
        let _ = self.admin_task.await;
        // Before the log closes: the guardrail's waiting decisions get their outcome records.
        if let Some(t) = self.guardrail_task {
            let _ = t.await;
        }
        if let Some(t) = self.control_task {
            let _ = t.await;
        }
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
        // The closed log let go of the SIEM queue: push what is left, within the grace period.
        if let Some(s) = &self.shared.siem {
            s.shutdown(self.shared.config.server.shutdown_grace).await;
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
    let guardrail = match &shared.config.guardrail {
        Some(g) => {
            let l = bind(g.listen).await?;
            let addr = l.local_addr().map_err(|source| StartError::Bind {
                addr: g.listen,
                source,
            })?;
            Some((l, addr))
        }
        None => None,
    };
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
        acceptor.clone(),
        rx.clone(),
    ));
    let admin_task = tokio::spawn(admin::serve(shared.clone(), admin, rx.clone()));
    let guardrail_addr = guardrail.as_ref().map(|(_, a)| *a);
    let guardrail_task = guardrail.map(|(l, _)| {
        let guard = guardrail::Guardrail::new(shared.clone());
        tokio::spawn(guardrail::serve(guard, l, acceptor.clone(), rx.clone()))
    });
    let control_task = start_control(&shared, rx);
    let witness = start_witness_client(&shared)?;
    Ok(Running {
        addr,
        admin_addr,
        guardrail_addr,
        shared,
        stop,
        proxy_task,
        admin_task,
        guardrail_task,
        control_task,
        witness,
    })
}

/// The control socket task. Without a socket (e.g. a data dir path too long for one) the proxy
/// still serves; `aimsgate review` then works only while it is stopped.
fn start_control(
    shared: &Arc<Shared>,
    stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let dir = &shared.config.data_dir;
    match control::bind(dir) {
        Ok(listener) => Some(tokio::spawn(control::serve(shared.clone(), listener, stop))),
        Err(e) => {
            tracing::error!(
                error = %e,
                path = %control::socket_path(dir).display(),
                "cannot bind the control socket; `aimsgate review` works only while the proxy is stopped"
            );
            None
        }
    }
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
