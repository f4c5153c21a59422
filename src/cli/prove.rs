//! `aimsgate prove`: prints a C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) of one decision
//! record: its stored entry bytes as `extra`, its index, the inclusion path and the checkpoint
//! (the witness-cosigned one when it covers the record). With `--public-key` or `--trust` the
//! proof is checked before it is printed. `verify --proof FILE` checks one offline.
use std::path::PathBuf;
use std::process::ExitCode;

/// Print an inclusion proof for a decision.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory.
    #[arg(long, default_value = "aimsgate-data")]
    pub data_dir: PathBuf,
    /// Decision id (as in the `x-aimsgate-decision-id` response header).
    #[arg(long)]
    pub decision_id: String,
    /// Write the proof here (conventionally `*.tlog-proof`) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let proof = aimsgate::evidence::prove(&args.data_dir, &args.decision_id)?;
    if args.trust.pinned() {
        let trust = args.trust.load()?;
        if let Err(f) = aimsgate::evidence::verify_proof(&proof, "proof", &trust) {
            eprintln!("{}: FAILED: {f}", args.data_dir.display());
            return Ok(ExitCode::FAILURE);
        }
    }
    match &args.out {
        Some(p) => {
            std::fs::write(p, &proof).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => print!("{proof}"),
    }
    Ok(ExitCode::SUCCESS)
}
