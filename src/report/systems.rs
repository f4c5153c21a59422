//! Per-AI-system accumulation: each system seen in the period (interned to a small index, so
//! a call in flight remembers its system in a few bytes), its decision mix, data classes,
//! models and suppliers, and the per-period measures the objectives need, for the period and
//! for the previous period of the same length. Bounded: at most [`MAX_SYSTEMS`] systems and
//! [`MAX_LABELS`] labels per table, the rest counted as `(other)`. Knows nothing of records'
//! encoding or of the policy; the collector feeds it plain values.
use std::collections::{BTreeMap, HashMap};

use super::figures::{Count, EffectMix};
use super::samples::Samples;

/// Most systems kept apart (claimed ids come from requests, so they are capped).
pub const MAX_SYSTEMS: usize = 1_000;
/// Most labels per system table.
const MAX_LABELS: usize = 50;
/// Label of the merged remainder.
pub const OTHER: &str = "(other)";

/// What an objective measures, for one system and one period.
#[derive(Debug, Default)]
pub struct Measure {
    /// Decisions.
    pub decisions: u64,
    /// Decisions refused by policy.
    pub refused: u64,
    /// Calls to an unapproved model or upstream.
    pub unapproved: u64,
    /// Calls from an unregistered system.
    pub unregistered: u64,
    /// Findings left in place in forwarded requests, per class.
    pub forwarded_findings: BTreeMap<String, u64>,
    /// Total latency of forwarded calls.
    pub latency: Samples,
    /// Outcomes read.
    pub forwarded: u64,
    /// Upstream failures and 5xx.
    pub failed: u64,
}

/// One system's figures.
#[derive(Debug, Default)]
pub struct SystemAcc {
    /// Claimed id.
    pub id: String,
    /// Registered (as the latest decision said).
    pub registered: bool,
    /// Risk tier from the latest decision that carried one.
    pub risk_tier: String,
    /// Effect mix in the period.
    pub mix: EffectMix,
    /// Decisions in the period.
    pub decisions: u64,
    classes: BTreeMap<String, u64>,
    models: BTreeMap<String, u64>,
    suppliers: BTreeMap<String, u64>,
    /// Unapproved use in the period.
    pub unapproved: u64,
    /// Measures: `[period, previous period]`.
    pub measure: [Measure; 2],
}

fn bump_capped(m: &mut BTreeMap<String, u64>, k: &str, n: u64) {
    if let Some(c) = m.get_mut(k) {
        *c += n;
    } else if m.len() < MAX_LABELS {
        m.insert(k.to_owned(), n);
    } else {
        *m.entry(OTHER.to_owned()).or_default() += n;
    }
}

/// Sorted largest first, then by label.
pub fn counts(m: &BTreeMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .iter()
        .map(|(label, count)| Count {
            label: label.clone(),
            count: *count,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    v
}

impl SystemAcc {
    /// Counts a finding of `class` in one of its requests.
    pub fn class(&mut self, class: &str, n: u64) {
        bump_capped(&mut self.classes, class, n);
    }
    /// Counts a requested model.
    pub fn model(&mut self, model: &str) {
        bump_capped(&mut self.models, model, 1);
    }
    /// Counts a supplier (`provider / upstream`).
    pub fn supplier(&mut self, s: &str) {
        bump_capped(&mut self.suppliers, s, 1);
    }
    /// Its class, model and supplier tables.
    pub fn tables(&self) -> [Vec<Count>; 3] {
        [
            counts(&self.classes),
            counts(&self.models),
            counts(&self.suppliers),
        ]
    }
}

/// Every system, by index.
#[derive(Debug, Default)]
pub struct Systems {
    list: Vec<SystemAcc>,
    index: HashMap<String, u32>,
}

impl Systems {
    /// The index of `id`, interning it (past [`MAX_SYSTEMS`], the `(other)` entry's).
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        let id = if self.list.len() >= MAX_SYSTEMS {
            if let Some(i) = self.index.get(OTHER) {
                return *i;
            }
            OTHER
        } else {
            id
        };
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(SystemAcc {
            id: id.to_owned(),
            ..SystemAcc::default()
        });
        self.index.insert(id.to_owned(), i);
        i
    }

    /// The system at `i` (interned before).
    pub fn get_mut(&mut self, i: u32) -> Option<&mut SystemAcc> {
        self.list.get_mut(i as usize)
    }

    /// The system at `i`.
    pub fn get(&self, i: u32) -> Option<&SystemAcc> {
        self.list.get(i as usize)
    }

    /// All systems, in order of first sight.
    pub fn all(&self) -> &[SystemAcc] {
        &self.list
    }

    /// The system named `id`, if seen.
    pub fn find(&self, id: &str) -> Option<&SystemAcc> {
        self.index.get(id).and_then(|i| self.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_and_their_tables_are_capped() {
        let mut s = Systems::default();
        let a = s.intern("a");
        assert_eq!(s.intern("a"), a);
        for i in 0..(MAX_SYSTEMS + 10) {
            s.intern(&format!("s{i}"));
        }
        assert_eq!(s.all().len(), MAX_SYSTEMS + 1, "the cap plus (other)");
        assert_eq!(s.intern("yet-another"), s.intern("and-one-more"));
        let acc = s.get_mut(a).unwrap();
        for i in 0..(MAX_LABELS + 5) {
            acc.model(&format!("m{i}"));
        }
        acc.model("m0");
        let [_, models, _] = acc.tables();
        assert_eq!(models.len(), MAX_LABELS + 1);
        assert_eq!(models[0].count, 5, "(other) holds the 5 past the cap");
        assert_eq!(models[0].label, OTHER);
        assert_eq!(
            models[1],
            Count {
                label: "m0".into(),
                count: 2
            }
        );
    }
}
