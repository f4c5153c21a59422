//! `aimsgate report`: the Clause 9 report over one or several nodes' evidence logs, as a
//! self-contained HTML page or as JSON. Thin over `aimsgate::report`. Exit codes: 0 when every
//! log verified, 1 when any did not (the report is still written, marked UNVERIFIED), 2 on
//! usage errors (bad time, empty range, a --data-dir that is not a directory).
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aimsgate::report::{self, Bound, ReportRequest, TimeRange};

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// One self-contained HTML page with inline SVG charts.
    Html,
    /// The same figures as JSON.
    Json,
}

/// Build the ISO/IEC 42001 Clause 9 report from verified evidence logs.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory (repeat for several nodes' logs; duplicate origins and forks between
    /// them are reported).
    #[arg(long = "data-dir", required = true)]
    pub data_dir: Vec<PathBuf>,
    /// Only records at or after this time (RFC 3339, or YYYY-MM-DD for that day's start, UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Only records before this time (RFC 3339, or YYYY-MM-DD to include that whole day, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Write here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| report::parse_time(s, Bound::Since))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| report::parse_time(s, Bound::Until))
        .transpose()?;
    if let Some(d) = args.data_dir.iter().find(|d| !d.is_dir()) {
        anyhow::bail!("--data-dir {}: not a directory", d.display());
    }
    let trust = args.trust.load()?;
    let unpinned = trust.is_data_dir();
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let figures = report::build(&ReportRequest {
        data_dirs: args.data_dir,
        range: TimeRange { since, until },
        generated_at: i64::try_from(now).unwrap_or(i64::MAX),
        trust: Some(trust),
    })?;
    let text = match args.format {
        Format::Html => report::html::render(&figures),
        Format::Json => serde_json::to_string_pretty(&figures)? + "\n",
    };
    match &args.out {
        Some(p) => std::fs::write(p, text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())?;
            o.flush()?;
        }
    }
    for n in &figures.nodes {
        if n.verified {
            eprintln!("{}: {}", n.data_dir, n.summary);
        } else {
            eprintln!("{}: UNVERIFIED: {}", n.data_dir, n.summary);
        }
        if let Some(e) = &n.read_error {
            eprintln!("{}: records could not be read: {e}", n.data_dir);
        }
    }
    let mut conflicts: Vec<&String> = figures.nodes.iter().flat_map(|n| &n.conflicts).collect();
    conflicts.sort();
    conflicts.dedup();
    for c in conflicts {
        eprintln!("report: {c}");
    }
    if unpinned {
        eprintln!(
            "WARNING: UNPINNED: {}",
            aimsgate::evidence::TRUSTED_DIR_KEYS_WARNING
        );
    }
    eprintln!(
        "report: {} decisions from {} node(s){}",
        figures.totals.decisions,
        figures.nodes.len(),
        if figures.verified {
            ""
        } else {
            "; NOT VERIFIED (exit 1)"
        }
    );
    Ok(if figures.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
