//! The configuration checked against the policy bundle it runs with: every config entry that
//! names an AI system must name one the bundle's inventory registers. A typo there would
//! otherwise bind callers to an unregistered system and silently skip that system's rules.
//!
//! A pure function of a validated [`Config`] and a loaded [`Bundle`]: `serve --check`, start-up
//! (`proxy::Parts::build`) and policy reload call it. It does not load either side, and it does
//! not check values that only arrive with a request (a JWT's AI system claim, the
//! `x-aimsgate-ai-system` header): [`crate::policy::bind_system`] handles those per call.

use super::{Config, ConfigError};
use crate::policy::Bundle;

/// Every AI system id the configuration names, with the dotted key naming it (for enabled
/// identity modes only: a disabled mode's entries are never used).
pub fn ai_system_refs(config: &Config) -> Vec<(String, &str)> {
    let core = &config.identity.core;
    let keys = core.virtual_keys.iter().enumerate().filter_map(|(i, v)| {
        let id = v.ai_system.as_deref()?;
        Some((format!("identity.virtual_keys[{i}].ai_system"), id))
    });
    let mtls = core.mtls.iter().flat_map(|m| &m.mappings);
    let mtls = mtls.enumerate().filter_map(|(i, m)| {
        let id = m.ai_system.as_deref()?;
        Some((format!("identity.mtls.groups[{i}].ai_system"), id))
    });
    let guard = config.guardrail.iter().flat_map(|g| &g.systems);
    let guard = guard
        .enumerate()
        .map(|(i, (_, id))| (format!("guardrail.systems[{i}].ai_system"), id.as_str()));
    keys.chain(mtls).chain(guard).collect()
}

/// Refuse a configuration naming an AI system `bundle`'s inventory does not register. The error
/// names the config key, the unknown id, the closest registered id when one is close, and the
/// registered ids.
pub fn cross_check(config: &Config, bundle: &Bundle) -> Result<(), ConfigError> {
    for (key, id) in ai_system_refs(config) {
        if bundle.system(id).is_none() {
            return Err(ConfigError::invalid(
                &config.source,
                key,
                unknown_system(id, bundle),
            ));
        }
    }
    Ok(())
}

fn unknown_system(id: &str, bundle: &Bundle) -> String {
    let known: Vec<&str> = bundle.systems().iter().map(|s| &*s.id).collect();
    let mut msg = format!(
        "AI system `{id}` is not in the inventory of policy bundle `{}`",
        bundle.id()
    );
    if known.is_empty() {
        msg.push_str(" (its inventory registers no AI systems)");
        return msg;
    }
    if let Some(close) = closest(id, &known) {
        msg.push_str(&format!("; did you mean `{close}`?"));
    }
    msg.push_str(&format!(" (registered: {})", known.join(", ")));
    msg
}

/// The registered id within a small edit distance of `id`, if any.
fn closest<'a>(id: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (id.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(id, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev
                .get(j)
                .map_or(usize::MAX, |p| p + usize::from(ca != *cb));
            let delete = prev.get(j + 1).map_or(usize::MAX, |p| p + 1);
            let insert = row.get(j).map_or(usize::MAX, |r| r + 1);
            row.push(substitute.min(delete).min(insert));
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests;
