//! Compiled rule conditions: the tree, its evaluation against one call's facts, the static
//! "can this ever be true" analysis used to reject unreachable rules, and the trace `explain` prints.
//!
//! Compilation from the TOML shape and its error messages live in [`super::load`]; this file only
//! knows the compiled form, which has no strings left to parse.

use super::glob::Glob;
use super::{Facts, RiskTier, System};
use crate::taxonomy::ClassPattern;

/// String-valued attributes of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    Principal,
    Group,
    AuthMethod,
    AiSystem,
    Upstream,
    Model,
    Operation,
}

impl Attr {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Principal => "principal",
            Self::Group => "group",
            Self::AuthMethod => "auth_method",
            Self::AiSystem => "ai_system",
            Self::Upstream => "upstream",
            Self::Model => "model",
            Self::Operation => "operation",
        }
    }
}

/// Boolean attributes derived from the facts and the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag {
    SystemRegistered,
    ModelApproved,
    UpstreamApproved,
    ClassesApproved,
    Stream,
    Unscanned,
    MaxTokensSet,
}

impl Flag {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::SystemRegistered => "system_registered",
            Self::ModelApproved => "model_approved",
            Self::UpstreamApproved => "upstream_approved",
            Self::ClassesApproved => "classes_approved",
            Self::Stream => "stream",
            Self::Unscanned => "unscanned",
            Self::MaxTokensSet => "max_tokens_set",
        }
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    True,
    All(Box<[Cond]>),
    Any(Box<[Cond]>),
    Not(Box<Cond>),
    Str(Attr, Box<[Glob]>),
    /// `ai_system` or `operation` values resolved at load time to bits (system index or
    /// operation index); the globs are kept for descriptions and analysis.
    Ids(Attr, u64, Box<[Glob]>),
    Tier(u8),
    /// Selectors, and their bits in the bundle's selector table (0 = no bits, match directly).
    Class(Box<[ClassPattern]>, u64),
    /// Selector, threshold, and the selector's slot in the bundle's selector table.
    ClassCount(ClassPattern, u32, Option<u8>),
    Flag(Flag, bool),
    MaxTokensOver(u64),
    /// A `[[limits]]` budget's used share (0.0 = unused, 1.0 = spent) is at least this.
    LimitUsed(Box<str>, f64),
}

/// One call's facts plus everything derived from the inventory, computed once per evaluation.
pub(crate) struct Ctx<'a> {
    pub facts: &'a Facts<'a>,
    pub system: Option<&'a System>,
    pub tier: RiskTier,
    pub model_approved: bool,
    pub upstream_approved: bool,
    pub classes_approved: bool,
    /// Bit of the bound system's inventory index (0 when unregistered or index >= 64).
    pub system_bit: u64,
    /// Bit of the operation's index in [`super::OPERATIONS`] (0 when unknown).
    pub op_bit: u64,
    /// Bit i set: selector i of the bundle's selector table matches a present class.
    pub present: u64,
    /// Findings per selector of the bundle's selector table (saturating).
    pub counts: [u32; 64],
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        facts: &'a Facts<'a>,
        system: Option<(usize, &'a System)>,
        selectors: &[ClassPattern],
    ) -> Self {
        let system_bit = system
            .map(|(i, _)| i)
            .filter(|i| *i < 64)
            .map_or(0, |i| 1u64 << i);
        let op_bit = super::OPERATIONS
            .iter()
            .position(|o| *o == facts.operation)
            .map_or(0, |i| 1u64 << i);
        let system = system.map(|(_, s)| s);
        let mut present = 0u64;
        let mut counts = [0u32; 64];
        for ((i, sel), count) in selectors.iter().enumerate().zip(counts.iter_mut()) {
            for c in facts.classes {
                if c.count > 0 && sel.matches(c.class) {
                    present |= 1u64 << i;
                    *count = count.saturating_add(c.count);
                }
            }
        }
        let found = || facts.classes.iter().filter(|c| c.count > 0);
        let (tier, model_approved, upstream_approved, classes_approved) = match system {
            Some(s) => (
                s.risk_tier,
                facts.model.is_none_or(|m| s.allows_model(m)),
                s.allows_upstream(facts.upstream),
                found().all(|c| s.may_receive(c.class)),
            ),
            None => (RiskTier::Unknown, false, false, found().next().is_none()),
        };
        Self {
            facts,
            system,
            tier,
            model_approved,
            upstream_approved,
            classes_approved,
            system_bit,
            op_bit,
            present,
            counts,
        }
    }

    fn flag(&self, f: Flag) -> bool {
        match f {
            Flag::SystemRegistered => self.system.is_some(),
            Flag::ModelApproved => self.model_approved,
            Flag::UpstreamApproved => self.upstream_approved,
            Flag::ClassesApproved => self.classes_approved,
            Flag::Stream => self.facts.stream,
            Flag::Unscanned => self.facts.unscanned_bytes > 0,
            Flag::MaxTokensSet => self.facts.max_tokens.is_some(),
        }
    }

    /// Is any class matching `p` present (count > 0)?
    pub(crate) fn has_class(&self, p: &ClassPattern) -> bool {
        self.facts
            .classes
            .iter()
            .any(|c| c.count > 0 && p.matches(c.class))
    }

    fn class_count(&self, p: &ClassPattern) -> u64 {
        self.facts
            .classes
            .iter()
            .filter(|c| p.matches(c.class))
            .map(|c| u64::from(c.count))
            .fold(0u64, u64::saturating_add)
    }

    fn str_matches(&self, a: Attr, globs: &[Glob]) -> bool {
        let one = |v: &str| globs.iter().any(|g| g.matches(v));
        match a {
            Attr::Principal => one(self.facts.principal),
            Attr::Group => self.facts.groups.iter().any(|g| one(g)),
            Attr::AuthMethod => one(self.facts.auth_method),
            Attr::AiSystem => self.facts.ai_system.is_some_and(one),
            Attr::Upstream => one(self.facts.upstream),
            Attr::Model => self.facts.model.is_some_and(one),
            Attr::Operation => one(self.facts.operation),
        }
    }
}

