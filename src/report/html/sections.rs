//! The report's sections after the integrity part: volume over time, policy versions, data
//! classes, refusals and flags, latency and errors, Annex A controls and log events. Each
//! writes its heading, chart and tables; shared helpers and escaping are in `html`.
use std::fmt::Write as _;

use super::super::figures::*;
use super::super::markup::escape;
use super::super::svg::{self, effect_colour, Row};
use super::cells::{counts_rows, mix_cells, mix_parts, ms, pct, table};

pub(super) fn volume(out: &mut String, v: &Volume) {
    out.push_str("<h2>Volume over time</h2>");
    let _ = write!(
        out,
        r#"<p class="meta">Decisions per bucket of {} s (UTC-aligned).</p>"#,
        v.bucket_seconds
    );
    let charts: [(&str, &str, &[Series]); 3] = [
        (
            "chart-volume-system",
            "Decisions per AI system",
            &v.by_system,
        ),
        ("chart-volume-model", "Decisions per model", &v.by_model),
        (
            "chart-volume-upstream",
            "Decisions per upstream",
            &v.by_upstream,
        ),
    ];
    for (id, title, s) in charts {
        let _ = write!(out, "<h3>{}</h3>", escape(title));
        out.push_str(&svg::stacked_bars(
            id,
            title,
            &v.buckets,
            v.bucket_seconds,
            s,
            None,
        ));
    }
    out.push_str("<h3>Decisions per effect</h3>");
    out.push_str(&svg::lines(
        "chart-effects",
        "Decisions per effect over time",
        &v.buckets,
        v.bucket_seconds,
        &v.by_effect,
        effect_colour,
    ));
}

pub(super) fn policies(out: &mut String, f: &Figures) {
    out.push_str("<h2>Decision mix per policy version</h2>");
    let rows: Vec<Row> = f
        .policies
        .iter()
        .map(|p| Row {
            label: format!("{} {}", p.bundle_id, p.version),
            parts: mix_parts(&p.mix),
            note: format!(
                "{} calls, rules acted on {}",
                p.decisions,
                pct(p.violation_rate)
            ),
        })
        .collect();
    out.push_str(&svg::hbars(
        "chart-policy-mix",
        "Decision mix per policy version",
        &rows,
        "",
    ));
    let rows: Vec<Vec<String>> = f
        .policies
        .iter()
        .map(|p| {
            let mut r = vec![
                p.bundle_id.clone(),
                p.version.clone(),
                p.content_hash.chars().take(16).collect(),
                p.decisions.to_string(),
            ];
            r.extend(mix_cells(&p.mix));
            r.push(pct(p.violation_rate));
            r
        })
        .collect();
    table(
        out,
        "policies",
        &[
            "bundle",
            "version",
            "content hash",
            "decisions",
            "allow",
            "redact",
            "block",
            "review",
            "error",
            "flagged",
            "rules acted (block, redact or review)",
        ],
        &rows,
    );
}

pub(super) fn classes(out: &mut String, f: &Figures) {
    out.push_str("<h2>Data classes found and redacted</h2>");
    let rows: Vec<Row> = f
        .data_classes
        .iter()
        .map(|c| Row {
            label: c.class.clone(),
            parts: vec![
                ("allowed".into(), c.allowed as f64, "#3ca951"),
                ("redacted".into(), c.redacted as f64, "#efb118"),
                ("blocked".into(), c.blocked as f64, "#d62728"),
            ],
            note: format!("{} found, {} redacted", c.found, c.redacted),
        })
        .collect();
    out.push_str(&svg::hbars(
        "chart-classes",
        "Findings per data class in requests",
        &rows,
        "",
    ));
    let rows: Vec<Vec<String>> = f
        .data_classes
        .iter()
        .map(|c| {
            vec![
                c.class.clone(),
                c.requests.to_string(),
                c.found.to_string(),
                c.allowed.to_string(),
                c.redacted.to_string(),
                c.blocked.to_string(),
                c.output_found.to_string(),
                c.output_redacted.to_string(),
                c.output_blocked.to_string(),
            ]
        })
        .collect();
    table(
        out,
        "classes",
        &[
            "class",
            "requests",
            "found",
            "allowed",
            "redacted",
            "in refused calls",
            "found in answers",
            "redacted in answers",
            "answers ended",
        ],
        &rows,
    );
}

