//! `aimsgate keygen`: writes an evidence signing key pair into the data dir. Thin: the key
//! logic lives in `aimsgate::evidence::keys`.
use std::path::PathBuf;
use std::process::ExitCode;

/// Generate the evidence signing key pair (`signing.key` 0600, `signing.pub`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory.
    #[arg(long, default_value = "aimsgate-data")]
    pub data_dir: PathBuf,
    /// Replace an existing key (the log records the rotation at its next start).
    #[arg(long)]
    pub force: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kp = aimsgate::evidence::keygen(&args.data_dir, args.force)?;
    println!("key id {}", kp.key_id());
    println!(
        "public key {}",
        args.data_dir
            .join(aimsgate::evidence::keys::PUBLIC_FILE)
            .display()
    );
    Ok(ExitCode::SUCCESS)
}