impl Cond {
    /// Evaluate against one call. The hot variants (bit tests, flags) are handled here in a
    /// small function; string, count and nested variants go through [`Cond::eval_slow`].
    pub(crate) fn eval(&self, cx: &Ctx<'_>) -> bool {
        match self {
            Self::True => true,
            Self::All(xs) => xs.iter().all(|c| c.eval(cx)),
            Self::Ids(Attr::AiSystem, mask, _) => cx.system_bit & mask != 0,
            Self::Ids(Attr::Operation, mask, _) => cx.op_bit & mask != 0,
            Self::Tier(mask) => mask & cx.tier.bit() != 0,
            Self::Class(_, mask) if *mask != 0 => cx.present & mask != 0,
            Self::ClassCount(_, n, Some(i)) => {
                cx.counts.get(usize::from(*i)).copied().unwrap_or(0) >= *n
            }
            Self::Flag(f, want) => cx.flag(*f) == *want,
            _ => self.eval_slow(cx),
        }
    }

    #[inline(never)]
    fn eval_slow(&self, cx: &Ctx<'_>) -> bool {
        match self {
            Self::True => true,
            Self::All(xs) => xs.iter().all(|c| c.eval(cx)),
            Self::Any(xs) => xs.iter().any(|c| c.eval(cx)),
            Self::Not(x) => !x.eval(cx),
            Self::Str(a, globs) | Self::Ids(a, _, globs) => match (a, self) {
                (Attr::AiSystem, Self::Ids(_, mask, _)) => cx.system_bit & mask != 0,
                (Attr::Operation, Self::Ids(_, mask, _)) => cx.op_bit & mask != 0,
                _ => cx.str_matches(*a, globs),
            },
            Self::Tier(mask) => mask & cx.tier.bit() != 0,
            Self::Class(ps, mask) => {
                if *mask != 0 {
                    cx.present & mask != 0
                } else {
                    ps.iter().any(|p| cx.has_class(p))
                }
            }
            Self::ClassCount(p, n, slot) => match slot {
                Some(i) => cx.counts.get(usize::from(*i)).copied().unwrap_or(0) >= *n,
                None => cx.class_count(p) >= u64::from(*n),
            },
            Self::Flag(f, want) => cx.flag(*f) == *want,
            Self::MaxTokensOver(n) => cx.facts.max_tokens.is_some_and(|m| m > *n),
            Self::LimitUsed(id, at_least) => cx
                .facts
                .limits
                .iter()
                .any(|(l, used)| *l == &**id && *used >= *at_least),
        }
    }

    /// True when the condition holds for every possible call (conservative: `false` = unknown).
    pub(crate) fn always(&self) -> bool {
        match self {
            Self::True => true,
            Self::All(xs) => xs.iter().all(Cond::always),
            Self::Any(xs) => xs.iter().any(Cond::always),
            Self::Not(x) => x.never(),
            Self::ClassCount(_, 0, _) => true,
            _ => false,
        }
    }

    /// True when the condition can never hold (conservative: `false` = it might).
    pub(crate) fn never(&self) -> bool {
        match self {
            Self::True => false,
            Self::All(xs) => xs.iter().any(Cond::never) || conflicting(xs),
            Self::Any(xs) => xs.iter().all(Cond::never),
            Self::Not(x) => x.always(),
            Self::Str(_, globs) | Self::Ids(_, _, globs) => globs.is_empty(),
            Self::Tier(mask) => *mask == 0,
            Self::Class(ps, _) => ps.is_empty(),
            Self::ClassCount(..) | Self::Flag(..) => false,
            Self::MaxTokensOver(n) => *n == u64::MAX,
            Self::LimitUsed(_, at_least) => at_least.is_nan(),
        }
    }

    /// The systems this condition can hold for, as inventory bits; `u64::MAX` when it is not
    /// bound to specific systems. Lets evaluation skip rules written for other systems.
    pub(crate) fn system_mask(&self) -> u64 {
        match self {
            Self::Ids(Attr::AiSystem, m, _) => *m,
            Self::All(xs) => xs.iter().fold(u64::MAX, |acc, x| acc & x.system_mask()),
            _ => u64::MAX,
        }
    }

