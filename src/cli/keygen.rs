//! `aimsgate keygen`: writes an evidence signing key pair into the data dir, or (with
//! `--virtual-key`) issues a virtual key for a caller and prints the hash the config stores. Thin:
//! the key logic lives in `aimsgate::evidence::keys` and `aimsgate::identity`.
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
    /// Instead: issue a virtual key (`agk_…`) and print it with the `sha256:` hash for
    /// `[[identity.virtual_keys]]`. The key is shown once and stored nowhere.
    #[arg(long, conflicts_with = "force")]
    pub virtual_key: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.virtual_key {
        let (key, hash) = aimsgate::identity::try_generate_virtual_key()?;
        println!("virtual key (give it to the caller; it is not stored): {key}");
        println!("config entry:");
        println!("[[identity.virtual_keys]]");
        println!("hash = \"{hash}\"");
        println!("principal = \"CHANGE-ME\"");
        return Ok(ExitCode::SUCCESS);
    }
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
