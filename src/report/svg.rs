//! Inline SVG charts drawn as plain elements: stacked bars over time, lines over time and
//! horizontal (stacked) bars. No scripts, no external fonts or images; every label is escaped
//! with [`escape`]. Owns chart geometry and colours; knows nothing of what the numbers mean.
use std::fmt::Write as _;

use super::figures::Series;
use super::markup::escape;

/// Series colours (colour-blind friendly order); the last is for `(other)`.
pub const PALETTE: [&str; 9] = [
    "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5",
    "#9d9d9d",
];

/// Colour of an effect label.
pub fn effect_colour(label: &str) -> &'static str {
    match label {
        "allow" => "#3ca951",
        "redact" => "#efb118",
        "block" => "#d62728",
        "review" => "#4269d0",
        _ => "#9d9d9d",
    }
}

const W: f64 = 920.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;
const MAX_LABEL: usize = 48;

fn short(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(MAX_LABEL - 1).collect();
    t.push('…');
    t
}

/// A round axis maximum at or above `v`, divisible by 4 so the four grid steps are whole.
fn nice(v: u64) -> u64 {
    let mut p = 1u64;
    loop {
        for m in [4, 8, 12, 16, 20, 24, 32] {
            if let Some(x) = p.checked_mul(m) {
                if x >= v {
                    return x;
                }
            }
        }
        match p.checked_mul(10) {
            Some(n) => p = n,
            None => return u64::MAX,
        }
    }
}

/// A short axis label of an RFC 3339 bucket start for buckets `width` seconds wide.
fn tick_label(start: &str, width: u64) -> String {
    let part = match width {
        0..=59 => start.get(11..19),
        60..=86_399 => start.get(5..16),
        _ => start.get(0..10),
    };
    part.unwrap_or(start).replace('T', " ")
}

fn open(out: &mut String, id: &str, title: &str, h: f64) {
    let _ = write!(
        out,
        r#"<svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        id = escape(id),
        t = escape(title),
    );
}

fn axes(out: &mut String, max: u64, buckets: &[String], width: u64) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4u32 {
        let f = max as f64 * f64::from(i) / 4.0;
        let v = if f.fract() == 0.0 {
            format!("{f:.0}")
        } else {
            format!("{f:.1}")
        };
        let y = H - BOTTOM - plot_h * (f64::from(i) / 4.0);
        let _ = write!(
            out,
            r##"<line class="grid" x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#555">{v}</text>"##,
            x2 = W - RIGHT,
            tx = LEFT - 6.0,
            ty = y + 4.0,
        );
    }
    let n = buckets.len().max(1);
    let step = (n / 6).max(1);
    let slot = (W - LEFT - RIGHT) / n as f64;
    for (i, b) in buckets.iter().enumerate().step_by(step) {
        let x = LEFT + slot * (i as f64 + 0.5);
        let _ = write!(
            out,
            r##"<text class="tick" x="{x:.1}" y="{y}" text-anchor="middle" font-size="11" fill="#555">{}</text>"##,
            escape(&tick_label(b, width)),
            y = H - BOTTOM + 16.0,
        );
    }
}

fn legend(out: &mut String, items: &[(String, &str)], y0: f64) {
    for (i, (label, colour)) in items.iter().enumerate() {
        let x = LEFT + (i % 4) as f64 * 176.0;
        let y = y0 + (i / 4) as f64 * 16.0;
        let _ = write!(
            out,
            r##"<rect class="key" x="{x}" y="{ry}" width="10" height="10" fill="{colour}"/><text x="{tx}" y="{y}" font-size="11" fill="#333">{}</text>"##,
            escape(&short(label)),
            ry = y - 9.0,
            tx = x + 14.0,
        );
    }
}

fn legend_height(n: usize) -> f64 {
    (n.div_ceil(4) as f64) * 16.0 + 8.0
}

fn colour(i: usize, label: &str) -> &'static str {
    if label == super::buckets::OTHER {
        PALETTE[PALETTE.len() - 1]
    } else {
        PALETTE[i % (PALETTE.len() - 1)]
    }
}

/// Stacked bars, one per bucket, one colour per series (`colours` overrides by label).
pub fn stacked_bars(
    id: &str,
    title: &str,
    buckets: &[String],
    width: u64,
    series: &[Series],
    colours: Option<fn(&str) -> &'static str>,
) -> String {
    let mut out = String::new();
    let colour_of = |i: usize, l: &str| colours.map_or_else(|| colour(i, l), |f| f(l));
    let h = H + legend_height(series.len());
    open(&mut out, id, title, h);
    let n = buckets.len().max(1);
    let totals: Vec<u64> = (0..n)
        .map(|i| series.iter().filter_map(|s| s.counts.get(i)).sum())
        .collect();
    let max = nice(totals.iter().copied().max().unwrap_or(0));
    axes(&mut out, max, buckets, width);
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT - RIGHT) / n as f64;
    let bw = (slot * 0.8).clamp(1.0, 80.0);
    for i in 0..n {
        let mut y = H - BOTTOM;
        for (si, s) in series.iter().enumerate() {
            let c = s.counts.get(i).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let bh = plot_h * c as f64 / max as f64;
            y -= bh;
            let _ = write!(
                out,
                r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="{f}"><title>{t}: {c}</title></rect>"#,
                x = LEFT + slot * i as f64 + (slot - bw) / 2.0,
                f = colour_of(si, &s.label),
                t = escape(&format!(
                    "{} {}",
                    buckets.get(i).map_or("", |b| b),
                    short(&s.label)
                )),
            );
        }
    }
    let items: Vec<(String, &str)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("{} ({})", s.label, s.total), colour_of(i, &s.label)))
        .collect();
    legend(&mut out, &items, H + 12.0);
    out.push_str("</svg>");
    out
}

