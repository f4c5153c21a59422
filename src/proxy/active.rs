//! The active generation of everything a reload replaces: the policy bundle (its rules and its
//! AI-system inventory) and the classifier built from the bundle's dictionaries.
//!
//! One [`Active`] is swapped in as a whole ([`arc_swap::ArcSwap`] in
//! [`Shared`](super::Shared)), and each call loads it once when it arrives, so a call never sees
//! the classifier of one generation and the rules or inventory of another. Building a generation
//! (loading files, compiling patterns) is [`super::reload`]'s; this file only holds it.

use std::sync::Arc;

use crate::classify::Classifier;
use crate::policy::Bundle;

/// One generation of policy and classifier, used whole by every call that loaded it.
pub struct Active {
    /// The policy bundle: request and output rules, defaults, the AI-system inventory.
    pub bundle: Arc<Bundle>,
    /// The classifier for this bundle's dictionaries.
    pub classifier: Arc<Classifier>,
}

impl std::fmt::Debug for Active {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Active")
            .field("bundle", &self.bundle.id())
            .field("version", &self.bundle.version())
            .finish_non_exhaustive()
    }
}

impl Active {
    pub fn new(bundle: Arc<Bundle>, classifier: Arc<Classifier>) -> Self {
        Self { bundle, classifier }
    }
}
