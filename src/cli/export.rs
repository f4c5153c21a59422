//! `aimsgate export`: writes the evidence log as self-verifying JSONL (format v2) or flat CSV,
//! for a time (RFC 3339) or log index range, filtered by AI system, principal or decision.
//! Thin over `aimsgate::evidence::export`.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aimsgate::evidence::{ExportFilter, ExportFormat};

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// One JSON object per line ending with the signed checkpoint; `verify --export` checks it.
    Jsonl,
    /// Flat CSV for spreadsheets (no integrity: formulas neutralised, not verifiable).
    Csv,
}

/// Export evidence records.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory.
    #[arg(long, default_value = "aimsgate-data")]
    pub data_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Only records at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only records before this time (RFC 3339).
    #[arg(long)]
    pub until: Option<String>,
    /// Only records from this log index on.
    #[arg(long)]
    pub from_seq: Option<u64>,
    /// Only records up to and including this log index.
    #[arg(long)]
    pub to_seq: Option<u64>,
    /// Only decisions (and their outcomes) of this AI system.
    #[arg(long)]
    pub ai_system: Option<String>,
    /// Only decisions (and their outcomes) of this principal.
    #[arg(long)]
    pub principal: Option<String>,
    /// Only decisions with this effect: allow, redact, block, review or error.
    #[arg(long)]
    pub decision: Option<String>,
    /// Write here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn nanos(s: &Option<String>) -> anyhow::Result<Option<i64>> {
    let Some(s) = s else { return Ok(None) };
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| anyhow::anyhow!("{s:?} is not an RFC 3339 time: {e}"))?;
    Ok(Some(i64::try_from(t.unix_timestamp_nanos())?))
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let filter = ExportFilter {
        since: nanos(&args.since)?,
        until: nanos(&args.until)?,
        from_seq: args.from_seq,
        to_seq: args.to_seq,
        ai_system: args.ai_system,
        principal: args.principal,
        decision: args.decision,
    };
    let format = match args.format {
        Format::Jsonl => ExportFormat::Jsonl,
        Format::Csv => ExportFormat::Csv,
    };
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let s =
        match aimsgate::evidence::export(&args.data_dir, &filter, format, &mut out).and_then(|s| {
            out.flush()?;
            Ok(s)
        }) {
            Ok(s) => s,
            // The reader went away (e.g. `| head`): not an error worth a backtrace.
            Err(aimsgate::evidence::EvidenceError::Io(e))
                if e.kind() == std::io::ErrorKind::BrokenPipe =>
            {
                return Ok(ExitCode::SUCCESS)
            }
            Err(e) => return Err(e.into()),
        };
    let mut note = format!(
        "exported {} records (log index {}..{}) bound to the {}checkpoint of size {}",
        s.records,
        s.window_start,
        s.window_end,
        if s.cosigned { "cosigned " } else { "" },
        s.checkpoint_size
    );
    if s.omitted > 0 {
        note += &format!(
            "; {} entries of the range left out by the filter (listed by index and hash in JSONL)",
            s.omitted
        );
    }
    if s.skipped_uncheckpointed > 0 {
        note += &format!(
            "; {} newer matching records not yet under that checkpoint were left out",
            s.skipped_uncheckpointed
        );
    }
    eprintln!("{note}");
    Ok(ExitCode::SUCCESS)
}
