//! OpenMetrics text → Prometheus text format 0.0.4, for the scrapers that ask for the older
//! format. The registry encodes OpenMetrics only; the two differ, for what aimsgate exposes, in
//! three ways: a counter's `# HELP`/`# TYPE` name carries the `_total` suffix its samples have,
//! there is no `# UNIT` line and no `# EOF` terminator. Sample lines are identical.

use std::collections::HashSet;

/// The same metrics in the Prometheus text format 0.0.4.
pub(super) fn prometheus_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(prefix);
                out.push_str(name);
                if counters.contains(name) {
                    out.push_str("_total");
                }
                if !tail.is_empty() {
                    out.push(' ');
                    out.push_str(tail);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::prometheus_text;

    #[test]
    fn counters_get_their_total_names_and_the_openmetrics_lines_go() {
        let om = "# HELP calls Calls.\n# TYPE calls counter\ncalls_total{a=\"b\"} 3\n# HELP up Up.\n# TYPE up gauge\n# UNIT up seconds\nup 1\n# EOF\n";
        assert_eq!(
            prometheus_text(om),
            "# HELP calls_total Calls.\n# TYPE calls_total counter\ncalls_total{a=\"b\"} 3\n# HELP up Up.\n# TYPE up gauge\nup 1\n"
        );
    }
}
