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
        let parts = match aimsgate::proxy::Parts::build(&config) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("aimsgate: configuration error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        if let Err(e) = check_data_dir(&config.data_dir) {
            eprintln!("aimsgate: data dir {}: {e}", config.data_dir.display());
            return Ok(ExitCode::from(2));
        }
        println!(
            "policy OK: bundle {} version {} ({} rules, {} AI systems), content hash {}",
            parts.policy.id(),
            parts.policy.version(),
            parts.policy.rule_count(),
            parts.policy.systems().len(),
            parts.policy.content_hash()
        );
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
    wait_for_signal(&running.shared).await?;
    tracing::info!("shutting down: draining in-flight requests and streams");
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Run until SIGTERM or SIGINT; SIGHUP reloads the policy and the TLS certificate.
async fn wait_for_signal(shared: &aimsgate::proxy::Shared) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            _ = hup.recv() => aimsgate::proxy::reload::on_sighup(shared).await,
        }
    }
}

/// The data dir exists (or can be created) and is writable; an existing key pair must load.
fn check_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).context("cannot create")?;
    let probe = dir.join(".aimsgate-check");
    std::fs::write(&probe, b"ok").context("not writable")?;
    std::fs::remove_file(&probe).context("not writable")?;
    if dir.join("signing.key").exists() {
        aimsgate::evidence::load_or_create_key(dir).context("signing key")?;
    }
    Ok(())
}
