//! The `aimsgate` binary: parses the command line and hands over to [`cli`].
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
