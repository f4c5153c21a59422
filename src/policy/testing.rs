//! Bundle test cases (`tests.toml` beside a bundle, like OPA's `_test.rego`): facts in, expected
//! decision out. Used by `aimsgate policy test` and by the crate's own tests for the shipped
//! bundles. The case format is documented in `policies/README.md`.

use super::raw::{RawCase, RawCases};
use super::{bind_system, evaluate, output_plan, Bundle, Effect, Facts, LoadError};
use crate::taxonomy::ClassCount;

/// One failed case and what differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    /// Case name.
    pub name: String,
    /// One line per difference: `effect: expected block, got allow`.
    pub diffs: Vec<String>,
}

/// Outcome of a case file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// Names of passing cases.
    pub passed: Vec<String>,
    /// Failing cases with their diffs.
    pub failed: Vec<CaseFailure>,
}

impl TestReport {
    /// All cases passed (and there was at least one).
    pub fn success(&self) -> bool {
        self.failed.is_empty() && !self.passed.is_empty()
    }
}

impl std::fmt::Display for TestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.passed {
            writeln!(f, "PASS: {p}")?;
        }
        for c in &self.failed {
            writeln!(f, "FAIL: {}", c.name)?;
            for d in &c.diffs {
                writeln!(f, "  {d}")?;
            }
        }
        writeln!(f, "{}", "-".repeat(40))?;
        let total = self.passed.len() + self.failed.len();
        if self.failed.is_empty() {
            write!(f, "PASS: {}/{total}", self.passed.len())
        } else {
            write!(f, "FAIL: {}/{total}", self.failed.len())
        }
    }
}

/// Run the cases in `cases_toml` (the contents of a `tests.toml`) against `bundle`.
pub fn run_cases(bundle: &Bundle, cases_toml: &str) -> Result<TestReport, LoadError> {
    let raw: RawCases =
        toml::from_str(cases_toml).map_err(|e| LoadError::syntax("tests.toml", cases_toml, &e))?;
    let mut report = TestReport::default();
    for case in &raw.case {
        let diffs = run_case(bundle, case);
        if diffs.is_empty() {
            report.passed.push(case.name.clone());
        } else {
            report.failed.push(CaseFailure {
                name: case.name.clone(),
                diffs,
            });
        }
    }
    Ok(report)
}

fn run_case(bundle: &Bundle, c: &RawCase) -> Vec<String> {
    let system = match (&c.system, &c.key_system, &c.header) {
        (Some(s), _, _) => Some(s.clone()),
        (None, k, h) => {
            bind_system(bundle, &c.principal, &c.groups, k.as_deref(), h.as_deref()).system
        }
    };
    let classes: Vec<ClassCount<&str>> = c
        .classes
        .iter()
        .map(|(k, v)| ClassCount::new(k.as_str(), *v))
        .collect();
    let limits: Vec<(&str, f64)> = c.limits.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let facts = Facts {
        principal: &c.principal,
        auth_method: &c.auth_method,
        groups: &c.groups,
        ai_system: system.as_deref(),
        upstream: &c.upstream,
        model: c.model.as_deref(),
        operation: &c.operation,
        classes: &classes,
        stream: c.stream,
        max_tokens: c.max_tokens,
        unscanned_bytes: c.unscanned_bytes,
        limits: &limits,
    };
    let d = evaluate(bundle, &facts);
    let mut diffs = Vec::new();
    let mut diff = |what: &str, want: String, got: String| {
        if want != got {
            diffs.push(format!("{what}: expected {want}, got {got}"));
        }
    };
    diff("effect", c.expect.clone(), d.effect.kind().to_owned());
    if let Some(want) = &c.expect_route {
        diff(
            "route_model",
            want.clone(),
            d.route_model.clone().unwrap_or_default(),
        );
    }
    let ids = |v: &[super::RuleRef]| v.iter().map(|r| r.id.to_string()).collect::<Vec<_>>();
    if let Some(want) = &c.expect_rules {
        diff("rules", format!("{want:?}"), format!("{:?}", ids(&d.rules)));
    }
    if let Some(want) = &c.expect_redact {
        let got: Vec<String> = match &d.effect {
            Effect::Redact { classes } => classes.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        };
        diff("redact", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(want) = c.expect_review {
        diff("review", want.to_string(), d.review.to_string());
    }
    if let Some(want) = &c.expect_monitored {
        let got: Vec<String> = d.monitored.iter().map(|(r, _)| r.id.to_string()).collect();
        diff("monitored", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(want) = &c.expect_would_have {
        diff("would_have", want.clone(), d.would_have.kind().to_owned());
    }
    if let Some(want) = &c.expect_system {
        let got = match (&d.system.id, d.system.registered) {
            (Some(id), true) => id.to_string(),
            (Some(id), false) => format!("unregistered:{id}"),
            (None, _) => "unregistered".to_owned(),
        };
        diff("system", want.clone(), got);
    }
    if let Some(want) = &c.expect_output {
        let plan = output_plan(bundle, &facts);
        for (class, action) in want {
            let got = plan
                .action_for(class)
                .map_or("none", |(a, _)| a.as_str())
                .to_owned();
            diff(&format!("output[{class}]"), action.clone(), got);
        }
    }
    diffs
}
