//! `aimsgate classify [--jsonl] [FILE|-]`: run the classifier over a file or stdin.
//!
//! With `--jsonl`, every input line `{"id": ..., "text": ...}` yields one output line
//! `{"id": ..., "findings": [{"class", "start", "end"}]}` (UTF-8 byte offsets into `text`; the id is
//! echoed as given); malformed lines are reported on stderr with their line number and make the
//! exit status non-zero, while the other lines are still processed. Without `--jsonl` the whole
//! input is one text and a table is printed with masked previews — never a full value.
//! Owns only I/O and formatting; detection is `aimsgate::classify`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use aimsgate::classify::{Classifier, ClassifierOptions, Finding, Findings};
use anyhow::Context as _;

/// Arguments of `aimsgate classify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Read JSON lines `{"id": ..., "text": ...}` and write one findings line per input line.
    #[arg(long)]
    pub jsonl: bool,
    /// Input file, or `-` for stdin (the default).
    pub file: Option<PathBuf>,
}

fn open(file: Option<&PathBuf>) -> anyhow::Result<Box<dyn Read>> {
    match file {
        None => Ok(Box::new(std::io::stdin())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdin())),
        Some(p) => Ok(Box::new(
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        )),
    }
}

/// Run the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let clf = Classifier::new(&ClassifierOptions::default()).context("building the classifier")?;
    let input = open(args.file.as_ref())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let code = if args.jsonl {
        run_jsonl(&clf, input, &mut out)?
    } else {
        let mut text = String::new();
        BufReader::new(input)
            .read_to_string(&mut text)
            .context("input is not valid UTF-8 text")?;
        print_table(&text, &clf.classify(&text), &mut out)?;
        ExitCode::SUCCESS
    };
    out.flush()?;
    Ok(code)
}

fn run_jsonl(
    clf: &Classifier,
    input: Box<dyn Read>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    let mut bad = 0usize;
    let mut n = 0usize;
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .context("reading input")?
            == 0
        {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(&line) {
            Ok((id, text)) => {
                let f = clf.classify(&text);
                writeln!(out, "{}", jsonl_output(id, &f))?;
            }
            Err(e) => {
                bad += 1;
                eprintln!("line {n}: {e}");
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} malformed line(s) skipped");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_line(line: &[u8]) -> Result<(serde_json::Value, String), String> {
    let v: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(mut obj) = v else {
        return Err("expected a JSON object {\"id\": ..., \"text\": ...}".into());
    };
    let text = match obj.remove("text") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("field `text` must be a string".into()),
        None => return Err("missing field `text`".into()),
    };
    Ok((obj.remove("id").unwrap_or(serde_json::Value::Null), text))
}

fn jsonl_output(id: serde_json::Value, f: &Findings) -> String {
    let findings: Vec<serde_json::Value> = f
        .items
        .iter()
        .map(|x| serde_json::json!({"class": x.class.as_str(), "start": x.start, "end": x.end}))
        .collect();
    // Built by hand so `id` comes first, as in DESIGN.md.
    let mut line = format!(
        "{{\"id\":{id},\"findings\":{}",
        serde_json::Value::Array(findings)
    );
    if f.unscanned_bytes > 0 {
        line.push_str(&format!(",\"unscanned_bytes\":{}", f.unscanned_bytes));
    }
    line.push('}');
    line
}

/// 1-based line and character column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A preview that never shows the full value: `j***@e***.com`, `ghp_***` (40 chars).
fn mask(class: &str, value: &str) -> String {
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    if class == "pii.email" {
        if let Some((local, domain)) = value.rsplit_once('@') {
            let tld = domain.rsplit_once('.').map_or("", |(_, t)| t);
            return format!("{}***@{}***.{tld}", first(local), first(domain));
        }
    }
    let n = value.chars().count();
    let keep = if class.starts_with("secret.") {
        (n / 8).min(4)
    } else {
        (n / 6).min(2)
    };
    let head: String = value.chars().take(keep).collect();
    format!("{head}*** ({n} chars)")
}

fn print_table(text: &str, f: &Findings, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<30} {:<22} {:<16} {:<10} preview",
        "class", "detector", "bytes", "line:col"
    )?;
    for x in &f.items {
        print_row(text, x, out)?;
    }
    writeln!(
        out,
        "{} finding(s); scanned {} bytes, unscanned {} bytes{}",
        f.items.len(),
        f.scanned_bytes,
        f.unscanned_bytes,
        if f.unscanned_bytes > 0 {
            " (NOT checked)"
        } else {
            ""
        }
    )?;
    Ok(())
}

fn print_row(text: &str, x: &Finding, out: &mut dyn Write) -> anyhow::Result<()> {
    let (l, c) = line_col(text, x.start);
    let value = text.get(x.start..x.end).unwrap_or("");
    writeln!(
        out,
        "{:<30} {:<22} {:<16} {:<10} {}",
        x.class.as_str(),
        x.detector,
        format!("{}..{}", x.start, x.end),
        format!("{l}:{c}"),
        mask(x.class.as_str(), value)
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_values() {
        assert_eq!(mask("pii.email", "jane@example.com"), "j***@e***.com");
        let m = mask(
            "secret.github_token",
            "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",
        );
        assert_eq!(m, "ghp_*** (40 chars)");
        assert!(!mask("pii.us_ssn", "536-22-8714").contains("8714"));
    }

    #[test]
    fn jsonl_lines() {
        let clf = Classifier::new(&ClassifierOptions::default()).unwrap();
        let input = "{\"id\": 7, \"text\": \"mail é a@b.co\"}\nnot json\n{\"id\": \"x\"}\n{\"id\": [1], \"text\": \"\"}\n";
        let mut out = Vec::new();
        let code = run_jsonl(
            &clf,
            Box::new(std::io::Cursor::new(input.to_owned())),
            &mut out,
        )
        .unwrap();
        assert_eq!(code, ExitCode::FAILURE);
        let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
        assert_eq!(
            lines[0],
            r#"{"id":7,"findings":[{"class":"pii.email","end":14,"start":8}]}"#
        );
        assert_eq!(lines[1], r#"{"id":[1],"findings":[]}"#);
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn table_has_line_and_col() {
        let clf = Classifier::new(&ClassifierOptions::default()).unwrap();
        let text = "hello\nwrite to jane@example.com";
        let mut out = Vec::new();
        print_table(text, &clf.classify(text), &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("2:10"), "{s}");
        assert!(s.contains("j***@e***.com"));
        assert!(!s.contains("jane@example.com"));
    }
}