/// One line per series over the buckets.
pub fn lines(
    id: &str,
    title: &str,
    buckets: &[String],
    width: u64,
    series: &[Series],
    colours: fn(&str) -> &'static str,
) -> String {
    let mut out = String::new();
    let h = H + legend_height(series.len());
    open(&mut out, id, title, h);
    let n = buckets.len().max(1);
    let max = nice(
        series
            .iter()
            .flat_map(|s| s.counts.iter().copied())
            .max()
            .unwrap_or(0),
    );
    axes(&mut out, max, buckets, width);
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT - RIGHT) / n as f64;
    for s in series {
        let pts: Vec<String> = s
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let x = LEFT + slot * (i as f64 + 0.5);
                let y = H - BOTTOM - plot_h * *c as f64 / max as f64;
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let c = colours(&s.label);
        let _ = write!(
            out,
            r#"<polyline class="line" fill="none" stroke="{c}" stroke-width="2" points="{p}"><title>{t}</title></polyline>"#,
            p = pts.join(" "),
            t = escape(&s.label),
        );
        // Markers, so a single bucket (or a lone non-zero one) is visible too.
        for (pt, n) in pts.iter().zip(&s.counts) {
            let (x, y) = pt.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                out,
                r#"<circle class="dot" cx="{x}" cy="{y}" r="3" fill="{c}"><title>{t}: {n}</title></circle>"#,
                t = escape(&s.label),
            );
        }
    }
    let items: Vec<(String, &str)> = series
        .iter()
        .map(|s| (format!("{} ({})", s.label, s.total), colours(&s.label)))
        .collect();
    legend(&mut out, &items, H + 12.0);
    out.push_str("</svg>");
    out
}

/// One horizontal row: a label and coloured segments `(name, value, colour)`.
pub struct Row {
    /// Row label.
    pub label: String,
    /// Segments, drawn left to right.
    pub parts: Vec<(String, f64, &'static str)>,
    /// Text after the bar.
    pub note: String,
}

/// Horizontal stacked bars, scaled to the longest row.
pub fn hbars(id: &str, title: &str, rows: &[Row], unit: &str) -> String {
    let mut out = String::new();
    let row_h = 22.0;
    let label_w = 230.0;
    let h = TOP + row_h * rows.len().max(1) as f64 + 8.0;
    open(&mut out, id, title, h);
    let max = rows
        .iter()
        .map(|r| r.parts.iter().map(|p| p.1).sum::<f64>())
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let bar_w = W - label_w - 240.0;
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let _ = write!(
            out,
            r##"<text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#222">{}</text>"##,
            escape(&short(&r.label)),
            tx = label_w - 8.0,
            ty = y + 14.0,
        );
        let mut x = label_w;
        for (name, v, c) in &r.parts {
            if *v <= 0.0 {
                continue;
            }
            let w = (bar_w * v / max).max(1.0);
            let _ = write!(
                out,
                r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{bh}" fill="{c}"><title>{t}</title></rect>"#,
                bh = row_h - 6.0,
                t = escape(&format!("{}: {name} {v}{unit}", short(&r.label))),
            );
            x += w;
        }
        let _ = write!(
            out,
            r##"<text x="{tx:.1}" y="{ty:.1}" font-size="11" fill="#333">{}</text>"##,
            escape(&r.note),
            tx = x + 6.0,
            ty = y + 13.0,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(
            [0, 1, 3, 7, 10, 13, 33, 250, 999].map(nice),
            [4, 4, 4, 8, 12, 16, 40, 320, 1200]
        );
        assert_eq!(nice(u64::MAX), u64::MAX);
    }

    #[test]
    fn tick_labels_follow_the_bucket_width() {
        let t = "2026-11-23T04:11:07Z";
        assert_eq!(tick_label(t, 1), "04:11:07");
        assert_eq!(tick_label(t, 3600), "11-23 04:11");
        assert_eq!(tick_label(t, 86_400), "2026-11-23");
        assert_eq!(tick_label("odd", 1), "odd");
    }

    #[test]
    fn bars_draw_one_rect_per_non_zero_count_and_escape_labels() {
        let s = vec![
            Series {
                label: "<b>sys</b>".into(),
                total: 3,
                counts: vec![1, 0, 2],
            },
            Series {
                label: "x".into(),
                total: 1,
                counts: vec![0, 1, 0],
            },
        ];
        let b: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let svg = stacked_bars("v", "Vol & co", &b, 1, &s, None);
        assert_eq!(svg.matches(r#"class="bar""#).count(), 3);
        assert!(svg.contains("&lt;b&gt;sys&lt;/b&gt; (3)"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("Vol &amp; co"));
        let l = lines("l", "t", &b, 1, &s, effect_colour);
        assert_eq!(l.matches("<polyline").count(), 2);
        let h = hbars(
            "h",
            "t",
            &[Row {
                label: "p".into(),
                parts: vec![("allow".into(), 2.0, "#000"), ("block".into(), 0.0, "#111")],
                note: "2".into(),
            }],
            "",
        );
        assert_eq!(h.matches(r#"class="bar""#).count(), 1);
    }
}
