//! `aimsgate witness`: run a C2SP tlog-witness for known logs, or (`--generate-key`) write a
//! witness key file and print its cosigner vkey. Thin: the witness is `aimsgate::witness`.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use aimsgate::evidence::keys::KeyPair;
use aimsgate::evidence::note::vkey::{parse_skey, to_skey, Verifier};
use anyhow::Context as _;

/// Run a transparency-log witness (C2SP tlog-witness add-checkpoint).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Listen address, e.g. 127.0.0.1:7380 (port 0: an ephemeral port, printed on stdout).
    #[arg(long, value_name = "ADDR", required_unless_present = "generate_key")]
    pub listen: Option<SocketAddr>,
    /// State directory (the latest cosigned checkpoint per log).
    #[arg(long, value_name = "DIR", required_unless_present = "generate_key")]
    pub data_dir: Option<PathBuf>,
    /// Witness key file (`PRIVATE+KEY+<name>+<hash>+<base64>`, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// A known log: its vkey (`<origin>+<hash>+<base64>`), or a file of `log <vkey>` lines.
    /// Repeatable; several keys for one origin are allowed (rotations).
    #[arg(
        long = "log",
        value_name = "VKEY_OR_FILE",
        required_unless_present = "generate_key"
    )]
    pub logs: Vec<String>,
    /// Instead: write a new witness key to `--key` and print its cosigner vkey.
    #[arg(long, requires = "name", conflicts_with_all = ["listen", "data_dir", "logs"])]
    pub generate_key: bool,
    /// The witness name for `--generate-key`, a schema-less URL like `witness.example/w1`.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.generate_key {
        return generate(&args.key, args.name.as_deref().unwrap_or_default());
    }
    let (Some(listen), Some(dir)) = (args.listen, args.data_dir.as_deref()) else {
        anyhow::bail!("--listen and --data-dir are required");
    };
    let (name, key) = load_key(&args.key)?;
    let mut logs = Vec::new();
    for arg in &args.logs {
        logs.extend(aimsgate::witness::parse_log_arg(arg)?);
    }
    let witness = aimsgate::witness::server::Witness::open(&name, key, logs, dir)?;
    aimsgate::telemetry::init_logging(aimsgate::config::LogFormat::Text, "info");
    super::runtime()?.block_on(serve(Arc::new(witness), listen))
}

async fn serve(
    witness: Arc<aimsgate::witness::server::Witness>,
    listen: SocketAddr,
) -> anyhow::Result<ExitCode> {
    use tokio::signal::unix::{signal, SignalKind};
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // One machine-readable line on stdout, for scripts and tests that bind port 0.
    println!(
        "aimsgate witness listening http://{addr} vkey={}",
        witness.cosigner().to_vkey()
    );
    tracing::info!(listen = %addr, vkey = %witness.cosigner().to_vkey(), logs = ?witness.origins(), "witness serving");
    let (stop, rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(aimsgate::witness::http::serve(witness, listener, rx));
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    let _ = stop.send(true);
    let _ = server.await;
    tracing::info!("witness stopped");
    Ok(ExitCode::SUCCESS)
}

fn load_key(path: &Path) -> anyhow::Result<(String, KeyPair)> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("witness key {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "witness key {} is readable by group or others (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("witness key {}", path.display()))?;
    parse_skey(&text).with_context(|| format!("witness key {}", path.display()))
}

fn generate(path: &Path, name: &str) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if !aimsgate::evidence::note::vkey::valid_key_name(name) {
        anyhow::bail!("--name `{name}`: a key name must be non-empty, without spaces or `+`");
    }
    let key = KeyPair::generate();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "creating {} (an existing key is never overwritten)",
                path.display()
            )
        })?;
    f.write_all(format!("{}\n", to_skey(name, &key)).as_bytes())?;
    f.sync_all()?;
    println!("{}", Verifier::cosigner(name, &key.public()).to_vkey());
    Ok(ExitCode::SUCCESS)
}
