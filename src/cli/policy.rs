//! `aimsgate policy check|test|explain`: validate a bundle, run its own test cases, and show
//! which rule decides for given facts. Argument parsing and printing only; all logic is in
//! [`aimsgate::policy`].

use aimsgate::policy::{self, Bundle, Facts, LoadContext};
use aimsgate::taxonomy::ClassCount;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `aimsgate policy ...`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Policy subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Validate a bundle directory; print its id, version, content hash and counts.
    Check {
        /// Bundle directory (bundle.toml, systems.toml, rules.toml, output.toml).
        dir: PathBuf,
        /// Configured upstream names to check references against (repeatable; default: any).
        #[arg(long = "upstream", value_name = "NAME")]
        upstreams: Vec<String>,
    },
    /// Run the bundle's own test cases (DIR/tests.toml) and report PASS/FAIL per case.
    Test {
        /// Bundle directory.
        dir: PathBuf,
        /// Case file to run instead of DIR/tests.toml.
        #[arg(long, value_name = "FILE")]
        cases: Option<PathBuf>,
    },
    /// Show every rule for the given facts, whether it fires and why, the decision, and the
    /// output action each data class gets in the answer.
    Explain(Box<ExplainArgs>),
}

/// Facts for `explain`, from flags or a JSON file (flags override the file).
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// Bundle directory (default: the embedded baseline).
    #[arg(long, value_name = "DIR")]
    pub policy: Option<PathBuf>,
    /// JSON file with the facts: {"principal", "auth_method", "groups", "system", "header",
    /// "upstream", "model", "operation", "classes": {"pii.email": 2}, "stream", "max_tokens",
    /// "unscanned_bytes", "limits": {"team-spend": 0.9}}.
    #[arg(long, value_name = "FILE.json")]
    pub facts: Option<PathBuf>,
    /// Principal id.
    #[arg(long)]
    pub principal: Option<String>,
    /// Authentication method (api_key, jwt, mtls, header).
    #[arg(long)]
    pub auth_method: Option<String>,
    /// Group of the principal (repeatable).
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// AI system from the credential mapping.
    #[arg(long, value_name = "S")]
    pub system: Option<String>,
    /// AI system asked for in the x-aimsgate-ai-system header.
    #[arg(long, value_name = "S")]
    pub header: Option<String>,
    /// Upstream name.
    #[arg(long, value_name = "U")]
    pub upstream: Option<String>,
    /// Requested model.
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
    /// Operation (chat, responses, embeddings, completions, messages, count_tokens, models).
    #[arg(long, value_name = "O")]
    pub operation: Option<String>,
    /// Data class found, with an optional count: `pii.email` or `pii.email=3` (repeatable).
    #[arg(long = "class", value_name = "CLASS[=N]")]
    pub classes: Vec<String>,
    /// Streaming requested.
    #[arg(long)]
    pub stream: bool,
    /// Requested max_tokens.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Bytes of request text that were not scanned.
    #[arg(long, value_name = "N")]
    pub unscanned_bytes: Option<u64>,
}

/// The JSON shape of `--facts`.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, default)]
struct FactsFile {
    principal: Option<String>,
    auth_method: Option<String>,
    groups: Vec<String>,
    system: Option<String>,
    header: Option<String>,
    upstream: Option<String>,
    model: Option<String>,
    operation: Option<String>,
    classes: std::collections::BTreeMap<String, u32>,
    stream: bool,
    max_tokens: Option<u64>,
    unscanned_bytes: u64,
    /// Used budget shares by `[[limits]]` id (`limit_used` conditions).
    limits: std::collections::BTreeMap<String, f64>,
}

/// Run a policy subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Check { dir, upstreams } => Ok(check(&dir, &upstreams)),
        Cmd::Test { dir, cases } => test(&dir, cases.as_deref()),
        Cmd::Explain(a) => explain(*a),
    }
}

