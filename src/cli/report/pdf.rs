//! `report --format pdf`: the HTML page printed to PDF by headless Chromium (the page's print
//! stylesheet sets A4 pages, keeps rows and charts whole and hides the proof texts, which are in
//! the HTML, the JSON and `--proof-dir`). Chromium is found as `--chromium PATH`, else
//! `AIMSGATE_CHROMIUM`, else `chromium`, `chromium-browser`, `google-chrome` or
//! `google-chrome-stable` on `PATH`. It runs with a throw-away profile, no network use (the
//! page fetches nothing: its CSP forbids it) and a time limit.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

const CANDIDATES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// Longest a rendering may take.
const LIMIT: Duration = Duration::from_secs(120);

/// The Chromium binary to use.
pub fn find(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_owned());
    }
    if let Some(p) = std::env::var_os("AIMSGATE_CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for c in CANDIDATES {
            let p = dir.join(c);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    anyhow::bail!(
        "--format pdf needs headless Chromium, and none was found on PATH ({}); install it, or give --chromium PATH, or use --format html and print the page",
        CANDIDATES.join(", ")
    )
}

/// Prints `html` to the PDF file `out` with `chromium`.
pub fn render(chromium: &Path, html: &str, out: &Path) -> anyhow::Result<()> {
    let work = tempfile::tempdir().context("a temporary directory for Chromium")?;
    let page = work.path().join("report.html");
    std::fs::write(&page, html).context("writing the page for Chromium")?;
    let out_abs = std::path::absolute(out).with_context(|| format!("{}", out.display()))?;
    let mut child = Command::new(chromium)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--no-first-run")
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", out_abs.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", chromium.display()))?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "{} did not print the report within {} s",
                chromium.display(),
                LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read as _;
        let _ = e.read_to_string(&mut err);
    }
    let ok = std::fs::read(&out_abs).is_ok_and(|b| b.starts_with(b"%PDF-"));
    if !status.success() || !ok {
        let last: Vec<&str> = err.lines().rev().take(5).collect();
        anyhow::bail!(
            "{} could not print the report to {} ({status}): {}",
            chromium.display(),
            out.display(),
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(())
}
