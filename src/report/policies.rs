//! The policy text behind the figures: the bundles archived beside each log by content hash
//! (`DIR/policies/<hash>/`, written by `serve` at every activation), re-hashed here so a
//! changed archive is caught, and the bundle the auditor gives with `--policy`. The report
//! reads objectives and the AI system inventory (owner, purpose, impact assessment) from
//! them. Owns which archive is trusted; loading and hashing are `policy`'s, writing is
//! `evidence::archive`'s.
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::policy::{content_hash, load_files, Bundle};

/// What became of one content hash.
#[derive(Debug)]
pub enum Text {
    /// Archived, re-hashes to its name, and loads.
    Loaded(Box<Bundle>),
    /// Archived but does not re-hash to its name, or does not load.
    Bad(String),
}

/// The policy texts a report can use.
#[derive(Debug, Default)]
pub struct Texts {
    /// Per content hash found in at least one data dir's archive.
    pub archived: BTreeMap<String, Text>,
    /// `--policy DIR`, loaded.
    pub given: Option<(String, Arc<Bundle>)>,
}

impl Texts {
    /// The loaded bundle of `hash`, from the archive or `--policy`.
    pub fn bundle(&self, hash: &str) -> Option<&Bundle> {
        match self.archived.get(hash) {
            Some(Text::Loaded(b)) => Some(b),
            _ => self
                .given
                .as_ref()
                .map(|(_, b)| b.as_ref())
                .filter(|b| b.content_hash() == hash),
        }
    }
}

fn is_hash(h: &str) -> bool {
    h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Reads the archives of `hashes` from every data dir (the first dir holding a hash wins;
/// hashes that are not 64 lowercase hex digits are never looked up).
pub fn read(
    dirs: &[PathBuf],
    hashes: &BTreeSet<String>,
    given: Option<(String, Arc<Bundle>)>,
) -> Texts {
    let mut out = Texts {
        given,
        ..Texts::default()
    };
    for h in hashes.iter().filter(|h| is_hash(h)) {
        for d in dirs {
            let files = match crate::evidence::archive::read_policy(d, h) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) => {
                    out.archived.insert(h.clone(), Text::Bad(e.to_string()));
                    break;
                }
            };
            let text = if content_hash(&files) != *h {
                Text::Bad(format!(
                    "the text archived in {} does not hash to {h}: it was changed after it was archived",
                    d.display()
                ))
            } else {
                match load_files(&files) {
                    Ok(b) => Text::Loaded(Box::new(b)),
                    Err(e) => Text::Bad(format!("the archived bundle does not load: {e}")),
                }
            };
            out.archived.insert(h.clone(), text);
            break;
        }
    }
    out
}
