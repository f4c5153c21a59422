//! Command-line interface: the clap structure and dispatch, one subcommand per file.
//! Holds no logic beyond argument handling; exit codes: 0 ok, 1 failure or fault found,
//! 2 usage or configuration error.

pub mod demo;
pub mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "aimsgate",
    version,
    about = "Enforcement proxy for the AI request layer: identity, classification, AIMS policy and signed evidence for every LLM call."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy (embedded defaults when no --config is given).
    Serve(serve::Args),
    /// Offline first run: the proxy in front of a built-in mock provider, with sample calls.
    Demo(demo::Args),
    /// Run the built-in mock LLM provider (for benchmarks and manual testing).
    #[command(hide = true)]
    MockProvider(demo::MockArgs),
}

/// Parse arguments and run the chosen subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => demo::run(a),
        Command::MockProvider(a) => demo::run_mock(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aimsgate: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A multi-threaded tokio runtime for the async subcommands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
