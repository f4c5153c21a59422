//! Validation of the bundle's lists: inventory entries, request rules, output rules and the
//! condition tables inside them. File-level plumbing (reading, hashing, `bundle.toml`) is in
//! [`super`].

use super::{Src, Validator};
use crate::policy::cond::{Attr, Cond, Flag};
use crate::policy::raw::{RawCond, RawOutputs, RawRules, RawSystems, StrList};
use crate::policy::{
    LoadError, OutputAction, OutputRule, RiskTier, Rule, RuleEffect, RuleRef, System, OPERATIONS,
};
use crate::taxonomy::ClassPattern;
use std::sync::Arc;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn systems(&mut self, s: Src<'_>, raw: RawSystems) -> Result<(), LoadError> {
        for r in raw.system {
            let id = self.ident(s, &r.id, "system.id")?;
            let key = |k: &str| format!("system[{id}].{k}");
            if self.index.contains_key(id.as_str()) {
                return Err(s.err(
                    r.id.span(),
                    key("id"),
                    format!("duplicate system id `{id}`"),
                ));
            }
            let tier = match RiskTier::parse(r.risk_tier.get_ref()) {
                Some(RiskTier::Unknown) | None => {
                    return Err(s.err(
                        r.risk_tier.span(),
                        key("risk_tier"),
                        format!(
                            "unknown risk tier `{}` (minimal, limited, high, prohibited)",
                            r.risk_tier.get_ref()
                        ),
                    ))
                }
                Some(t) => t,
            };
            let upstreams = match &r.upstreams {
                None => None,
                Some(list) => {
                    for u in list {
                        self.upstream(s, u.span(), u.get_ref(), &key("upstreams"))?;
                    }
                    Some(list.iter().map(|u| u.get_ref().clone()).collect())
                }
            };
            let models = match &r.models {
                None => None,
                Some(l) => Some(self.globs(s, l, &key("models"))?),
            };
            let principals = match &r.principals {
                None => None,
                Some(l) => Some(self.globs(s, l, &key("principals"))?),
            };
            let groups = match &r.groups {
                None => None,
                Some(l) => {
                    if let Some(g) = l.iter().find(|g| g.get_ref().trim().is_empty()) {
                        return Err(s.err(g.span(), key("groups"), "group name must not be empty"));
                    }
                    Some(l.iter().map(|g| g.get_ref().clone()).collect())
                }
            };
            let data_classes = match &r.data_classes {
                None => None,
                Some(l) => Some(self.classes(s, l, &key("data_classes"))?),
            };
            let id: Arc<str> = id.into();
            self.index.insert(id.clone(), self.systems.len());
            self.systems.push(System {
                id,
                name: r.name,
                owner: r.owner,
                purpose: r.purpose,
                risk_tier: tier,
                impact_assessment: r.impact_assessment,
                upstreams,
                models,
                principals,
                groups,
                data_classes,
            });
        }
        Ok(())
    }

    pub(super) fn rules(
        &mut self,
        s: Src<'_>,
        raw: RawRules,
        bundle_monitor: bool,
    ) -> Result<Vec<Rule>, LoadError> {
        let mut rules = Vec::with_capacity(raw.rule.len());
        let mut lines = Vec::with_capacity(raw.rule.len());
        for r in raw.rule {
            let id = self.new_id(s, &r.id, "rule.id")?;
            let key = |k: &str| format!("rule[{id}].{k}");
            let controls = self.described(s, r.id.span(), &r.description, &r.controls, &key)?;
            let espan = r.effect.span();
            let effect = match (r.effect.get_ref().as_str(), &r.classes, &r.message, &r.fix) {
                ("allow", None, None, None) => RuleEffect::Allow,
                ("review", None, None, None) => RuleEffect::Review,
                ("redact", Some(c), None, None) => {
                    if c.is_empty() {
                        return Err(s.err(
                            espan,
                            key("classes"),
                            "redact needs at least one class",
                        ));
                    }
                    RuleEffect::Redact(self.classes(s, c, &key("classes"))?)
                }
                ("block", None, Some(m), Some(f))
                    if !m.trim().is_empty() && !f.trim().is_empty() =>
                {
                    RuleEffect::Block {
                        message: m.clone(),
                        fix: f.clone(),
                    }
                }
                ("block", None, _, _) => {
                    return Err(s.err(
                        espan,
                        key("effect"),
                        "block needs a non-empty `message` and `fix`",
                    ))
                }
                ("redact", None, _, _) => {
                    return Err(s.err(espan, key("effect"), "redact needs `classes`"))
                }
                ("allow" | "review" | "redact" | "block", ..) => {
                    return Err(s.err(
                        espan,
                        key("effect"),
                        "`classes` belongs only to redact, `message`/`fix` only to block",
                    ))
                }
                (other, ..) => {
                    return Err(s.err(
                        espan,
                        key("effect"),
                        format!("unknown effect `{other}` (allow, redact, block, review)"),
                    ))
                }
            };
            let cond = match &r.when {
                None => Cond::True,
                Some(w) => {
                    let c = self.cond(s, w, &key("when"))?;
                    if c.never() {
                        return Err(s.err(
                            w.span(),
                            key("when"),
                            "condition can never be true (empty list or contradictory values), so the rule is unreachable",
                        ));
                    }
                    c
                }
            };
            let route_model = match &r.route_model {
                None => None,
                Some(m) if !matches!(effect, RuleEffect::Allow | RuleEffect::Review) => {
                    return Err(s.err(
                        m.span(),
                        key("route_model"),
                        "only an allow or review rule sends a call to another model",
                    ))
                }
                Some(m) => {
                    let name = m.get_ref().trim();
                    let ok = !name.is_empty()
                        && name.len() <= 256
                        && !name.contains(['*', '/', '?', '#', '%'])
                        && !name.contains(char::is_whitespace);
                    if !ok {
                        return Err(s.err(
                            m.span(),
                            key("route_model"),
                            "one model name, without spaces or patterns",
                        ));
                    }
                    Some(name.to_owned())
                }
            };
            lines.push(r.id.span());
            let redact_mask = match &effect {
                RuleEffect::Redact(cs) => self.mask(cs),
                _ => 0,
            };
            rules.push(Rule {
                rref: RuleRef { id, controls },
                description: r.description,
                effect,
                monitor: r.monitor || bundle_monitor,
                sys_mask: cond.system_mask(),
                cond,
                redact_mask,
                route_model,
            });
        }
        let blocker = rules.iter().find(|r| {
            !r.monitor && r.cond.always() && matches!(r.effect, RuleEffect::Block { .. })
        });
        if let Some(b) = blocker {
            let shadowed = rules
                .iter()
                .zip(&lines)
                .find(|(r, _)| !r.monitor && r.rref.id != b.rref.id);
            if let Some((r, span)) = shadowed {
                return Err(s.err(
                    span.clone(),
                    format!("rule[{}]", r.rref.id),
                    format!(
                        "unreachable: rule `{}` blocks every call unconditionally, so this rule can never decide",
                        b.rref.id
                    ),
                ));
            }
        }
        Ok(rules)
    }

    pub(super) fn outputs(
        &mut self,
        s: Src<'_>,
        raw: RawOutputs,
        bundle_monitor: bool,
    ) -> Result<Vec<OutputRule>, LoadError> {
        let mut out = Vec::with_capacity(raw.output.len());
        for r in raw.output {
            let id = self.new_id(s, &r.id, "output.id")?;
            let key = |k: &str| format!("output[{id}].{k}");
            let controls = self.described(s, r.id.span(), &r.description, &r.controls, &key)?;
            if r.classes.get_ref().is_empty() {
                return Err(s.err(r.classes.span(), key("classes"), "list at least one class"));
            }
            let classes = self.classes(s, r.classes.get_ref(), &key("classes"))?;
            let action = match OutputAction::parse(r.action.get_ref()) {
                Some(a) => a,
                None => {
                    let other = r.action.get_ref();
                    return Err(s.err(
                        r.action.span(),
                        key("action"),
                        format!("unknown output action `{other}` (observe, redact, block)"),
                    ));
                }
            };
            let cond = match &r.when {
                None => Cond::True,
                Some(w) => {
                    let c = self.cond(s, w, &key("when"))?;
                    if c.never() {
                        return Err(s.err(w.span(), key("when"), "condition can never be true"));
                    }
                    c
                }
            };
            out.push(OutputRule {
                rref: RuleRef { id, controls },
                classes,
                action,
                monitor: r.monitor || bundle_monitor,
                cond,
            });
        }
        Ok(out)
    }

    /// Compile one condition table; several keys in one table are an implicit `all`.
    fn cond(&mut self, s: Src<'_>, raw: &Spanned<RawCond>, key: &str) -> Result<Cond, LoadError> {
        let r = raw.get_ref();
        let mut parts = Vec::new();
        if let Some(xs) = &r.all {
            let cs = self.conds(s, xs, &format!("{key}.all"))?;
            parts.push(Cond::All(cs.into()));
        }
        if let Some(xs) = &r.any {
            let cs = self.conds(s, xs, &format!("{key}.any"))?;
            parts.push(Cond::Any(cs.into()));
        }
        if let Some(x) = &r.not {
            parts.push(Cond::Not(Box::new(self.cond(
                s,
                x,
                &format!("{key}.not"),
            )?)));
        }
        let strs = [
            (Attr::Principal, &r.principal),
            (Attr::Group, &r.group),
            (Attr::AuthMethod, &r.auth_method),
            (Attr::AiSystem, &r.ai_system),
            (Attr::Upstream, &r.upstream),
            (Attr::Model, &r.model),
            (Attr::Operation, &r.operation),
        ];
        for (attr, v) in strs {
            if let Some(v) = v {
                parts.push(self.str_cond(s, attr, v, &format!("{key}.{}", attr.name()))?);
            }
        }
        if let Some(v) = &r.risk_tier {
            let mut mask = 0u8;
            for t in &v.get_ref().0 {
                match RiskTier::parse(t) {
                    Some(t) => mask |= t.bit(),
                    None => {
                        return Err(s.err(
                            v.span(),
                            format!("{key}.risk_tier"),
                            format!(
                            "unknown risk tier `{t}` (minimal, limited, high, prohibited, unknown)"
                        ),
                        ))
                    }
                }
            }
            parts.push(Cond::Tier(mask));
        }
        if let Some(v) = &r.class {
            let mut ps: Vec<ClassPattern> = Vec::new();
            for c in &v.get_ref().0 {
                let p = ClassPattern::parse(c)
                    .map_err(|e| s.err(v.span(), format!("{key}.class"), e.to_string()))?;
                ps.push(p);
            }
            let mask = self.mask(&ps);
            parts.push(Cond::Class(ps.into(), mask));
        }
        if let Some(v) = &r.class_count {
            let p = ClassPattern::parse(&v.get_ref().class)
                .map_err(|e| s.err(v.span(), format!("{key}.class_count.class"), e.to_string()))?;
            let slot = match self.mask(std::slice::from_ref(&p)) {
                0 => None,
                m => u8::try_from(m.trailing_zeros()).ok(),
            };
            parts.push(Cond::ClassCount(p, v.get_ref().at_least, slot));
        }
        let flags = [
            (Flag::SystemRegistered, r.system_registered),
            (Flag::ModelApproved, r.model_approved),
            (Flag::UpstreamApproved, r.upstream_approved),
            (Flag::ClassesApproved, r.classes_approved),
            (Flag::Stream, r.stream),
            (Flag::Unscanned, r.unscanned),
            (Flag::MaxTokensSet, r.max_tokens_set),
        ];
        for (f, v) in flags {
            if let Some(v) = v {
                parts.push(Cond::Flag(f, v));
            }
        }
        if let Some(n) = r.max_tokens_over {
            parts.push(Cond::MaxTokensOver(n));
        }
        if let Some(v) = &r.limit_used {
            let u = v.get_ref();
            let id = u.limit.trim();
            if id.is_empty() || id.contains(char::is_whitespace) {
                return Err(s.err(
                    v.span(),
                    format!("{key}.limit_used.limit"),
                    "the id of a `[[limits]]` entry of the gateway's configuration".to_owned(),
                ));
            }
            if !(u.at_least.is_finite() && u.at_least >= 0.0) {
                return Err(s.err(
                    v.span(),
                    format!("{key}.limit_used.at_least"),
                    "a share of the budget: 0.8 means 80% used, 1.0 all of it".to_owned(),
                ));
            }
            self.uses_limits = true;
            parts.push(Cond::LimitUsed(id.into(), u.at_least));
        }
        parts.sort_by_key(Cond::cost);
        Ok(match parts.len() {
            0 => Cond::True,
            1 => parts.pop().unwrap_or(Cond::True),
            _ => Cond::All(parts.into()),
        })
    }

    fn conds(
        &mut self,
        s: Src<'_>,
        xs: &[Spanned<RawCond>],
        key: &str,
    ) -> Result<Vec<Cond>, LoadError> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| self.cond(s, x, &format!("{key}[{i}]")))
            .collect()
    }

    fn str_cond(
        &self,
        s: Src<'_>,
        attr: Attr,
        v: &Spanned<StrList>,
        key: &str,
    ) -> Result<Cond, LoadError> {
        let mut globs = Vec::with_capacity(v.get_ref().0.len());
        for t in &v.get_ref().0 {
            let g = crate::policy::glob::Glob::new(t).map_err(|e| s.err(v.span(), key, e))?;
            let literal_only = matches!(
                attr,
                Attr::AiSystem | Attr::Upstream | Attr::Operation | Attr::Group
            );
            if literal_only && !g.is_literal() {
                return Err(s.err(
                    v.span(),
                    key,
                    format!("`{t}`: wildcards are not allowed for {}", attr.name()),
                ));
            }
            match attr {
                Attr::AiSystem if !self.index.contains_key(t.as_str()) => {
                    return Err(s.err(
                        v.span(),
                        key,
                        format!("unknown AI system `{t}` (not in systems.toml; use system_registered = false for unregistered systems)"),
                    ))
                }
                Attr::Upstream => self.upstream(s, v.span(), t, key)?,
                Attr::Operation if !OPERATIONS.contains(&t.as_str()) => {
                    return Err(s.err(
                        v.span(),
                        key,
                        format!("unknown operation `{t}` ({})", OPERATIONS.join(", ")),
                    ))
                }
                _ => {}
            }
            globs.push(g);
        }
        let bit = |t: &str| match attr {
            Attr::AiSystem => self.index.get(t).copied(),
            Attr::Operation => OPERATIONS.iter().position(|o| *o == t),
            _ => None,
        };
        let bits: Option<u64> = globs.iter().try_fold(0u64, |m, g| {
            bit(g.as_str()).filter(|i| *i < 64).map(|i| m | (1u64 << i))
        });
        Ok(match bits {
            Some(mask) if matches!(attr, Attr::AiSystem | Attr::Operation) => {
                Cond::Ids(attr, mask, globs.into())
            }
            _ => Cond::Str(attr, globs.into()),
        })
    }
}
