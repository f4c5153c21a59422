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
    /// Gemini upstream base URL, like the Google Gen AI SDK's base_url
    /// (https://generativelanguage.googleapis.com).
    #[arg(long, value_name = "URL")]
    pub gemini_base_url: Option<String>,
    /// Amazon Bedrock runtime base URL, like boto3's endpoint_url
    /// (https://bedrock-runtime.us-east-1.amazonaws.com).
    #[arg(long, value_name = "URL")]
    pub bedrock_base_url: Option<String>,
    /// Also serve the guardrail API other gateways call (LiteLLM, Portkey, Envoy ext_proc) on
    /// this address; see `[guardrail]`.
    #[arg(long, value_name = "ADDR")]
    pub guardrail_listen: Option<String>,
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
            gemini_base_url: self.gemini_base_url.clone(),
            bedrock_base_url: self.bedrock_base_url.clone(),
            guardrail_listen: self.guardrail_listen.clone(),
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
        let key = match check_data_dir(&config) {
            Ok(k) => k,
            Err(e) => {
                eprintln!("aimsgate: data dir {}: {e:#}", config.data_dir.display());
                return Ok(ExitCode::from(2));
            }
        };
        println!(
            "policy OK: bundle {} version {} ({} rules, {} AI systems), content hash {}",
            parts.policy.id(),
            parts.policy.version(),
            parts.policy.rule_count(),
            parts.policy.systems().len(),
            parts.policy.content_hash()
        );
        println!(
            "configuration OK ({}): listen {}, admin {}, {} upstream(s), identity modes [{}], data dir {} ({key}), traces {}, siem {}, guardrail {}",
            config.source,
            config.server.listen,
            config.server.admin_listen,
            config.upstreams.len(),
            config.identity.modes_list(),
            config.data_dir.display(),
            config
                .telemetry
                .traces
                .as_ref()
                .map(|t| t.endpoint.as_str())
                .unwrap_or("off"),
            config
                .siem
                .as_ref()
                .map_or_else(|| "off".to_owned(), |s| format!("{} ({})", s.url, s.protocol.as_str())),
            config
                .guardrail
                .as_ref()
                .map_or_else(|| "off".to_owned(), |g| g.listen.to_string())
        );
        return Ok(ExitCode::SUCCESS);
    }
    aimsgate::telemetry::init_logging(
        config.telemetry.log_format,
        config.telemetry.log_level.as_str(),
    );
    let rt = super::runtime()?;
    rt.block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let source = config.source.clone();
    // Before anything announces the proxy: a SIGHUP sent as soon as the `listening` line is
    // read must reload, not kill the process (SIGHUP's default action).
    let mut signals = Signals::install()?;
    let running = aimsgate::proxy::start(config)
        .await
        .context("starting the proxy")?;
    // One machine-readable line on stdout, for scripts and tests that bind port 0.
    match running.guardrail_addr {
        Some(g) => println!(
            "aimsgate listening proxy=http://{} admin=http://{} guardrail=http://{g}",
            running.addr, running.admin_addr
        ),
        None => println!(
            "aimsgate listening proxy=http://{} admin=http://{}",
            running.addr, running.admin_addr
        ),
    }
    tracing::info!(
        listen = %running.addr,
        admin = %running.admin_addr,
        config = %source,
        "aimsgate is serving (OpenAI SDKs: base_url http://{}/v1, Anthropic SDKs: http://{})",
        running.addr,
        running.addr
    );
    signals.wait(&running.shared).await;
    tracing::info!("shutting down: draining in-flight requests and streams");
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The handlers of the signals `serve` answers, installed before the proxy starts.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Run until SIGTERM or SIGINT; SIGHUP reloads the policy and the TLS certificate.
    async fn wait(&mut self, shared: &aimsgate::proxy::Shared) {
        loop {
            tokio::select! {
                _ = self.term.recv() => return,
                _ = self.int.recv() => return,
                _ = self.hup.recv() => aimsgate::proxy::reload::on_sighup(shared).await,
            }
        }
    }
}

/// The data dir is writable (or can be created: its nearest existing parent is writable; `--check`
/// itself creates nothing), and an existing signing key loads and is private to its owner.
/// Returns what was found, for the summary line.
fn check_data_dir(config: &Config) -> anyhow::Result<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = config.data_dir.as_path();
    let existing = dir
        .ancestors()
        .find(|a| a.as_os_str().is_empty() || a.exists())
        .map(|a| {
            if a.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                a
            }
        })
        .unwrap_or(std::path::Path::new("."));
    let probe = existing.join(format!(".aimsgate-check-{}", std::process::id()));
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("not writable (tried {})", existing.display()))?;
    std::fs::remove_file(&probe).context("not writable")?;
    if let Some(secret) = &config.evidence.signing_key {
        let kp = aimsgate::evidence::keys::parse_secret(secret.expose())
            .context("evidence.signing_key")?;
        return Ok(format!(
            "signing key {} from configuration",
            key_label(dir, config, &kp)
        ));
    }
    let key = dir.join("signing.key");
    if !key.exists() {
        return Ok("no signing key yet: a key pair is generated on first start".into());
    }
    let mode = std::fs::metadata(&key)
        .context("signing.key")?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "signing.key is readable by group or others (mode {:o}); run chmod 600 on it",
            mode & 0o777
        );
    }
    let (kp, _) = aimsgate::evidence::load_or_create_key(dir).context("signing key")?;
    Ok(format!("signing key {}", key_label(dir, config, &kp)))
}

/// The key's C2SP key id under the log's origin (configured or stored), else a note that the
/// origin is set at first start.
fn key_label(dir: &std::path::Path, config: &Config, kp: &aimsgate::evidence::KeyPair) -> String {
    let origin = config
        .evidence
        .log
        .origin
        .clone()
        .or_else(|| aimsgate::evidence::origin::stored(dir));
    match origin {
        Some(o) => format!(
            "{} (origin {o})",
            aimsgate::evidence::keys::log_key_id(&o, &kp.public_bytes())
        ),
        None => "(its key id follows from the log's origin, set at first start)".into(),
    }
}