pub(super) fn refusals(out: &mut String, f: &Figures) {
    out.push_str("<h2>Refusals and flagged calls</h2><h3>Refused (block) per rule</h3>");
    table(
        out,
        "refusals",
        &["rule", "calls"],
        &counts_rows(&f.refusals),
    );
    out.push_str("<h3>Flagged for review per rule</h3>");
    table(out, "flagged", &["rule", "calls"], &counts_rows(&f.flagged));
    out.push_str("<h3>Monitor mode: would have</h3>");
    let rows: Vec<Vec<String>> = f
        .monitor
        .iter()
        .map(|m| vec![m.rule_id.clone(), m.would_have.clone(), m.count.to_string()])
        .collect();
    table(out, "monitor", &["rule", "would have", "calls"], &rows);
    out.push_str("<h3>Unregistered AI systems (shadow AI)</h3>");
    table(
        out,
        "unregistered",
        &["claimed AI system", "calls"],
        &counts_rows(&f.unregistered_systems),
    );
    let u = &f.unapproved_models;
    let _ = write!(
        out,
        "<h3>Unapproved models</h3><p>{} routing refusals (model_not_allowed), {} decisions by unapproved-model rules.</p>",
        u.routing_refusals, u.policy_matches
    );
    table(
        out,
        "unapproved-rules",
        &["rule", "calls"],
        &counts_rows(&u.rules),
    );
    table(
        out,
        "unapproved-models",
        &["model", "calls"],
        &counts_rows(&u.models),
    );
    out.push_str("<h3>All deciding rules</h3>");
    let rows: Vec<Vec<String>> = f
        .rules
        .iter()
        .map(|r| {
            let mut v = vec![
                r.rule_id.clone(),
                r.controls.join(", "),
                r.decisions.to_string(),
            ];
            v.extend(mix_cells(&r.mix));
            v
        })
        .collect();
    table(
        out,
        "rules",
        &[
            "rule",
            "Annex A",
            "decisions",
            "allow",
            "redact",
            "block",
            "review",
            "error",
            "flagged",
        ],
        &rows,
    );
}

pub(super) fn latency(out: &mut String, f: &Figures) {
    out.push_str("<h2>Latency and errors</h2>");
    let l = &f.latency;
    let mut all = vec![l.total.clone()];
    all.extend(l.by_upstream.iter().cloned());
    let rows: Vec<Row> = all
        .iter()
        .map(|p| Row {
            label: p.label.clone(),
            parts: vec![
                ("p50".into(), p.p50_ms, "#4269d0"),
                ("p95".into(), (p.p95_ms - p.p50_ms).max(0.0), "#97bbf5"),
                ("p99".into(), (p.p99_ms - p.p95_ms).max(0.0), "#c9d8f8"),
            ],
            note: format!(
                "p50 {} · p95 {} · p99 {}",
                ms(p.p50_ms),
                ms(p.p95_ms),
                ms(p.p99_ms)
            ),
        })
        .collect();
    out.push_str(&svg::hbars(
        "chart-latency",
        "Call latency percentiles (ms)",
        &rows,
        " ms",
    ));
    let mut rows: Vec<Vec<String>> = all
        .iter()
        .map(|p| {
            vec![
                format!("total, {}", p.label),
                p.samples.to_string(),
                ms(p.p50_ms),
                ms(p.p95_ms),
                ms(p.p99_ms),
            ]
        })
        .collect();
    let fb = &l.first_byte;
    rows.push(vec![
        "time to first byte, all".into(),
        fb.samples.to_string(),
        ms(fb.p50_ms),
        ms(fb.p95_ms),
        ms(fb.p99_ms),
    ]);
    table(
        out,
        "latency",
        &["latency", "samples", "p50", "p95", "p99"],
        &rows,
    );
    let e = &f.errors;
    let rows = vec![
        vec!["forwarded calls".into(), e.forwarded.to_string()],
        vec!["upstream 2xx/3xx".into(), e.upstream_ok.to_string()],
        vec!["upstream 4xx".into(), e.upstream_4xx.to_string()],
        vec!["upstream 5xx".into(), e.upstream_5xx.to_string()],
        vec![
            "upstream failures (no answer or broken off)".into(),
            e.upstream_failures.to_string(),
        ],
        vec!["upstream error rate".into(), pct(e.upstream_error_rate)],
        vec![
            "answered by aimsgate with 4xx".into(),
            e.answered_4xx.to_string(),
        ],
        vec![
            "answered by aimsgate with 5xx".into(),
            e.answered_5xx.to_string(),
        ],
        vec!["error decisions / all decisions".into(), pct(e.error_rate)],
        vec!["input tokens".into(), f.tokens.input.to_string()],
        vec!["output tokens".into(), f.tokens.output.to_string()],
    ];
    table(out, "errors", &["figure", "value"], &rows);
    table(
        out,
        "error-kinds",
        &["outcome error", "calls"],
        &counts_rows(&e.error_kinds),
    );
    table(
        out,
        "answered-statuses",
        &["status answered by aimsgate", "calls"],
        &counts_rows(&e.answered_statuses),
    );
}

