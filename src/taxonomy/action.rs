//! The response-side action vocabulary shared by policy (output rules decide it) and the
//! classifier (the stream scanner applies it): [`OutputAction`].
//!
//! Owns the names (`observe`, `redact`, `block`), their parsing and their strength order. It does
//! not decide which action applies to a class (that is [`crate::policy::OutputPlan`]) nor apply it
//! to text (that is [`crate::classify::StreamScanner`]).

/// What happens to findings of a class in a provider's answer. Ordered by strength (the derived
/// order): `Observe < Redact < Block`, so the strongest of several is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputAction {
    /// Count findings in the answer (evidence only); release text unchanged.
    Observe,
    /// Replace findings with placeholders before the text is released.
    Redact,
    /// Stop the answer before its first finding.
    Block,
}

impl OutputAction {
    /// Every action, weakest first.
    pub const ALL: [Self; 3] = [Self::Observe, Self::Redact, Self::Block];

    /// `observe`, `redact` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Observe => "observe",
            Self::Redact => "redact",
            Self::Block => "block",
        }
    }

    /// The action named `s` (the inverse of [`as_str`](Self::as_str)).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for OutputAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OutputAction;

    #[test]
    fn names_round_trip_and_order_is_strength() {
        for a in OutputAction::ALL {
            assert_eq!(OutputAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(OutputAction::parse("Block"), None);
        assert!(OutputAction::Observe < OutputAction::Redact);
        assert!(OutputAction::Redact < OutputAction::Block);
    }
}
