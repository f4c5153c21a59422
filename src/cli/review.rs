//! `aimsgate review`: records a reviewer's disposition of a call flagged for review as a signed
//! `ReviewDisposition` event. Through the running proxy's control socket (`DIR/control.sock`)
//! when one answers, else by opening the stopped log itself with the configured signing key.
//! Exit codes: 0 recorded, 1 unknown decision or the log could not be written, 2 bad input.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aimsgate::config::{Config, Overrides, ProcessEnv};
use aimsgate::evidence::review::{find_decision, Review};
use aimsgate::proxy::control::client::{send_review, Sent};
use aimsgate::proxy::control::ReviewRequest;
use anyhow::Context as _;

/// Record a reviewer's disposition of a call flagged for review.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data directory (default: the configuration's, else ./aimsgate-data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML configuration file (for the signing key and log settings when no server runs).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Decision id (as in the `x-aimsgate-decision-id` response header).
    #[arg(long, value_name = "ID")]
    pub decision_id: String,
    /// The reviewer's verdict.
    #[arg(long, value_enum)]
    pub disposition: Verdict,
    /// Who reviewed (at most 200 characters).
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// Why (at most 2000 characters).
    #[arg(long, value_name = "TEXT")]
    pub note: String,
}

/// `--disposition` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected,
    Escalated,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Rejected => "rejected",
            Verdict::Escalated => "escalated",
        }
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let review = match Review::new(
        &args.decision_id,
        args.disposition.as_str(),
        &args.by,
        &args.note,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("aimsgate review: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let config = match args.load_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("aimsgate review: configuration error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let dir = args.dir(config.as_ref());
    let rt = super::runtime()?;
    rt.block_on(record(&args, &dir, config, &review))
}

impl Args {
    /// The configuration, loaded only when `--config` is given (a stopped log needs its signing
    /// key and log settings; without a file, the embedded default is built when needed).
    fn load_config(&self) -> anyhow::Result<Option<Config>> {
        match &self.config {
            Some(path) => Ok(Some(Config::load(
                path,
                &overrides(self.data_dir.clone()),
                &ProcessEnv,
            )?)),
            None => Ok(None),
        }
    }

    fn dir(&self, config: Option<&Config>) -> PathBuf {
        match (&self.data_dir, config) {
            (Some(d), _) => d.clone(),
            (None, Some(c)) => c.data_dir.clone(),
            (None, None) => PathBuf::from("aimsgate-data"),
        }
    }
}

async fn record(
    args: &Args,
    dir: &Path,
    config: Option<Config>,
    review: &Review,
) -> anyhow::Result<ExitCode> {
    let req = ReviewRequest {
        decision_id: review.decision_id.clone(),
        disposition: args.disposition.as_str().into(),
        by: review.reviewer.clone(),
        note: review.note.clone(),
    };
    match send_review(dir, &req).await? {
        Sent::Recorded(reply) => {
            if !reply.flagged {
                warn_not_flagged(review);
            }
            done(review, args.disposition, reply.seq);
            Ok(ExitCode::SUCCESS)
        }
        Sent::Refused { status: 404, .. } => Ok(not_found(review, dir)),
        Sent::Refused { status, message } => {
            eprintln!("aimsgate review: the server refused the disposition ({status}): {message}");
            Ok(ExitCode::from(if status == 400 { 2 } else { 1 }))
        }
        Sent::NoServer(_) => offline(args, dir, config, review).await,
    }
}

/// No server answers: open the stopped log, append, close.
async fn offline(
    args: &Args,
    dir: &Path,
    config: Option<Config>,
    review: &Review,
) -> anyhow::Result<ExitCode> {
    let lookup_dir = dir.to_owned();
    let id = review.decision_id.clone();
    let found = tokio::task::spawn_blocking(move || find_decision(&lookup_dir, &id))
        .await?
        .with_context(|| format!("reading the evidence log in {}", dir.display()))?;
    let Some(decision) = found else {
        return Ok(not_found(review, dir));
    };
    if !decision.flagged {
        warn_not_flagged(review);
    }
    let config = match config {
        Some(c) => c,
        // Without a configuration only the data dir's own key may sign: a key generated here
        // would not be the log's.
        None if !dir.join(aimsgate::evidence::keys::SECRET_FILE).exists() => {
            eprintln!(
                "aimsgate review: no {} in {}: pass --config with the server's configuration (its signing key)",
                aimsgate::evidence::keys::SECRET_FILE,
                dir.display()
            );
            return Ok(ExitCode::from(2));
        }
        None => match Config::embedded_default(&overrides(Some(dir.to_owned())), &ProcessEnv) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("aimsgate review: configuration error: {e:#}");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let key = aimsgate::proxy::signing_key(&config).context("evidence signing key")?;
    let opened = tokio::task::spawn_blocking(move || {
        aimsgate::evidence::EvidenceLog::open(aimsgate::proxy::log_config(&config), key)
    })
    .await?;
    let log = match opened {
        Ok((log, _)) => log,
        Err(e) if e.to_string().contains("lock") => {
            eprintln!(
                "aimsgate review: a server holds {} but its control socket did not answer",
                dir.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => {
            eprintln!(
                "aimsgate review: cannot open the evidence log in {}: {e}",
                dir.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let appended = log.append(review.payload(&decision)).await;
    let closed = tokio::task::spawn_blocking(move || log.close()).await?;
    let seq = match (appended, closed) {
        (Ok(a), Ok(())) => a.seq,
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("aimsgate review: could not record the disposition: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    done(review, args.disposition, seq);
    Ok(ExitCode::SUCCESS)
}

fn overrides(data_dir: Option<PathBuf>) -> Overrides {
    Overrides {
        data_dir,
        ..Overrides::default()
    }
}

fn warn_not_flagged(review: &Review) {
    eprintln!(
        "aimsgate review: warning: decision {} was not flagged for review",
        review.decision_id
    );
}

fn not_found(review: &Review, dir: &Path) -> ExitCode {
    eprintln!(
        "aimsgate review: decision {} not found in {}",
        review.decision_id,
        dir.display()
    );
    ExitCode::FAILURE
}

fn done(review: &Review, verdict: Verdict, seq: u64) {
    println!(
        "review recorded: decision {} -> {} (record seq {seq})",
        review.decision_id,
        verdict.as_str()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn parse(args: &[&str]) -> Result<crate::cli::Cli, clap::Error> {
        crate::cli::Cli::try_parse_from(["aimsgate", "review"].iter().chain(args.iter()).copied())
    }

    #[test]
    fn dispositions_are_a_closed_set() {
        let base = ["--decision-id", "d", "--by", "a", "--note", "n"];
        for (s, v) in [
            ("accepted", Verdict::Accepted),
            ("rejected", Verdict::Rejected),
            ("escalated", Verdict::Escalated),
        ] {
            let mut a = base.to_vec();
            a.extend(["--disposition", s]);
            let crate::cli::Command::Review(r) = parse(&a).unwrap().command else {
                panic!("not review");
            };
            assert_eq!(r.disposition, v);
            assert_eq!(v.as_str(), s);
        }
        let mut a = base.to_vec();
        a.extend(["--disposition", "maybe"]);
        assert_eq!(
            parse(&a).unwrap_err().kind(),
            clap::error::ErrorKind::InvalidValue
        );
    }

    #[test]
    fn the_data_dir_comes_from_the_flag_then_the_config_then_the_default() {
        let a = |d: Option<&str>| Args {
            data_dir: d.map(PathBuf::from),
            config: None,
            decision_id: "d".into(),
            disposition: Verdict::Accepted,
            by: "a".into(),
            note: "n".into(),
        };
        assert_eq!(a(Some("x")).dir(None), PathBuf::from("x"));
        assert_eq!(a(None).dir(None), PathBuf::from("aimsgate-data"));
    }
}
