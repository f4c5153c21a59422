//! The AI system inventory (ISO/IEC 42001 A.4, A.5, A.6): registered systems, their risk tiers and
//! approvals, and [`bind_system`], which decides which system a call belongs to.
//!
//! Parsing and validation of `systems.toml` live in [`super::load`]; rule evaluation in
//! [`super::eval`]. This file owns only the inventory's runtime shape and its queries.

use super::glob::Glob;
use super::Bundle;
use crate::taxonomy::ClassPattern;
use std::sync::Arc;

/// Risk tier of an AI system. `Unknown` is the tier of a call bound to no registered system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RiskTier {
    /// Little or no risk (spam filters, autocomplete).
    Minimal,
    /// Transparency obligations (chat assistants).
    Limited,
    /// High risk: impact assessment and human oversight required.
    High,
    /// Must not be used.
    Prohibited,
    /// The call is not bound to a registered system.
    Unknown,
}

impl RiskTier {
    pub(crate) const ALL_BITS: u8 = 0b1_1111;

    /// Parse a tier name as written in policy files.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "minimal" => Self::Minimal,
            "limited" => Self::Limited,
            "high" => Self::High,
            "prohibited" => Self::Prohibited,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// The name as written in policy files and evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minimal => "minimal",
            Self::Limited => "limited",
            Self::High => "high",
            Self::Prohibited => "prohibited",
            Self::Unknown => "unknown",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        match self {
            Self::Minimal => 1,
            Self::Limited => 2,
            Self::High => 4,
            Self::Prohibited => 8,
            Self::Unknown => 16,
        }
    }

    pub(crate) fn mask_names(mask: u8) -> String {
        [
            Self::Minimal,
            Self::Limited,
            Self::High,
            Self::Prohibited,
            Self::Unknown,
        ]
        .iter()
        .filter(|t| mask & t.bit() != 0)
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join("|")
    }
}

impl std::fmt::Display for RiskTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One registered AI system. `None` for an approval list means "not restricted".
#[derive(Debug, Clone)]
pub struct System {
    /// Stable id, used in rules, headers and evidence.
    pub id: Arc<str>,
    /// Human name.
    pub name: String,
    /// Accountable owner (team or person).
    pub owner: String,
    /// Intended use (A.9.4).
    pub purpose: String,
    /// Risk tier.
    pub risk_tier: RiskTier,
    /// Reference to the AI system impact assessment (A.5.3).
    pub impact_assessment: Option<String>,
    pub(crate) upstreams: Option<Vec<String>>,
    pub(crate) models: Option<Vec<Glob>>,
    pub(crate) principals: Option<Vec<Glob>>,
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) data_classes: Option<Vec<ClassPattern>>,
}

impl System {
    /// Is the system approved for this upstream (provider route name)?
    pub fn allows_upstream(&self, upstream: &str) -> bool {
        self.upstreams
            .as_ref()
            .is_none_or(|u| u.iter().any(|x| x == upstream))
    }

    /// Is the system approved for this model?
    pub fn allows_model(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|m| m.iter().any(|g| g.matches(model)))
    }

    /// The approved-model pattern `model` matches, as written in the inventory (`None` when the
    /// entry lists no models or none matches).
    pub fn model_pattern(&self, model: &str) -> Option<&str> {
        self.models
            .as_ref()?
            .iter()
            .find(|g| g.matches(model))
            .map(Glob::as_str)
    }

    /// May this data class be sent to the system?
    pub fn may_receive(&self, class: &str) -> bool {
        self.data_classes
            .as_ref()
            .is_none_or(|d| d.iter().any(|p| p.matches(class)))
    }

    /// Does the inventory entry list this caller, by principal or by one of its groups?
    ///
    /// Closed by default: a system that names neither `principals` nor `groups` lists nobody,
    /// so nobody can select it with the `x-aimsgate-ai-system` header (credential mappings still
    /// bind to it). A bundle opens a system to every authenticated caller with `principals = ["*"]`.
    pub fn lists_caller(&self, principal: &str, groups: &[String]) -> bool {
        let by_principal = self
            .principals
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|g| g.matches(principal)));
        let by_group = self
            .groups
            .as_ref()
            .is_some_and(|gs| gs.iter().any(|g| groups.contains(g)));
        by_principal || by_group
    }
}

/// Where a binding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingSource {
    /// The `x-aimsgate-ai-system` header, which the principal is allowed to set.
    Header,
    /// The system mapped to the principal's credential.
    Credential,
    /// No system named at all.
    None,
}

/// Which AI system a call belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The system id, or the name asked for when it is not registered; `None` when nothing named one.
    pub system: Option<String>,
    /// Is `system` in the inventory?
    pub registered: bool,
    /// Where the binding came from.
    pub source: BindingSource,
    /// A header value that was not honoured because the system's inventory entry does not list
    /// the caller (or it named an unregistered system while the credential maps to one). The
    /// decision record keeps it, so a refused selection leaves a trace.
    pub refused_header: Option<String>,
}

impl Binding {
    /// The id to put into [`super::Facts::ai_system`].
    pub fn system(&self) -> Option<&str> {
        self.system.as_deref()
    }
}

/// Bind a call to an AI system.
///
/// Order: a header naming a registered system whose inventory entry lists the principal (or one
/// of its groups, see [`System::lists_caller`]) wins;
/// otherwise the credential's mapping; otherwise a header naming an unregistered system is taken
/// as the name asked for (unregistered, so policy can flag it) — but only when the credential maps
/// to nothing, so a caller can never escape its own system by naming an unknown one.
pub fn bind_system(
    bundle: &Bundle,
    principal: &str,
    groups: &[String],
    key_system: Option<&str>,
    header: Option<&str>,
) -> Binding {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let mut refused = None;
    if let Some(h) = header {
        match bundle.system(h) {
            Some(sys) if sys.lists_caller(principal, groups) => {
                return Binding {
                    system: Some(h.to_owned()),
                    registered: true,
                    source: BindingSource::Header,
                    refused_header: None,
                };
            }
            Some(_) => refused = Some(h.to_owned()),
            None if key_system.is_none() => {
                return Binding {
                    system: Some(h.to_owned()),
                    registered: false,
                    source: BindingSource::Header,
                    refused_header: None,
                };
            }
            None => refused = Some(h.to_owned()),
        }
    }
    match key_system {
        Some(k) => Binding {
            system: Some(k.to_owned()),
            registered: bundle.system(k).is_some(),
            source: BindingSource::Credential,
            refused_header: refused,
        },
        None => Binding {
            system: None,
            registered: false,
            source: BindingSource::None,
            refused_header: refused,
        },
    }
}
