//! `aimsgate prove`: prints an RFC 6962 inclusion proof of one decision record against the
//! latest signed checkpoint.
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
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    print!(
        "{}",
        aimsgate::evidence::prove(&args.data_dir, &args.decision_id)?
    );
    Ok(ExitCode::SUCCESS)
}
