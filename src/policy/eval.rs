//! Evaluation: one call's [`Facts`] → [`Decision`] (request side) and [`OutputPlan`] (response
//! side). Pure and cheap: conditions were compiled at load time; evaluation walks them once and
//! allocates only the decision it returns.
//!
//! Precedence (documented in `policies/README.md`): block > redact > review > allow among the
//! enforced rules that fire; redact classes are unioned; no enforced rule firing → the bundle
//! default. A redact rule fires only when its condition holds *and* one of its classes is present.
//! Monitor-mode rules fire the same way but only feed `monitored` and `would_have`.

use super::cond::Ctx;
use super::{
    Bundle, Decision, Effect, EffectKind, Facts, OutputRule, Rule, RuleEffect, RuleRef, SystemInfo,
};
use crate::taxonomy::{ClassPattern, OutputAction};
use std::fmt::Write as _;
use std::sync::Arc;

/// One output rule that applies to this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputEntry {
    /// Which classes.
    pub classes: Vec<ClassPattern>,
    /// What to do.
    pub action: OutputAction,
    /// The deciding rule.
    pub rule: RuleRef,
    /// Monitor mode: report `action` as "would have", enforce only observation.
    pub monitor: bool,
}

/// What the response side must do, per class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputPlan {
    /// Applicable output rules in file order.
    pub entries: Vec<OutputEntry>,
}

impl OutputPlan {
    /// Nothing to inspect on the response side.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The enforced action for `class` (strongest wins; monitor entries count as observe) and the
    /// rule that decided it; `None` when no rule covers the class.
    pub fn action_for(&self, class: &str) -> Option<(OutputAction, &RuleRef)> {
        self.strongest(class, false)
    }

    /// What monitor-mode output rules would have done for `class`.
    pub fn monitored_for(&self, class: &str) -> Option<(OutputAction, &RuleRef)> {
        self.strongest(class, true)
    }

    fn strongest(&self, class: &str, monitor: bool) -> Option<(OutputAction, &RuleRef)> {
        let mut best: Option<(OutputAction, &RuleRef)> = None;
        for e in &self.entries {
            if !e.classes.iter().any(|p| p.matches(class)) {
                continue;
            }
            let action = match (monitor, e.monitor) {
                (false, true) => OutputAction::Observe,
                (true, false) => continue,
                _ => e.action,
            };
            if best.is_none_or(|(b, _)| action > b) {
                best = Some((action, &e.rule));
            }
        }
        best
    }
}

/// The response-side plan for a call.
pub fn output_plan(bundle: &Bundle, facts: &Facts<'_>) -> OutputPlan {
    let cx = context(bundle, facts);
    let entries = bundle
        .outputs
        .iter()
        .filter(|o: &&OutputRule| o.cond.eval(&cx))
        .map(|o| OutputEntry {
            classes: o.classes.clone(),
            action: o.action,
            rule: o.rref.clone(),
            monitor: o.monitor,
        })
        .collect();
    OutputPlan { entries }
}

pub(crate) fn context<'a>(bundle: &'a Bundle, facts: &'a Facts<'a>) -> Ctx<'a> {
    let system = facts
        .ai_system
        .and_then(|s| bundle.index.get(s).copied())
        .and_then(|i| bundle.systems.get(i).map(|s| (i, s)));
    Ctx::new(facts, system, &bundle.selectors)
}

/// Does `rule` fire for this call? (Its condition holds and, for redact, a listed class is present.)
pub(crate) fn fires(rule: &Rule, cx: &Ctx<'_>) -> bool {
    if rule.sys_mask != u64::MAX && rule.sys_mask & cx.system_bit == 0 {
        return false;
    }
    if let RuleEffect::Redact(classes) = &rule.effect {
        let present = if rule.redact_mask != 0 {
            cx.present & rule.redact_mask != 0
        } else {
            classes.iter().any(|p| cx.has_class(p))
        };
        if !present {
            return false;
        }
    }
    rule.cond.eval(cx)
}

