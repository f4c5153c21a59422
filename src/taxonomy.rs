//! The data-class taxonomy: the dotted names every other module speaks.
//!
//! Owns the list of built-in class names and the pattern syntax policies use to select them
//! (`pii.email`, `secret.*`, `custom.*`, `*`), the per-class count shape ([`ClassCount`],
//! [`ClassCounts`]) and the response-side action vocabulary ([`OutputAction`]) that the cores
//! share. It is a vocabulary only: detection lives in [`crate::classify`], decisions in
//! [`crate::policy`].

mod action;
mod counts;

pub use action::OutputAction;
pub use counts::{ClassCount, ClassCounts};

/// Every built-in class, in the order of DESIGN.md. `custom.<name>` classes are added by
/// organisation dictionaries and are valid whenever the name part is well-formed.
pub const BUILTIN_CLASSES: &[&str] = &[
    "pii.email",
    "pii.phone",
    "pii.us_ssn",
    "pii.person_name",
    "pii.address",
    "pii.date_of_birth",
    "pii.passport",
    "pii.ip_address",
    "financial.credit_card",
    "financial.iban",
    "health.medical_record_number",
    "health.us_npi",
    "secret.aws_access_key",
    "secret.aws_secret_key",
    "secret.github_token",
    "secret.gitlab_token",
    "secret.slack_token",
    "secret.stripe_key",
    "secret.openai_key",
    "secret.anthropic_key",
    "secret.google_api_key",
    "secret.jwt",
    "secret.private_key",
    "secret.db_connection_string",
    "secret.generic",
    "confidential.marking",
];

/// Top-level families a pattern may select with `family.*`.
pub const FAMILIES: &[&str] = &[
    "pii",
    "financial",
    "health",
    "secret",
    "custom",
    "confidential",
];

/// Is `name` a valid class name: a built-in class, or `custom.<name>` with a
/// lowercase identifier (`[a-z0-9_]+`) after the dot.
pub fn is_known_class(name: &str) -> bool {
    if BUILTIN_CLASSES.contains(&name) {
        return true;
    }
    match name.strip_prefix("custom.") {
        Some(rest) => is_identifier(rest),
        None => false,
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A validated class selector: an exact class, a family prefix (`secret.*`) or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClassPattern {
    /// Matches every class.
    Any,
    /// Matches every class whose name starts with `family.`.
    Family(String),
    /// Matches one class exactly.
    Exact(String),
}

/// Why a class pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern names a class that is not in the taxonomy.
    #[error("unknown data class `{0}` (known: {known})", known = BUILTIN_CLASSES.join(", "))]
    UnknownClass(String),
    /// The pattern names a family that does not exist.
    #[error("unknown data-class family `{0}.*` (known: {known})", known = FAMILIES.join(", "))]
    UnknownFamily(String),
}

impl ClassPattern {
    /// Parse and validate a selector.
    pub fn parse(s: &str) -> Result<Self, PatternError> {
        if s == "*" {
            return Ok(Self::Any);
        }
        if let Some(family) = s.strip_suffix(".*") {
            return if FAMILIES.contains(&family) {
                Ok(Self::Family(family.to_owned()))
            } else {
                Err(PatternError::UnknownFamily(family.to_owned()))
            };
        }
        if is_known_class(s) {
            Ok(Self::Exact(s.to_owned()))
        } else {
            Err(PatternError::UnknownClass(s.to_owned()))
        }
    }

    /// Does this selector match `class`?
    pub fn matches(&self, class: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(c) => c == class,
            Self::Family(f) => class
                .strip_prefix(f.as_str())
                .is_some_and(|rest| rest.starts_with('.')),
        }
    }
}

impl std::fmt::Display for ClassPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Family(fam) => write!(f, "{fam}.*"),
            Self::Exact(c) => f.write_str(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_custom_classes_are_known() {
        assert!(is_known_class("pii.email"));
        assert!(is_known_class("custom.project_names"));
        assert!(!is_known_class("custom."));
        assert!(!is_known_class("custom.Bad-Name"));
        assert!(!is_known_class("pii.shoe_size"));
    }

    #[test]
    fn family_pattern_matches_only_its_family() {
        let p = ClassPattern::parse("secret.*").unwrap();
        assert!(p.matches("secret.jwt"));
        assert!(!p.matches("secretive.jwt"));
        assert!(!p.matches("pii.email"));
        assert!(ClassPattern::parse("*").unwrap().matches("pii.email"));
        assert_eq!(
            ClassPattern::parse("nope.*"),
            Err(PatternError::UnknownFamily("nope".into()))
        );
        assert!(matches!(
            ClassPattern::parse("pii.mail"),
            Err(PatternError::UnknownClass(_))
        ));
    }
}
