//! `aimsgate verify`: checks one or more data dirs, a JSONL export, or a tlog-proof, offline.
//! Trust comes from the auditor (`--public-key FILE`: a vkey, or the old v1 key text;
//! `--trust FILE`: a C2SP tlog-policy with log keys, witnesses and quorum); without either,
//! the keys beside the log are trusted and a loud warning says so. Prints a one-line summary
//! per log and exits 0 when intact; prints the first fault and exits 1.
use std::path::PathBuf;
use std::process::ExitCode;

use aimsgate::evidence::{self, VerifyOptions};

use super::trust::read;

/// Verify evidence logs offline.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory to verify (repeat for several nodes' logs: duplicate origins and forks
    /// between them are reported too).
    #[arg(long = "data-dir", conflicts_with_all = ["export", "proof"])]
    pub data_dir: Vec<PathBuf>,
    /// JSONL export to verify (needs --public-key or --trust).
    #[arg(long, conflicts_with = "proof")]
    pub export: Option<PathBuf>,
    /// C2SP tlog-proof (from `aimsgate prove`) to check offline (needs --public-key or --trust).
    #[arg(long)]
    pub proof: Option<PathBuf>,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
    /// A signed checkpoint kept from an earlier audit or a witness (repeatable): the log must
    /// extend it (a rollback, tail cut or fork below it fails).
    #[arg(long = "checkpoint")]
    pub checkpoints: Vec<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
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
        let trust = args.trust.load_export()?;
        return Ok(report(
            &path.display().to_string(),
            evidence::verify_export_with(std::io::BufReader::new(f), &trust),
        ));
    }
    let trust = args.trust.load()?;
    if let Some(path) = &args.proof {
        let what = path.display().to_string();
        return Ok(report(
            &what,
            evidence::verify_proof(&read(path)?, &what, &trust),
        ));
    }
    if args.data_dir.is_empty() {
        anyhow::bail!("give --data-dir DIR (repeatable), --export FILE, or --proof FILE");
    }
    let mut opts = VerifyOptions::new(trust);
    for p in &args.checkpoints {
        opts.kept.push((p.display().to_string(), read(p)?));
    }
    let (results, conflicts) = evidence::verify_nodes(&args.data_dir, &opts);
    let mut code = ExitCode::SUCCESS;
    let mut warned = false;
    for (dir, r) in args.data_dir.iter().zip(results) {
        warned |= r.as_ref().is_ok_and(|s| s.trusted_data_dir_keys);
        if report(&dir.display().to_string(), r) != ExitCode::SUCCESS {
            code = ExitCode::FAILURE;
        }
    }
    for c in &conflicts {
        eprintln!("{}{c}", if c.fork { "FAILED: " } else { "WARNING: " });
        if c.fork {
            code = ExitCode::FAILURE;
        }
    }
    if warned {
        eprintln!("WARNING: UNPINNED: {}", evidence::TRUSTED_DIR_KEYS_WARNING);
    }
    Ok(code)
}

fn report(what: &str, r: Result<impl std::fmt::Display, evidence::VerifyFault>) -> ExitCode {
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
