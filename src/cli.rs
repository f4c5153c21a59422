//! Command-line interface: the clap structure and dispatch, one subcommand per file.
//! Holds no logic beyond argument handling; exit codes: 0 ok, 1 failure or fault found,
//! 2 usage or configuration error.

pub mod checkpoint;
pub mod classify;
pub mod demo;
pub mod export;
pub mod index;
pub mod keygen;
pub mod policy;
pub mod prove;
pub mod recover;
pub mod report;
pub mod review;
pub mod serve;
pub mod trust;
pub mod verify;
pub mod witness;

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
    /// Classify text for sensitive data (`--jsonl` for machine-readable byte offsets).
    Classify(classify::Args),
    /// Validate, test and explain policy bundles.
    Policy(policy::Args),
    /// Verify an evidence log or export offline.
    Verify(verify::Args),
    /// Export evidence records as JSONL or CSV.
    Export(export::Args),
    /// Build the Clause 9 report (HTML or JSON) from one or several nodes' verified logs.
    Report(report::Args),
    /// Record a reviewer's disposition of a call flagged for review (signed, appended to the
    /// evidence log).
    Review(review::Args),
    /// Emit a C2SP tlog-proof for one decision against a signed checkpoint.
    Prove(prove::Args),
    /// Print the latest signed checkpoint, for auditors to keep.
    Checkpoint(checkpoint::Args),
    /// Generate an evidence signing key pair.
    Keygen(keygen::Args),
    /// Maintain the evidence index (`index rebuild`).
    Index(index::Args),
    /// Run a C2SP tlog-witness that cosigns checkpoints of known logs (`--generate-key` first).
    Witness(witness::Args),
    /// Move a damaged evidence segment aside so the log can continue (run while stopped).
    Recover(recover::Args),
    /// Run the built-in mock LLM provider (OpenAI, Anthropic and Gemini APIs, plain and
    /// streamed), so `serve` can run without the public providers.
    #[command(alias = "mock-provider")]
    Mock(demo::MockArgs),
}

/// Parse arguments and run the chosen subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Classify(a) => classify::run(a),
        Command::Policy(a) => policy::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Export(a) => export::run(a),
        Command::Report(a) => report::run(a),
        Command::Review(a) => review::run(a),
        Command::Prove(a) => prove::run(a),
        Command::Checkpoint(a) => checkpoint::run(a),
        Command::Keygen(a) => keygen::run(a),
        Command::Index(a) => index::run(a),
        Command::Witness(a) => witness::run(a),
        Command::Recover(a) => recover::run(a),
        Command::Mock(a) => demo::run_mock(a),
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
