//! The active generation of everything a reload replaces: the policy bundle (its rules and its
//! AI-system inventory) and the classifier built from the bundle's dictionaries.
//!
//! One [`Active`] is swapped in as a whole ([`arc_swap::ArcSwap`] in
//! [`Shared`](super::Shared)), and each call loads it once when it arrives, so a call never sees
//! the classifier of one generation and the rules or inventory of another. Building a generation
//! (loading the bundle, compiling the classifier) is here too; when to build one is
//! [`super::reload`]'s.

use std::sync::Arc;

use crate::classify::{Classifier, ClassifierOptions, Dictionary};
use crate::config::Config;
use crate::policy::{self, Bundle, LoadContext, LoadError};

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

/// Load the bundle the configuration names.
pub fn load_policy(config: &Config) -> Result<Bundle, LoadError> {
    match &config.policy.path {
        None => policy::baseline(),
        Some(dir) => {
            let names: Vec<&str> = config.upstreams.iter().map(|u| u.name.as_str()).collect();
            policy::load_dir_with(dir, &LoadContext { upstreams: &names })
        }
    }
}

/// The classifier for a bundle's dictionaries.
pub fn classifier_for(
    config: &Config,
    bundle: &Bundle,
) -> Result<Classifier, crate::classify::ClassifyError> {
    Classifier::new(&ClassifierOptions {
        dictionaries: bundle
            .dictionaries()
            .iter()
            .map(|(name, terms)| Dictionary {
                name: name.clone(),
                terms: terms.clone(),
            })
            .collect(),
        max_scan_bytes: config.classify.max_scan_bytes,
        test_values: config.classify.test_values,
    })
}
