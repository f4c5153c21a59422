//! The prune anchor file (`log/anchor.note`): where it lives and how it is read. Retention
//! (`prune`) writes it; opening, reading, indexing and verifying a log read it. A leaf: it
//! knows the file and the note format, not who uses them.

use std::fs;
use std::path::Path;

use super::error::EvidenceError;
use super::note::Anchor;
use super::segment::log_dir;

/// Prune anchor file inside `log/`.
pub(crate) const ANCHOR_FILE: &str = "anchor.note";

/// Reads the prune anchor's text if present (signature is checked by `verify`, not here).
pub(crate) fn read_anchor(dir: &Path) -> Result<Option<(Anchor, String)>, EvidenceError> {
    match fs::read_to_string(log_dir(dir).join(ANCHOR_FILE)) {
        Ok(note) => {
            let text = note.split("\n\n").next().unwrap_or_default();
            let a = Anchor::parse(&format!("{text}\n"))
                .map_err(|e| EvidenceError::Corrupt(format!("prune anchor: {e}")))?;
            Ok(Some((a, note)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}
