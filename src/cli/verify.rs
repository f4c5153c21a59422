//! `aimsgate verify`: checks one or more data dirs, or a JSONL export against a public key.
//! Prints a one-line summary and exits 0 when intact; prints the first fault and exits 1.
use std::path::PathBuf;
use std::process::ExitCode;

/// Verify evidence logs offline.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory to verify (repeat for several nodes' logs).
    #[arg(long = "data-dir", conflicts_with = "export")]
    pub data_dir: Vec<PathBuf>,
    /// JSONL export to verify (needs --public-key).
    #[arg(long, requires = "public_key")]
    pub export: Option<PathBuf>,
    /// Public key (signing.pub text form). With --data-dir, pins the key the log must start with.
    #[arg(long)]
    pub public_key: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let pinned = match &args.public_key {
        Some(p) => {
            Some(std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    if let Some(path) = &args.export {
        if aimsgate::evidence::looks_like_csv(path) {
            eprintln!(
                "{}: FAILED: {}",
                path.display(),
                aimsgate::evidence::CSV_NOT_VERIFIABLE
            );
            return Ok(ExitCode::FAILURE);
        }
        let f =
            std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let key = pinned.unwrap_or_default();
        return Ok(report(
            &path.display().to_string(),
            aimsgate::evidence::verify_export(std::io::BufReader::new(f), &key),
        ));
    }
    if args.data_dir.is_empty() {
        anyhow::bail!("give --data-dir DIR (repeatable) or --export FILE --public-key FILE");
    }
    let mut code = ExitCode::SUCCESS;
    for dir in &args.data_dir {
        let r = aimsgate::evidence::verify_dir_with_key(dir, pinned.as_deref());
        if report(&dir.display().to_string(), r) != ExitCode::SUCCESS {
            code = ExitCode::FAILURE;
        }
    }
    Ok(code)
}

fn report(
    what: &str,
    r: Result<impl std::fmt::Display, aimsgate::evidence::VerifyFault>,
) -> ExitCode {
    match r {
        Ok(s) => {
            println!("{what}: {s}");
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("{what}: FAILED: {f}");
            ExitCode::FAILURE
        }
    }
}
