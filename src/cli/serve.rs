//! `aimsgate serve`: load configuration (file or embedded default, flags on top), start the
//! proxy and admin listeners, and run until SIGTERM/SIGINT, then drain.

use std::path::PathBuf;
use std::process::ExitCode;

use aimsgate::config::{Config, Overrides, ProcessEnv};
use anyhow::Context as _;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file; without it, the embedded default is used.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Proxy listen address (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Admin listen address for /healthz, /readyz, /metrics (default 127.0.0.1:9090).
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<String>,
    /// Data directory: evidence log and signing keys (default ./aimsgate-data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Policy bundle directory (default: the embedded baseline).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    /// OpenAI upstream base URL, like OPENAI_BASE_URL (https://api.openai.com/v1).
    #[arg(long, value_name = "URL")]
    pub openai_base_url: Option<String>,
    /// Anthropic upstream base URL, like ANTHROPIC_BASE_URL (https://api.anthropic.com).
    #[arg(long, value_name = "URL")]
    pub anthropic_base_url: Option<String>,
    /// Validate configuration and exit.
    #[arg(long)]
    pub check: bool,
}

impl Args {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            admin_listen: self.admin_listen.clone(),
            data_dir: self.data_dir.clone(),
            policy: self.policy.clone(),
            openai_base_url: self.openai_base_url.clone(),
            anthropic_base_url: self.anthropic_base_url.clone(),
        }
    }

    pub fn load(&self) -> anyhow::Result<Config> {
        let ov = self.overrides();
        Ok(match &self.config {
            Some(path) => Config::load(path, &ov, &ProcessEnv)?,
            None => Config::embedded_default(&ov, &ProcessEnv)?,
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = match args.load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("aimsgate: configuration error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.check {
        if let Err(e) = aimsgate::proxy::Shared::build(config.clone()) {
            eprintln!("aimsgate: configuration error: {e}");
            return Ok(ExitCode::from(2));
        }
        println!(
            "configuration OK ({}): listen {}, admin {}, {} upstream(s), identity modes [{}], data dir {}",
            config.source,
            config.server.listen,
            config.server.admin_listen,
            config.upstreams.len(),
            config.identity.modes.join(", "),
            config.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    aimsgate::telemetry::init_logging(config.telemetry.log_format, &config.telemetry.log_level);
    let rt = super::runtime()?;
    rt.block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let source = config.source.clone();
    let running = aimsgate::proxy::start(config)
        .await
        .context("starting the proxy")?;
    // One machine-readable line on stdout, for scripts and tests that bind port 0.
    println!(
        "aimsgate listening proxy=http://{} admin=http://{}",
        running.addr, running.admin_addr
    );
    tracing::info!(
        listen = %running.addr,
        admin = %running.admin_addr,
        config = %source,
        "aimsgate is serving (OpenAI SDKs: base_url http://{}/v1, Anthropic SDKs: http://{})",
        running.addr,
        running.addr
    );
    wait_for_signal().await?;
    tracing::info!("shutting down: draining in-flight requests and streams");
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
