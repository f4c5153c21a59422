//! `aimsgate index rebuild`: rebuilds the sled lookup index from the log segments (run while
//! the proxy is stopped).
use std::path::PathBuf;
use std::process::ExitCode;

/// Index maintenance.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// Index actions.
#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Drop the index and rebuild it from the segments.
    Rebuild {
        /// Data directory.
        #[arg(long, default_value = "aimsgate-data")]
        data_dir: PathBuf,
    },
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Rebuild { data_dir } => {
            let n = aimsgate::evidence::rebuild_index(&data_dir)?;
            println!(
                "indexed {n} records in {}",
                data_dir.join("index").display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