pub(super) fn annex_a(out: &mut String, f: &Figures) {
    out.push_str(r#"<h2 id="h-annex-a">ISO/IEC 42001 Annex A controls</h2><p class="meta">Every Annex A control, what this evidence log can show of it, and what to ask for elsewhere. A control the log evidences is evidence of operation, not a statement of conformity.</p>"#);
    let rows: Vec<Row> = f
        .annex_a
        .iter()
        .filter(|c| c.decisions > 0)
        .map(|c| Row {
            label: c.control.clone(),
            parts: vec![("decisions".into(), c.decisions as f64, "#4269d0")],
            note: c.decisions.to_string(),
        })
        .collect();
    out.push_str(&svg::hbars(
        "chart-annex-a",
        "Decisions evidencing each Annex A control",
        &rows,
        "",
    ));
    let rows: Vec<Vec<String>> = f
        .annex_a
        .iter()
        .map(|c| {
            vec![
                c.control.clone(),
                c.title.clone(),
                c.coverage.clone(),
                c.decisions.to_string(),
                c.rules.join(", "),
                c.objectives.join(", "),
                if c.evidenced_by.is_empty() {
                    "—".into()
                } else {
                    c.evidenced_by.clone()
                },
                c.ask_for.clone(),
            ]
        })
        .collect();
    table(
        out,
        "annex-a",
        &[
            "control",
            "title",
            "log evidences",
            "decisions",
            "rules",
            "objectives",
            "evidenced by",
            "ask for elsewhere",
        ],
        &rows,
    );
    let none: Vec<String> = f
        .annex_a
        .iter()
        .filter(|c| c.coverage == "none")
        .map(|c| format!("{} {}", c.control, c.title))
        .collect();
    let _ = write!(
        out,
        r#"<p id="annex-a-not-evidenced">The log cannot evidence {} control(s); ask for their evidence elsewhere: {}.</p>"#,
        none.len(),
        escape(&none.join("; "))
    );
}

pub(super) fn events(out: &mut String, f: &Figures, zone: &super::super::zone::Zone) {
    out.push_str("<h2>Log events</h2>");
    if f.events.fail_open_started > 0 {
        let _ = write!(
            out,
            r#"<p class="fail">The proxy switched to fail-open {} time(s): calls may have been forwarded without evidence.</p>"#,
            f.events.fail_open_started
        );
    }
    table(
        out,
        "event-counts",
        &["event", "count"],
        &counts_rows(&f.events.counts),
    );
    let rows: Vec<Vec<String>> = f
        .events
        .rows
        .iter()
        .map(|e| {
            vec![
                zone.human_rfc3339(&e.time),
                e.log_id.clone(),
                e.kind.clone(),
                e.detail.clone(),
            ]
        })
        .collect();
    table(out, "events", &["time", "log", "event", "detail"], &rows);
}
