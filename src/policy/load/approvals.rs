//! The inventory's own enforcement: a registered AI system calling a model or an upstream its
//! inventory entry does not approve is refused by default.
//!
//! Owns the two built-in request rules ([`UNAPPROVED_MODEL`], [`UNAPPROVED_UPSTREAM`]) that every
//! bundle gets after its own rules, and the `[inventory]` table of `bundle.toml` that relaxes them
//! to `review`. They are ordinary compiled rules, so evaluation, precedence, monitor mode,
//! `policy explain` and the evidence (rule id and Annex A controls) treat them like any other.
//! Parsing of the rest of the bundle is in [`super`].

use super::{Src, Validator};
use crate::policy::cond::{Cond, Flag};
use crate::policy::raw::RawInventoryPolicy;
use crate::policy::{LoadError, Rule, RuleEffect, RuleRef};
use std::sync::Arc;
use toml::Spanned;

/// Id of the built-in rule for a model the bound system is not approved for.
pub const UNAPPROVED_MODEL: &str = "inventory-unapproved-model";
/// Id of the built-in rule for an upstream (provider) the bound system is not approved for.
pub const UNAPPROVED_UPSTREAM: &str = "inventory-unapproved-upstream";

struct Builtin {
    id: &'static str,
    flag: Flag,
    key: &'static str,
    description: &'static str,
    controls: &'static [&'static str],
    message: &'static str,
    fix: &'static str,
}

const BUILTINS: [Builtin; 2] = [
    Builtin {
        id: UNAPPROVED_MODEL,
        flag: Flag::ModelApproved,
        key: "inventory.unapproved_model",
        description: "A registered AI system may only call the models its inventory entry approves.",
        controls: &["A.6.2.5", "A.10.3"],
        message: "The requested model is not approved for this AI system in the AI system inventory.",
        fix: "Use one of the models the inventory approves for this system, or ask the system owner to have the model assessed and added.",
    },
    Builtin {
        id: UNAPPROVED_UPSTREAM,
        flag: Flag::UpstreamApproved,
        key: "inventory.unapproved_upstream",
        description: "A registered AI system may only call the providers its inventory entry approves.",
        controls: &["A.10.2", "A.10.3"],
        message: "This AI system is not approved for the provider (upstream) this call would go to.",
        fix: "Use a model served by a provider the inventory approves for this system, or ask the system owner to have the provider assessed and added.",
    },
];

impl Validator<'_> {
    /// The built-in approval rules, effect `block` unless `[inventory]` relaxes one to `review`.
    pub(super) fn approval_rules(
        &mut self,
        s: Src<'_>,
        raw: Option<&RawInventoryPolicy>,
        bundle_monitor: bool,
    ) -> Result<Vec<Rule>, LoadError> {
        let mut out = Vec::with_capacity(BUILTINS.len());
        for b in &BUILTINS {
            let setting = raw.and_then(|r| match b.flag {
                Flag::ModelApproved => r.unapproved_model.as_ref(),
                _ => r.unapproved_upstream.as_ref(),
            });
            let effect = effect_of(s, setting, b)?;
            if !self.ids.insert(b.id.to_owned()) {
                return Err(LoadError::File {
                    file: "rules.toml".to_owned(),
                    message: format!(
                        "rule id `{}` is reserved for the built-in inventory rule",
                        b.id
                    ),
                });
            }
            let cond = Cond::All(Box::new([
                Cond::Flag(Flag::SystemRegistered, true),
                Cond::Flag(b.flag, false),
            ]));
            out.push(Rule {
                rref: RuleRef {
                    id: Arc::from(b.id),
                    controls: b.controls.iter().map(|c| (*c).to_owned()).collect(),
                },
                description: b.description.to_owned(),
                effect,
                monitor: bundle_monitor,
                sys_mask: cond.system_mask(),
                cond,
                redact_mask: 0,
                route_model: None,
            });
        }
        Ok(out)
    }
}

fn effect_of(
    s: Src<'_>,
    setting: Option<&Spanned<String>>,
    b: &Builtin,
) -> Result<RuleEffect, LoadError> {
    let block = || RuleEffect::Block {
        message: b.message.to_owned(),
        fix: b.fix.to_owned(),
    };
    let Some(v) = setting else {
        return Ok(block());
    };
    match v.get_ref().as_str() {
        "block" => Ok(block()),
        "review" => Ok(RuleEffect::Review),
        other => Err(s.err(
            v.span(),
            b.key,
            format!("unknown value `{other}` (block, review)"),
        )),
    }
}
