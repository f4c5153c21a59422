//! What an export is read from: the checkpoint it binds to (the latest cosigned checkpoint
//! in `cosigned/latest.note` when a witness client stored one, else the newest checkpoint
//! frame in the log, else, for a v1 log not yet continued in v2, `checkpoint.note`). Owns no
//! verification: the export verifier checks the signatures.
use std::path::Path;

use crate::evidence::note::Checkpoint;
use crate::evidence::read::latest_checkpoint;
use crate::evidence::EvidenceError;

/// Where the cosigned checkpoint is stored.
pub(crate) const COSIGNED_FILE: &str = "cosigned/latest.note";

/// The checkpoint an export binds to.
pub(crate) struct Bound {
    /// The signed note as stored.
    pub note: String,
    /// Its parsed checkpoint.
    pub cp: Checkpoint,
    /// True when it came from `cosigned/latest.note`.
    pub cosigned: bool,
}

/// The text of a signed note: everything up to and including the newline before its last
/// blank line.
pub(crate) fn note_text(note: &str) -> Option<&str> {
    note.rfind("\n\n").map(|i| &note[..=i])
}

fn parse(note: String, cosigned: bool, what: &str) -> Result<Bound, EvidenceError> {
    let cp = note_text(&note)
        .ok_or_else(|| "is not a signed note".to_owned())
        .and_then(Checkpoint::parse)
        .map_err(|e| EvidenceError::Corrupt(format!("{what}: {e}")))?;
    Ok(Bound { note, cp, cosigned })
}

/// The checkpoint an export of `dir` binds to.
pub(crate) fn bound_checkpoint(dir: &Path) -> Result<Bound, EvidenceError> {
    match std::fs::read_to_string(dir.join(COSIGNED_FILE)) {
        Ok(n) => return parse(n, true, COSIGNED_FILE),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    if let Some(n) = latest_checkpoint(dir)? {
        return parse(n, false, "latest checkpoint frame");
    }
    match std::fs::read_to_string(dir.join("checkpoint.note")) {
        Ok(n) => parse(n, false, "checkpoint.note"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(EvidenceError::NotFound(
            "no signed checkpoint in the data dir yet".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