    /// Evaluation order inside an `all`: cheap and selective tests first.
    pub(crate) fn cost(&self) -> u8 {
        match self {
            Self::True | Self::Ids(..) => 0,
            Self::Str(Attr::AiSystem, _) => 1,
            Self::Flag(..) | Self::Tier(_) | Self::MaxTokensOver(_) | Self::LimitUsed(..) => 1,
            Self::Str(Attr::Operation | Attr::Upstream | Attr::AuthMethod, _) => 2,
            Self::Str(..) => 3,
            Self::Class(..) => 4,
            Self::ClassCount(..) => 5,
            Self::All(_) | Self::Any(_) | Self::Not(_) => 6,
        }
    }

    /// One-line description of a leaf or a short summary of a group.
    pub(crate) fn describe(&self) -> String {
        let list = |gs: &[Glob]| gs.iter().map(Glob::as_str).collect::<Vec<_>>().join("|");
        match self {
            Self::True => "always".to_owned(),
            Self::All(xs) => format!("all of {} conditions", xs.len()),
            Self::Any(xs) => format!("any of {} conditions", xs.len()),
            Self::Not(x) => format!("not ({})", x.describe()),
            Self::Str(a, gs) | Self::Ids(a, _, gs) => format!("{} = {}", a.name(), list(gs)),
            Self::Tier(mask) => format!("risk_tier = {}", RiskTier::mask_names(*mask)),
            Self::Class(ps, _) => format!(
                "class present: {}",
                ps.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            Self::ClassCount(p, n, _) => format!("count({p}) >= {n}"),
            Self::Flag(f, v) => format!("{} = {v}", f.name()),
            Self::MaxTokensOver(n) => format!("max_tokens > {n}"),
            Self::LimitUsed(id, at_least) => format!("limit_used({id}) >= {at_least}"),
        }
    }

    /// Evaluate and say why: for a match, what held; for a miss, the first thing that failed.
    pub(crate) fn trace(&self, cx: &Ctx<'_>) -> (bool, String) {
        match self {
            Self::All(xs) => {
                for x in xs.iter() {
                    let (ok, why) = x.trace(cx);
                    if !ok {
                        return (false, why);
                    }
                }
                let parts: Vec<String> = xs.iter().map(|x| x.trace(cx).1).collect();
                (true, parts.join(" and "))
            }
            Self::Any(xs) => {
                for x in xs.iter() {
                    let (ok, why) = x.trace(cx);
                    if ok {
                        return (true, why);
                    }
                }
                (false, format!("none of: {}", join_descr(xs)))
            }
            Self::Not(x) => {
                let (ok, why) = x.trace(cx);
                (!ok, format!("not ({why})"))
            }
            leaf => {
                let ok = leaf.eval(cx);
                let verdict = if ok { "holds" } else { "fails" };
                (ok, format!("{} {verdict}", leaf.describe()))
            }
        }
    }
}

fn join_descr(xs: &[Cond]) -> String {
    xs.iter().map(Cond::describe).collect::<Vec<_>>().join("; ")
}

/// Do two direct leaves of an `all` contradict each other?
fn conflicting(xs: &[Cond]) -> bool {
    let mut tier_mask: u8 = RiskTier::ALL_BITS;
    let mut flags: Vec<(Flag, bool)> = Vec::new();
    let mut exact: Vec<(Attr, Vec<&str>)> = Vec::new();
    let mut names_system = false;
    let mut max_over = false;
    for x in xs {
        match x {
            Cond::Tier(m) => tier_mask &= m,
            Cond::Flag(f, v) => {
                if flags.iter().any(|(g, w)| g == f && w != v) {
                    return true;
                }
                flags.push((*f, *v));
            }
            Cond::MaxTokensOver(_) => max_over = true,
            Cond::Str(a, gs) | Cond::Ids(a, _, gs)
                if gs.iter().all(Glob::is_literal) && *a != Attr::Group =>
            {
                if *a == Attr::AiSystem {
                    names_system = true;
                }
                let vals: Vec<&str> = gs.iter().map(Glob::as_str).collect();
                if let Some((_, prev)) = exact.iter_mut().find(|(b, _)| b == a) {
                    prev.retain(|v| vals.contains(v));
                    if prev.is_empty() {
                        return true;
                    }
                } else {
                    exact.push((*a, vals));
                }
            }
            _ => {}
        }
    }
    let flag = |f: Flag| flags.iter().find(|(g, _)| *g == f).map(|(_, v)| *v);
    let unknown = RiskTier::Unknown.bit();
    tier_mask == 0
        || (flag(Flag::SystemRegistered) == Some(false)
            && (tier_mask & unknown == 0 || names_system))
        || (flag(Flag::SystemRegistered) == Some(true) && tier_mask == unknown)
        || (flag(Flag::MaxTokensSet) == Some(false) && max_over)
}
