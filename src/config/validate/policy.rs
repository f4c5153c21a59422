//! `[policy]`: which bundle directory (the `--policy` flag wins; none: the embedded baseline)
//! and whether its files are watched.
//!
//! Does not load the bundle: the proxy does, and [`crate::config::cross_check`] then checks the
//! config's AI system references against it.

use super::*;

pub(super) fn policy(cx: &Ctx<'_>, p: &RawPolicy, ov: &Overrides) -> PolicySettings {
    PolicySettings {
        path: ov
            .policy
            .clone()
            .or_else(|| p.path.as_deref().map(|p| cx.path(p))),
        watch: p.watch.unwrap_or(true),
    }
}
