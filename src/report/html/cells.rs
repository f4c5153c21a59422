//! Formatting helpers shared by the page (`html`) and its sections (`html::sections`): percent
//! and millisecond cells, escaped tables, effect-mix cells. A leaf of `html`: it imports nothing
//! from its parent or siblings, only figures, escaping and chart colours. Owns no layout.

use std::fmt::Write as _;

use super::super::figures::{Count, EffectMix};
use super::super::markup::escape;
use super::super::svg::effect_colour;

pub(in crate::report::html) fn pct(r: f64) -> String {
    format!("{:.1} %", r * 100.0)
}

pub(in crate::report::html) fn ms(v: f64) -> String {
    format!("{v:.1} ms")
}

/// A table; every cell is escaped. Cells starting with a digit are right-aligned.
pub(in crate::report::html) fn table(
    out: &mut String,
    id: &str,
    head: &[&str],
    rows: &[Vec<String>],
) {
    let _ = write!(
        out,
        r#"<div class="scroll"><table id="{}"><thead><tr>"#,
        escape(id)
    );
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            out,
            r#"<tr><td colspan="{}" class="muted">none in this period</td></tr>"#,
            head.len()
        );
    }
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let num = c.parse::<f64>().is_ok() || c.ends_with(" %") || c.ends_with(" ms");
            let class = if num { r#" class="n""# } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

pub(in crate::report::html) fn counts_rows(c: &[Count]) -> Vec<Vec<String>> {
    c.iter()
        .map(|c| vec![c.label.clone(), c.count.to_string()])
        .collect()
}

pub(in crate::report::html) fn mix_cells(m: &EffectMix) -> [String; 6] {
    [m.allow, m.redact, m.block, m.review, m.error, m.flagged].map(|v| v.to_string())
}

pub(in crate::report::html) fn mix_parts(m: &EffectMix) -> Vec<(String, f64, &'static str)> {
    [
        ("allow", m.allow),
        ("redact", m.redact),
        ("block", m.block),
        ("review", m.review),
        ("error", m.error),
    ]
    .into_iter()
    .map(|(l, v)| (l.to_owned(), v as f64, effect_colour(l)))
    .collect()
}
