//! [`Figures`] → one self-contained HTML page: inline CSS, inline SVG charts (see `svg`), a
//! Content-Security-Policy that forbids scripts and every fetch, and every piece of text
//! escaped with [`escape`]. An unverified log is announced in a banner at the top and in the
//! title. Owns the page layout and wording; the numbers are `collect`'s.
use std::fmt::Write as _;

use super::figures::*;
pub use super::markup::escape;

mod cells;
mod evaluation;
mod sections;
use super::zone::Zone;
use cells::{ms, pct, table};
use sections::*;

/// The `id` of every chart the page draws, in page order (tests check each is rendered).
pub const CHART_IDS: [&str; 9] = [
    "chart-volume-system",
    "chart-volume-model",
    "chart-volume-upstream",
    "chart-effects",
    "chart-policy-mix",
    "chart-classes",
    "chart-latency",
    "chart-annex-a",
    "chart-nonconformities",
];

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}\
main{max-width:980px;margin:0 auto;padding:24px}\
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d9dce1;padding-bottom:4px}\
h3{font-size:15px;margin:18px 0 6px}.meta{color:#555;margin:0 0 16px}\
.banner{padding:12px 16px;border-radius:6px;margin:16px 0;font-weight:600}\
.ok{background:#e5f5e9;border:1px solid #3ca951;color:#1d5e2c}.bad{background:#fde8e8;border:2px solid #d62728;color:#8a1111;font-size:16px}\
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:12px 0}\
.tile{background:#fff;border:1px solid #d9dce1;border-radius:6px;padding:10px}.tile b{display:block;font-size:22px}\
.tile span{color:#555;font-size:12px}\
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 12px;font-size:13px}\
th,td{border:1px solid #d9dce1;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}td code,td.w{overflow-wrap:anywhere}.scroll{overflow-x:auto}th{background:#eef0f3}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.chart{display:block;background:#fff;border:1px solid #d9dce1;border-radius:6px;margin:8px 0;max-width:100%;height:auto}\
.muted{color:#666}.fail{color:#b00;font-weight:600}.pass{color:#1d6b30;font-weight:600}code{font-size:12px;word-break:break-all}\
details.proof{background:#fff;border:1px solid #d9dce1;border-radius:6px;margin:4px 0;padding:4px 8px}details.proof pre{font-size:11px;white-space:pre-wrap;word-break:break-all}\
@page{size:A4;margin:14mm 12mm}\
@media print{body{background:#fff;font-size:11px}main{max-width:none;padding:0}.tile,.chart,table,.banner{border-color:#999}\
h2{break-after:avoid;page-break-after:avoid}tr,.tile,.chart,.banner,details{break-inside:avoid;page-break-inside:avoid}\
thead{display:table-header-group}.scroll{overflow:visible}.proofs{display:none}th{background:#eee}\
.banner.bad,.fail{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

fn tile(out: &mut String, id: &str, value: &str, label: &str) {
    let _ = write!(
        out,
        r#"<div class="tile" id="{}"><b>{}</b><span>{}</span></div>"#,
        escape(id),
        escape(value),
        escape(label)
    );
}

fn integrity(out: &mut String, f: &Figures) {
    let unpinned: Vec<&str> = f
        .nodes
        .iter()
        .filter(|n| n.trusted_data_dir_keys)
        .map(|n| n.data_dir.as_str())
        .collect();
    if !unpinned.is_empty() {
        let _ = write!(
            out,
            r#"<div class="banner bad" id="trust">UNPINNED KEYS — {} verified with the keys found beside the log, not a key the auditor holds: whoever can write the data dir could have re-signed it. Build the report with --public-key or --trust.</div>"#,
            escape(&unpinned.join(", "))
        );
    }
    for c in f
        .nodes
        .iter()
        .flat_map(|n| &n.conflicts)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let _ = write!(
            out,
            r#"<div class="banner bad" id="nodes">{}</div>"#,
            escape(c)
        );
    }
    let failed: Vec<&NodeStatus> = f.nodes.iter().filter(|n| !n.verified).collect();
    if failed.is_empty() {
        let _ = write!(
            out,
            r#"<div class="banner ok" id="integrity">Integrity: all {} log(s) verified — signatures, hash chain and every signed checkpoint match; gaps: none.</div>"#,
            f.nodes.len()
        );
    } else {
        out.push_str(r#"<div class="banner bad" id="integrity">UNVERIFIED — "#);
        for n in &failed {
            let _ = write!(
                out,
                "the log in {} does not verify: {}. ",
                escape(&n.data_dir),
                escape(&n.summary)
            );
        }
        out.push_str("The figures below are NOT backed by a verified evidence log.</div>");
    }
}

fn nodes(out: &mut String, f: &Figures, zone: &Zone) {
    out.push_str("<h2>Log integrity and retention</h2>");
    let rows: Vec<Vec<String>> = f
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.data_dir.clone(),
                n.log_id.clone(),
                if n.verified {
                    "verified"
                } else {
                    "NOT VERIFIED"
                }
                .to_owned(),
                n.records_verified.to_string(),
                n.checkpoints_verified.to_string(),
                format!(
                    "size {}, root {}…",
                    n.checkpoint_size,
                    n.checkpoint_root.chars().take(16).collect::<String>()
                ),
                n.gaps.clone(),
                n.uncheckpointed.to_string(),
            ]
        })
        .collect();
    table(
        out,
        "nodes",
        &[
            "data dir",
            "log id",
            "status",
            "records verified",
            "checkpoints verified",
            "latest checkpoint",
            "gaps",
            "not yet checkpointed (left out)",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = f
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.data_dir.clone(),
                n.oldest_record
                    .as_deref()
                    .map_or("—".into(), |t| zone.human_rfc3339(t)),
                n.newest_record
                    .as_deref()
                    .map_or("—".into(), |t| zone.human_rfc3339(t)),
                n.retention_days
                    .map_or("unknown (no prune yet)".into(), |d| format!("{d} days")),
                if n.first_seq > 0 {
                    format!("records 0..{} pruned (signed anchor)", n.first_seq)
                } else {
                    "none".into()
                },
                n.records_read.to_string(),
                n.records_in_period.to_string(),
            ]
        })
        .collect();
    table(
        out,
        "retention",
        &[
            "data dir",
            "oldest record",
            "newest record",
            "retention",
            "pruned prefix",
            "records read",
            "in period",
        ],
        &rows,
    );
    for n in &f.nodes {
        let _ = write!(
            out,
            r#"<p class="{}"><code>{}</code>: {}{}</p>"#,
            if n.verified { "pass" } else { "fail" },
            escape(&n.data_dir),
            escape(&n.summary),
            n.read_error
                .as_ref()
                .map(|e| escape(&format!(" — records could not be read: {e}")))
                .unwrap_or_default()
        );
    }
}

/// The whole page.
pub fn render(f: &Figures) -> String {
    let zone = Zone::parse(&f.time_zone).unwrap_or_default();
    let when = |t: &Option<String>| t.as_deref().map_or("—".into(), |t| zone.human_rfc3339(t));
    let mut out = String::with_capacity(64 * 1024);
    let title = if f.verified {
        "aimsgate Clause 9 report".to_owned()
    } else {
        "UNVERIFIED — aimsgate Clause 9 report".to_owned()
    };
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{}</title><style>{STYLE}</style></head><body><main>"#,
        escape(&title)
    );
    let period = match (&f.period.since, &f.period.until) {
        (None, None) => "whole log".to_owned(),
        (s, u) => format!("{} to {}", when(s), when(u)),
    };
    let _ = write!(
        out,
        r#"<h1>{}</h1><p class="meta" id="report-meta">ISO/IEC 42001 Clause 9 performance evaluation from the signed evidence log · generated {} · period: {} (records {} to {}) · {} node(s) · times in {}</p>"#,
        escape(&title),
        escape(&zone.human_rfc3339(&f.generated_at)),
        escape(&period),
        escape(&when(&f.period.first_record)),
        escape(&when(&f.period.last_record)),
        f.nodes.len(),
        escape(zone.name())
    );
    integrity(&mut out, f);
    let t = &f.totals;
    out.push_str(r#"<div class="tiles">"#);
    tile(
        &mut out,
        "tile-decisions",
        &t.decisions.to_string(),
        "decisions",
    );
    tile(&mut out, "tile-allow", &t.mix.allow.to_string(), "allowed");
    tile(
        &mut out,
        "tile-redact",
        &t.mix.redact.to_string(),
        "redacted",
    );
    tile(
        &mut out,
        "tile-block",
        &t.mix.block.to_string(),
        "refused by policy",
    );
    tile(
        &mut out,
        "tile-flagged",
        &t.mix.flagged.to_string(),
        "flagged for review",
    );
    tile(&mut out, "tile-error", &t.mix.error.to_string(), "errors");
    tile(
        &mut out,
        "tile-nonconformity-rate",
        &pct(f.conformity.nonconformity_rate),
        "nonconformity rate",
    );
    let met = f.objectives.iter().filter(|o| o.met == Some(true)).count();
    tile(
        &mut out,
        "tile-objectives",
        &format!("{met} / {}", f.objectives.len()),
        "objectives met",
    );
    tile(
        &mut out,
        "tile-p95",
        &ms(f.latency.total.p95_ms),
        "p95 latency",
    );
    out.push_str("</div>");
    let sections: [(&str, Section<'_>); 15] = [
        ("anomalies", &|o| evaluation::anomalies(o, f)),
        ("objectives", &|o| evaluation::objectives(o, f, &zone)),
        ("systems", &|o| evaluation::systems(o, f)),
        ("conformity", &|o| evaluation::conformity(o, f, &zone)),
        ("reviews", &|o| evaluation::reviews(o, f, &zone)),
        ("integrity", &|o| nodes(o, f, &zone)),
        ("volume", &|o| volume(o, &f.volume)),
        ("policies", &|o| policies(o, f)),
        ("classes", &|o| classes(o, f)),
        ("refusals", &|o| refusals(o, f)),
        ("latency", &|o| latency(o, f)),
        ("annex-a", &|o| annex_a(o, f)),
        ("review-inputs", &|o| evaluation::review_inputs(o, f, &zone)),
        ("events", &|o| events(o, f, &zone)),
        ("sample", &|o| evaluation::sample(o, f, &zone)),
    ];
    for (id, write) in sections {
        let _ = write!(out, r#"<section id="s-{id}">"#);
        write(&mut out);
        out.push_str("</section>");
    }
    out.push_str(r#"<section id="s-notes"><h2>How to read these figures</h2><ul>"#);
    for n in &f.notes {
        let _ = write!(out, "<li>{}</li>", escape(n));
    }
    out.push_str("</ul></section></main></body></html>\n");
    out
}

/// Writes one section of the page.
type Section<'a> = &'a dyn Fn(&mut String);

/// The `id` of every section, in page order (`s-<id>` in the page; tests render each alone).
pub const SECTION_IDS: [&str; 16] = [
    "anomalies",
    "objectives",
    "systems",
    "conformity",
    "reviews",
    "integrity",
    "volume",
    "policies",
    "classes",
    "refusals",
    "latency",
    "annex-a",
    "review-inputs",
    "events",
    "sample",
    "notes",
];