/// Evaluate the bundle for one call.
pub fn evaluate(bundle: &Bundle, facts: &Facts<'_>) -> Decision {
    let cx = context(bundle, facts);
    let mut fired: Vec<&Rule> = Vec::with_capacity(bundle.rules.len());
    for r in &bundle.rules {
        if fires(r, &cx) {
            fired.push(r);
        }
    }
    let enforced = combine(
        bundle,
        fired.iter().copied().filter(|r| !r.monitor),
        bundle.monitor,
    );
    let monitored: Vec<(RuleRef, Effect)> = fired
        .iter()
        .filter(|r| r.monitor)
        .map(|r| (r.rref.clone(), r.effect.to_effect()))
        .chain(
            // In bundle monitor mode the default is only reported, too.
            (bundle.monitor
                && fired.is_empty()
                && bundle.default.effect.kind() > EffectKind::Allow)
                .then(|| {
                    (
                        bundle.default.rref.clone(),
                        bundle.default.effect.to_effect(),
                    )
                }),
        )
        .collect();
    let would_have = if monitored.is_empty() {
        enforced.effect.clone()
    } else {
        combine(bundle, fired.iter().copied(), false).effect
    };
    let mut enforced = enforced;
    // An enforced allow or review rule may send the call to another model; block and redact
    // outcomes are not rerouted (the call is refused, or its data handled first).
    let router = match enforced.effect {
        Effect::Allow | Effect::Review => {
            fired.iter().find(|r| !r.monitor && r.route_model.is_some())
        }
        _ => None,
    };
    if let Some(r) = router {
        if !enforced.rules.iter().any(|x| x.id == r.rref.id) {
            enforced.rules.push(r.rref.clone());
        }
    }
    let mut reason = String::with_capacity(64);
    describe(
        &mut reason,
        &enforced.effect,
        &enforced.rules,
        bundle.monitor,
    );
    if let Some((r, m)) = router.and_then(|r| r.route_model.as_deref().map(|m| (r, m))) {
        let _ = write!(reason, "; routed to model {m} by {}", r.rref.id);
    }
    if enforced.review && !matches!(enforced.effect, Effect::Review) {
        reason.push_str("; flagged for review");
    }
    if !monitored.is_empty() {
        let ids: Vec<&RuleRef> = monitored.iter().map(|(r, _)| r).collect();
        let _ = write!(reason, "; monitor: would have {}", would_have.kind());
        push_ids(&mut reason, ids.into_iter());
    }
    Decision {
        effect: enforced.effect,
        review: enforced.review,
        monitored,
        would_have,
        rules: enforced.rules,
        reason,
        route_model: router.and_then(|r| r.route_model.clone()),
        system: SystemInfo {
            id: cx
                .system
                .map(|s| s.id.clone())
                .or_else(|| facts.ai_system.map(Arc::from)),
            risk_tier: cx.tier,
            registered: cx.system.is_some(),
            model_approved: cx.model_approved,
            upstream_approved: cx.upstream_approved,
        },
    }
}

struct Combined {
    effect: Effect,
    review: bool,
    rules: Vec<RuleRef>,
}

/// Apply the precedence to a set of fired rules (falls back to the bundle default).
/// With `monitor_default`, an applicable default is not enforced (bundle monitor mode).
fn combine<'r>(
    bundle: &'r Bundle,
    fired: impl Iterator<Item = &'r Rule> + Clone,
    monitor_default: bool,
) -> Combined {
    let top = fired.clone().map(|r| r.effect.kind()).max();
    let review = fired
        .clone()
        .any(|r| matches!(r.effect, RuleEffect::Review));
    let Some(top) = top else {
        let d = &bundle.default;
        let effect = if monitor_default {
            Effect::Allow
        } else {
            d.effect.to_effect()
        };
        return Combined {
            review: matches!(effect, Effect::Review),
            effect,
            rules: vec![d.rref.clone()],
        };
    };
    let mut rules: Vec<RuleRef> = Vec::new();
    let mut classes: Vec<ClassPattern> = Vec::new();
    let mut block: Option<Effect> = None;
    for r in fired {
        let kind = r.effect.kind();
        let keep = kind == top || (top == EffectKind::Redact && kind == EffectKind::Review);
        if !keep {
            continue;
        }
        rules.push(r.rref.clone());
        match &r.effect {
            RuleEffect::Redact(cs) => {
                for c in cs {
                    if !classes.contains(c) {
                        classes.push(c.clone());
                    }
                }
            }
            RuleEffect::Block { .. } if block.is_none() => block = Some(r.effect.to_effect()),
            _ => {}
        }
    }
    let effect = match top {
        EffectKind::Block => block.unwrap_or(Effect::Allow),
        EffectKind::Redact => Effect::Redact { classes },
        EffectKind::Review => Effect::Review,
        EffectKind::Allow => Effect::Allow,
    };
    Combined {
        effect,
        review,
        rules,
    }
}

fn push_ids<'a>(out: &mut String, ids: impl Iterator<Item = &'a RuleRef>) {
    out.push_str(" (");
    for (i, r) in ids.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&r.id);
    }
    out.push(')');
}

fn describe(out: &mut String, effect: &Effect, rules: &[RuleRef], monitor: bool) {
    if monitor {
        out.push_str("monitor mode: nothing enforced");
        return;
    }
    match effect {
        Effect::Allow => out.push_str("allowed"),
        Effect::Review => out.push_str("allowed, flagged for review"),
        Effect::Block { .. } => out.push_str("blocked"),
        Effect::Redact { classes } => {
            out.push_str("redacted ");
            for (i, c) in classes.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{c}");
            }
        }
    }
    if rules.len() == 1 && rules.first().is_some_and(|r| &*r.id == "default") {
        out.push_str(" by the bundle default (no rule matched)");
    } else {
        out.push_str(" by rule");
        push_ids(out, rules.iter());
    }
}
