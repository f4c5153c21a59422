//! `explain`: every rule of a bundle against one call's facts — matched or not, and why — plus
//! the resulting decision, rendered as a table by `Display`. For operators and the CLI only; the
//! hot path uses [`super::evaluate`], which computes the same outcome without the traces.

use super::eval::{context, evaluate, output_plan};
use super::{Bundle, Decision, Facts, OutputPlan, RuleEffect};

/// One rule's verdict for the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTrace {
    /// Rule id.
    pub id: String,
    /// The rule's description.
    pub description: String,
    /// Annex A controls.
    pub controls: Vec<String>,
    /// The rule's effect, e.g. `block` or `redact(pii.us_ssn)`.
    pub effect: String,
    /// Monitor mode.
    pub monitor: bool,
    /// Did the rule fire?
    pub fired: bool,
    /// Why (or why not).
    pub why: String,
}

/// The full explanation of a decision.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Bundle id, version and hash.
    pub bundle: String,
    /// Every request rule, in file order.
    pub rules: Vec<RuleTrace>,
    /// The decision `evaluate` returns for the same facts.
    pub decision: Decision,
    /// The response-side plan.
    pub output: OutputPlan,
}

/// Explain the decision for `facts`.
pub fn explain(bundle: &Bundle, facts: &Facts<'_>) -> Explanation {
    let cx = context(bundle, facts);
    let rules = bundle
        .rules
        .iter()
        .map(|r| {
            let (held, mut why) = r.cond.trace(&cx);
            let mut fired = held;
            if let RuleEffect::Redact(classes) = &r.effect {
                if !classes.iter().any(|p| cx.has_class(p)) {
                    fired = false;
                    let names: Vec<String> = classes.iter().map(ToString::to_string).collect();
                    why = format!("no class to redact present ({}); {why}", names.join("|"));
                }
            }
            RuleTrace {
                id: r.rref.id.to_string(),
                description: r.description.clone(),
                controls: r.rref.controls.to_vec(),
                effect: r.effect.to_effect().to_string(),
                monitor: r.monitor,
                fired,
                why,
            }
        })
        .collect();
    Explanation {
        bundle: format!(
            "{} {} ({})",
            bundle.id(),
            bundle.version(),
            bundle.content_hash().get(..12).unwrap_or_default()
        ),
        rules,
        decision: evaluate(bundle, facts),
        output: output_plan(bundle, facts),
    }
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.decision;
        writeln!(f, "bundle  {}", self.bundle)?;
        let sys = d.system.id.as_deref().unwrap_or("(none)");
        let reg = if d.system.registered {
            "registered"
        } else {
            "UNREGISTERED"
        };
        writeln!(f, "system  {sys} [{reg}, risk tier {}]", d.system.risk_tier)?;
        let w = self
            .rules
            .iter()
            .map(|r| r.id.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let e = self
            .rules
            .iter()
            .map(|r| r.effect.len())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(
            f,
            "{:<w$}  {:<5}  {:<e$}  {:<7}  WHY",
            "RULE", "FIRED", "EFFECT", "MODE"
        )?;
        for r in &self.rules {
            let fired = if r.fired { "yes" } else { "no" };
            let mode = if r.monitor { "monitor" } else { "enforce" };
            writeln!(
                f,
                "{:<w$}  {fired:<5}  {:<e$}  {mode:<7}  {}",
                r.id, r.effect, r.why
            )?;
        }
        writeln!(f, "decision  {}", d.effect)?;
        if let super::Effect::Block { message, fix } = &d.effect {
            writeln!(f, "  message {message}")?;
            writeln!(f, "  fix     {fix}")?;
        }
        let ids: Vec<String> = d
            .rules
            .iter()
            .map(|r| format!("{} [{}]", r.id, r.controls.join(", ")))
            .collect();
        writeln!(f, "rules     {}", ids.join("; "))?;
        writeln!(f, "reason    {}", d.reason)?;
        if d.would_have != d.effect {
            writeln!(f, "monitor   would have {}", d.would_have)?;
        }
        for o in &self.output.entries {
            let cs: Vec<String> = o.classes.iter().map(ToString::to_string).collect();
            let mode = if o.monitor { " (monitor)" } else { "" };
            writeln!(
                f,
                "output    {} {}{mode} by {}",
                o.action.as_str(),
                cs.join(", "),
                o.rule.id
            )?;
        }
        Ok(())
    }
}
