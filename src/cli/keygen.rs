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
    /// The log's origin, when the data dir has none yet (default: a unique one is generated);
    /// it names the key, so the printed vkey is the one verifiers pin.
    #[arg(long)]
    pub origin: Option<String>,
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
    let origin = aimsgate::evidence::origin::resolve(&args.data_dir, args.origin.as_deref())?;
    let kp = aimsgate::evidence::keygen(&args.data_dir, args.force)?;
    let public = kp.public_bytes();
    println!("origin {origin}");
    println!(
        "key id {}",
        aimsgate::evidence::keys::log_key_id(&origin, &public)
    );
    println!(
        "vkey {}",
        aimsgate::evidence::note::vkey::log_vkey(&origin, &kp.public())
    );
    println!("(give the vkey to your auditors: `aimsgate verify --public-key FILE` pins it)");
    println!(
        "public key {}",
        args.data_dir
            .join(aimsgate::evidence::keys::PUBLIC_FILE)
            .display()
    );
    Ok(ExitCode::SUCCESS)
}
