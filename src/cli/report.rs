//! `aimsgate report`: the Clause 9 report over one or several nodes' evidence logs, as a
//! self-contained HTML page, a PDF (the page printed by headless Chromium, `pdf`) or JSON.
//! Thin over `aimsgate::report`; also writes the audit sample's proofs (`--proof-dir`). Exit
//! codes: 0 when every log verified, 1 when any did not (the report is still written, marked
//! UNVERIFIED), 2 on usage errors (bad time, empty range, a --data-dir that is not a directory,
//! an unknown time zone, a policy dir that does not load, no Chromium for PDF).
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use aimsgate::report::{self, zone::Zone, Bound, ReportRequest, TimeRange};

mod pdf;

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// One self-contained HTML page with inline SVG charts.
    Html,
    /// The same figures as JSON.
    Json,
    /// The page printed to PDF by headless Chromium (needs --out).
    Pdf,
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
    /// Time zone the page shows times and weeks in (IANA name such as Europe/Berlin, UTC, or
    /// an offset such as +02:00).
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// Policy bundle dir to measure objectives and read the inventory from when the policy
    /// text is not archived beside the log (logs from before archiving).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Decisions in the 9.2 audit sample (0: none).
    #[arg(long, default_value_t = report::DEFAULT_SAMPLE)]
    pub sample: u64,
    /// Seed of the audit sample (default: a fresh random one, printed in the report).
    #[arg(long)]
    pub sample_seed: Option<String>,
    /// Write each sampled decision's inclusion proof here (one `*.tlog-proof` file each, for
    /// `aimsgate verify --proof`), with `sample.json` listing them.
    #[arg(long)]
    pub proof_dir: Option<PathBuf>,
    /// Flag quiet times between records longer than this (e.g. 6h, 2d; 0 to never flag).
    #[arg(long, default_value = "24h")]
    pub max_gap: String,
    /// The last report's JSON (`--format json`): the 9.3 section lists what changed since.
    #[arg(long)]
    pub previous_report: Option<PathBuf>,
    /// Chromium binary for --format pdf (default: found on PATH).
    #[arg(long)]
    pub chromium: Option<PathBuf>,
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
    let zone = Zone::parse(&args.tz)?;
    let max_gap = match args.max_gap.trim() {
        "0" => 0,
        g => i64::try_from(
            humantime::parse_duration(g)
                .with_context(|| format!("--max-gap {g:?}"))?
                .as_nanos(),
        )
        .unwrap_or(i64::MAX),
    };
    let policy = match &args.policy {
        Some(dir) => Some((
            dir.display().to_string(),
            std::sync::Arc::new(
                aimsgate::policy::load_dir(dir)
                    .with_context(|| format!("--policy {}", dir.display()))?,
            ),
        )),
        None => None,
    };
    let chromium = match args.format {
        Format::Pdf if args.out.is_none() => anyhow::bail!("--format pdf needs --out FILE"),
        Format::Pdf => Some(pdf::find(args.chromium.as_deref())?),
        _ => None,
    };
    let previous_report = match &args.previous_report {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--previous-report {}", p.display()))?;
            Some(Box::new(report::last::parse(&text)?))
        }
        None => None,
    };
    let seed = args
        .sample_seed
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_owned());
    let trust = args.trust.load()?;
    let unpinned = trust.is_data_dir();
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let figures = report::build(&ReportRequest {
        data_dirs: args.data_dir,
        range: TimeRange { since, until },
        generated_at: i64::try_from(now).unwrap_or(i64::MAX),
        trust: Some(trust),
        zone,
        sample_seed: seed,
        sample: args.sample,
        max_gap,
        policy,
        previous_report,
    })?;
    match (args.format, &args.out, &chromium) {
        (Format::Pdf, Some(p), Some(c)) => pdf::render(c, &report::html::render(&figures), p)?,
        (format, out, _) => {
            let text = match format {
                Format::Json => serde_json::to_string_pretty(&figures)? + "\n",
                _ => report::html::render(&figures),
            };
            match out {
                Some(p) => {
                    std::fs::write(p, text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                }
                None => {
                    let mut o = std::io::stdout().lock();
                    o.write_all(text.as_bytes())?;
                    o.flush()?;
                }
            }
        }
    }
    if let Some(dir) = &args.proof_dir {
        write_proofs(dir, &figures)?;
    }
    eprintln!(
        "report: audit sample of {} decision(s), seed {}",
        figures.sample.rows.len(),
        figures.sample.seed
    );
    let high = figures
        .anomalies
        .iter()
        .filter(|a| a.severity == "high")
        .count();
    if !figures.anomalies.is_empty() {
        eprintln!(
            "report: {} anomal{} flagged ({high} high)",
            figures.anomalies.len(),
            if figures.anomalies.len() == 1 {
                "y"
            } else {
                "ies"
            }
        );
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

/// Writes the sample's proofs as `*.tlog-proof` files and `sample.json` (the sample with its
/// seed, without the proof texts).
fn write_proofs(dir: &std::path::Path, f: &report::Figures) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("--proof-dir {}", dir.display()))?;
    let mut written = 0;
    for r in &f.sample.rows {
        if let Some(p) = &r.proof {
            let path = dir.join(&r.proof_file);
            std::fs::write(&path, p).with_context(|| format!("{}", path.display()))?;
            written += 1;
        }
    }
    let mut listing = f.sample.clone();
    for r in &mut listing.rows {
        r.proof = None;
    }
    let path = dir.join("sample.json");
    std::fs::write(&path, serde_json::to_string_pretty(&listing)? + "\n")
        .with_context(|| format!("{}", path.display()))?;
    eprintln!(
        "report: {written} proof(s) and sample.json written to {}",
        dir.display()
    );
    Ok(())
}