fn check(dir: &Path, upstreams: &[String]) -> ExitCode {
    let names: Vec<&str> = upstreams.iter().map(String::as_str).collect();
    let loaded = if names.is_empty() {
        policy::load_dir(dir)
    } else {
        policy::load_dir_with(dir, &LoadContext { upstreams: &names })
    };
    match loaded {
        Ok(b) => {
            println!("ok       {}", dir.display());
            println!("bundle   {} {}", b.id(), b.version());
            println!("hash     sha256:{}", b.content_hash());
            println!("systems  {}", b.systems().len());
            println!(
                "rules    {} ({} in monitor mode)",
                b.rule_count(),
                b.monitor_rule_count()
            );
            println!("outputs  {}", b.output_rule_count());
            println!("default  {}", b.default_effect().kind());
            if b.monitor() {
                println!("mode     MONITOR (nothing is enforced)");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn load(dir: &Path) -> anyhow::Result<Bundle> {
    policy::load_dir(dir).with_context(|| format!("loading policy bundle {}", dir.display()))
}

fn test(dir: &Path, cases: Option<&Path>) -> anyhow::Result<ExitCode> {
    let bundle = match load(dir) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let path = cases.map_or_else(|| dir.join("tests.toml"), Path::to_path_buf);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading test cases {}", path.display()))?;
    match policy::testing::run_cases(&bundle, &text) {
        Ok(report) => {
            println!("{report}");
            Ok(if report.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn explain(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let bundle = match &a.policy {
        Some(dir) => load(dir)?,
        None => policy::baseline().context("loading the embedded baseline")?,
    };
    let mut f = match &a.facts {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_str::<FactsFile>(&text)
                .with_context(|| format!("parsing facts {}", p.display()))?
        }
        None => FactsFile::default(),
    };
    merge(&mut f, a)?;
    let principal = f.principal.unwrap_or_else(|| "cli".to_owned());
    let binding = policy::bind_system(
        &bundle,
        &principal,
        &f.groups,
        f.system.as_deref(),
        f.header.as_deref(),
    );
    let classes: Vec<ClassCount<&str>> = f
        .classes
        .iter()
        .map(|(k, v)| ClassCount::new(k.as_str(), *v))
        .collect();
    let limits: Vec<(&str, f64)> = f.limits.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let facts = Facts {
        principal: &principal,
        auth_method: f.auth_method.as_deref().unwrap_or("api_key"),
        groups: &f.groups,
        ai_system: binding.system(),
        upstream: f.upstream.as_deref().unwrap_or("openai"),
        model: f.model.as_deref(),
        operation: f.operation.as_deref().unwrap_or("chat"),
        classes: &classes,
        stream: f.stream,
        max_tokens: f.max_tokens,
        unscanned_bytes: f.unscanned_bytes,
        limits: &limits,
    };
    if let Some(h) = &binding.refused_header {
        println!("note    header x-aimsgate-ai-system: {h} refused for this principal");
    }
    print!("{}", policy::explain(&bundle, &facts));
    Ok(ExitCode::SUCCESS)
}

fn merge(f: &mut FactsFile, a: ExplainArgs) -> anyhow::Result<()> {
    macro_rules! over {
        ($($field:ident),*) => { $( if a.$field.is_some() { f.$field = a.$field; } )* };
    }
    over!(
        principal,
        auth_method,
        system,
        header,
        upstream,
        model,
        operation,
        max_tokens
    );
    f.groups.extend(a.groups);
    f.stream |= a.stream;
    if let Some(n) = a.unscanned_bytes {
        f.unscanned_bytes = n;
    }
    for c in a.classes {
        let (name, n) = match c.split_once('=') {
            Some((name, n)) => (
                name.to_owned(),
                n.parse::<u32>()
                    .with_context(|| format!("--class {c}: count must be a number"))?,
            ),
            None => (c, 1),
        };
        anyhow::ensure!(
            aimsgate::taxonomy::is_known_class(&name),
            "--class {name}: unknown data class"
        );
        f.classes.insert(name, n);
    }
    Ok(())
}
