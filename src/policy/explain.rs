//! `explain`: every rule of a bundle against one call's facts — matched or not, and why — plus
//! the resulting decision and the output action each data class will get in the answer, rendered
//! as a table by `Display`. For operators and the CLI only; the hot path uses
//! [`super::evaluate`] and [`super::output_plan`], which compute the same outcome without the
//! traces (the proxy resolves the plan per class exactly as [`OutputPlan::action_for`] does).

use super::eval::{context, evaluate, output_plan};
use super::{Bundle, Decision, Facts, OutputAction, OutputPlan, RuleEffect};
use crate::taxonomy::{ClassPattern, BUILTIN_CLASSES};

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
    /// What the answer's inspection will do, per class the plan covers.
    pub output_classes: Vec<ClassOutput>,
}

/// The output action one data class gets: all applicable output rules together, block over
/// redact over observe; monitor-mode rules only observe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassOutput {
    /// A class name, or `custom.*` for dictionaries no rule names.
    pub class: String,
    /// The enforced action.
    pub action: OutputAction,
    /// The rule that decided it.
    pub rule: String,
    /// What a monitor-mode rule would have done instead, if it would have done more.
    pub would_have: Option<(OutputAction, String)>,
}

/// Every class the plan covers, with its action (built-in classes in taxonomy order, then the
/// custom classes rules name, then `custom.*`).
pub fn class_outputs(plan: &OutputPlan) -> Vec<ClassOutput> {
    let mut names: Vec<String> = BUILTIN_CLASSES.iter().map(|c| (*c).to_owned()).collect();
    for e in &plan.entries {
        for p in &e.classes {
            if let ClassPattern::Exact(c) = p {
                if !names.contains(c) {
                    names.push(c.clone());
                }
            }
        }
    }
    names.push("custom.*".to_owned());
    names
        .into_iter()
        .filter_map(|class| {
            let (action, rule) = plan.action_for(&class)?;
            let would_have = plan
                .monitored_for(&class)
                .filter(|(a, _)| *a > action)
                .map(|(a, r)| (a, r.id.to_string()));
            Some(ClassOutput {
                rule: rule.id.to_string(),
                class,
                action,
                would_have,
            })
        })
        .collect()
}

/// Explain the decision for `facts`.
pub fn explain(bundle: &Bundle, facts: &Facts<'_>) -> Explanation {
    let cx = context(bundle, facts);
    let output = output_plan(bundle, facts);
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
        output_classes: class_outputs(&output),
        output,
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
        if self.output_classes.is_empty() {
            writeln!(
                f,
                "output    no output rule applies: answers pass unchanged (findings are counted when [classify] scan_responses is on)"
            )?;
            return Ok(());
        }
        writeln!(
            f,
            "output    per class, all applicable output rules together (block > redact > observe; with [classify] scan_responses on):"
        )?;
        let w = self
            .output_classes
            .iter()
            .map(|c| c.class.len())
            .max()
            .unwrap_or(5);
        for c in &self.output_classes {
            write!(
                f,
                "  {:<w$}  {:<7}  by {}",
                c.class,
                c.action.as_str(),
                c.rule
            )?;
            if let Some((a, r)) = &c.would_have {
                write!(f, "  (monitor: would {} by {r})", a.as_str())?;
            }
            writeln!(f)?;
        }
        if self
            .output_classes
            .iter()
            .any(|c| c.action > OutputAction::Observe)
        {
            writeln!(
                f,
                "output    an answer that cannot be inspected (not this API's JSON, an unparseable event, another content type) is refused, or its stream cut"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::policy::tests::F;

    fn healthcare() -> Bundle {
        crate::policy::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/healthcare"),
        )
        .unwrap()
    }

    fn class<'a>(e: &'a Explanation, name: &str) -> &'a ClassOutput {
        e.output_classes
            .iter()
            .find(|c| c.class == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", e.output_classes))
    }

    #[test]
    fn explain_shows_every_output_rule_applying_together_per_class() {
        let b = healthcare();
        let f = F {
            groups: vec!["support-agents".into()],
            system: Some("patient-support-assistant"),
            model: Some("gpt-4o-mini"),
            ..F::default()
        };
        let e = explain(&b, &f.facts());
        // The block rule for secrets applies, and the redact rule still does for its classes.
        let card = class(&e, "financial.credit_card");
        assert_eq!(
            (card.action, card.rule.as_str()),
            (OutputAction::Redact, "output-redact-ids")
        );
        let key = class(&e, "secret.aws_access_key");
        assert_eq!(
            (key.action, key.rule.as_str()),
            (OutputAction::Block, "output-block-secrets")
        );
        let name = class(&e, "pii.person_name");
        assert_eq!(name.action, OutputAction::Observe);
        assert_eq!(
            name.would_have,
            Some((OutputAction::Redact, "pilot-output-redact-names".into()))
        );
        assert!(e
            .output_classes
            .iter()
            .all(|c| c.class != "confidential.marking"));
        let text = e.to_string();
        assert!(
            text.contains("financial.credit_card         redact   by output-redact-ids"),
            "{text}"
        );
        assert!(text.contains("cannot be inspected"), "{text}");
        // Support leads keep medical record numbers: only observed.
        let lead = F {
            groups: vec!["support-leads".into()],
            ..f
        };
        let e = explain(&b, &lead.facts());
        assert_eq!(
            class(&e, "health.medical_record_number").action,
            OutputAction::Observe
        );
    }

    #[test]
    fn custom_classes_and_wildcards_are_listed() {
        let rule = |id: &str| super::super::RuleRef {
            id: id.into(),
            controls: std::sync::Arc::from(Vec::new()),
        };
        let plan = OutputPlan {
            entries: vec![
                super::super::OutputEntry {
                    classes: vec![ClassPattern::parse("custom.codenames").unwrap()],
                    action: OutputAction::Block,
                    rule: rule("o-code"),
                    monitor: false,
                },
                super::super::OutputEntry {
                    classes: vec![ClassPattern::Any],
                    action: OutputAction::Observe,
                    rule: rule("o-all"),
                    monitor: false,
                },
            ],
        };
        let out = class_outputs(&plan);
        let find = |n: &str| out.iter().find(|c| c.class == n).unwrap();
        assert_eq!(find("custom.codenames").action, OutputAction::Block);
        assert_eq!(find("custom.*").action, OutputAction::Observe);
        assert_eq!(find("pii.email").rule, "o-all");
        assert!(class_outputs(&OutputPlan::default()).is_empty());
    }
}
