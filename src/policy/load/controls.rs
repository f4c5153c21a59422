//! The ISO/IEC 42001:2023 Annex A control ids a rule may cite (38 controls, A.2 to A.10).
//!
//! Only the ids are listed; their titles are in `policies/README.md`. Not a compliance claim:
//! citing a control records which control a rule helps implement.

#[rustfmt::skip]
const CONTROLS: &[&str] = &[
    // A.2 Policies related to AI
    "A.2.2", "A.2.3", "A.2.4",
    // A.3 Internal organization
    "A.3.2", "A.3.3",
    // A.4 Resources for AI systems
    "A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6",
    // A.5 Assessing impacts of AI systems
    "A.5.2", "A.5.3", "A.5.4", "A.5.5",
    // A.6 AI system life cycle
    "A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7",
    "A.6.2.8",
    // A.7 Data for AI systems
    "A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6",
    // A.8 Information for interested parties of AI systems
    "A.8.2", "A.8.3", "A.8.4", "A.8.5",
    // A.9 Use of AI systems
    "A.9.2", "A.9.3", "A.9.4",
    // A.10 Third-party and customer relationships
    "A.10.2", "A.10.3", "A.10.4",
];

/// Is `id` an Annex A control id?
pub(crate) fn is_annex_a(id: &str) -> bool {
    CONTROLS.contains(&id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn annex_a_has_38_controls() {
        assert_eq!(super::CONTROLS.len(), 38);
        assert!(super::is_annex_a("A.6.2.8"));
        assert!(!super::is_annex_a("A.6.2.9"));
        assert!(!super::is_annex_a("A.11.1"));
    }
}
