//! `aimsgate checkpoint`: prints the latest signed checkpoint of a data dir (the newest
//! checkpoint frame in the log, or with `--cosigned` the witness-cosigned one), for auditors to
//! keep and pass back later as `verify --checkpoint FILE`. Checks nothing itself: `verify`
//! does, against the auditor's key.
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the latest signed checkpoint.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory.
    #[arg(long, default_value = "aimsgate-data")]
    pub data_dir: PathBuf,
    /// Print the latest witness-cosigned checkpoint (`cosigned/latest.note`) instead.
    #[arg(long)]
    pub cosigned: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let note = if args.cosigned {
        std::fs::read_to_string(args.data_dir.join(aimsgate::evidence::COSIGNED_FILE)).ok()
    } else {
        match aimsgate::evidence::read::latest_checkpoint(&args.data_dir)? {
            Some(n) => Some(n),
            None => std::fs::read_to_string(args.data_dir.join("checkpoint.note")).ok(),
        }
    };
    match note {
        Some(n) => {
            print!("{n}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "{}: no {}checkpoint yet",
                args.data_dir.display(),
                if args.cosigned { "cosigned " } else { "" }
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
