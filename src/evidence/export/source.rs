//! What an export is read from: the checkpoint it binds to (the latest cosigned checkpoint
//! in `cosigned/latest.note` when a witness client stored one, else the newest checkpoint
//! frame in the log, else, for a v1 log not yet continued in v2, `checkpoint.note`). Owns no
//! verification: the export verifier checks the signatures.
use std::path::Path;

use crate::evidence::error::EvidenceError;
use crate::evidence::note::{parse_note, Checkpoint};
use crate::evidence::read::latest_checkpoint;

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

fn parse(note: String, cosigned: bool, what: &str) -> Result<Bound, EvidenceError> {
    let cp = parse_note(&note)
        .map_err(|e| e.to_string())
        .and_then(|n| Checkpoint::parse(&n.text))
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
