//! `aimsgate recover`: the documented step after `serve` refused to open a log whose newest
//! segment is damaged (a bad frame followed by valid ones). Thin: the file moves live in
//! `aimsgate::evidence::recover_damaged`.
use std::path::PathBuf;
use std::process::ExitCode;

/// Move a damaged newest segment aside (to `DIR/damaged/`), keeping its valid prefix in the
/// log; the next start records a Recovery event naming the moved file. Run while aimsgate is
/// stopped.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory.
    #[arg(long, default_value = "aimsgate-data")]
    pub data_dir: PathBuf,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match aimsgate::evidence::recover_damaged(&args.data_dir)? {
        Some(r) => {
            println!(
                "moved the damaged segment to {} (first bad frame at offset {}; {} valid frames after it are kept there, not in the log); the log keeps everything before the damage and records this at the next start",
                args.data_dir.join(&r.moved_to).display(),
                r.offset,
                r.frames_after
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!(
                "no damage found: nothing to recover (a torn last frame is cut at the next start)"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
