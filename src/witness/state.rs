//! The witness's durable state: for each log origin, the latest checkpoint it cosigned, as the
//! cosigned signed note itself (`DIR/state/<hex SHA-256 of the origin>.note`: the log's
//! signature and the witness's cosignature). Each update is written atomically (temp file,
//! fsync, rename, directory fsync) before the cosignature leaves the witness, so a crash at
//! any point leaves either the old or the new state, never a torn one, and a restart never
//! forgets a size it cosigned. A state file that does not parse stops the witness: starting
//! over from zero would let a log roll back.
//!
//! Owns files only; serializing check-and-persist per origin is the server's job.
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::request::parse_checkpoint_text;
use super::WitnessError;
use crate::evidence::merkle::Hash;

/// What the witness last cosigned for one origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogState {
    /// Tree size.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// The cosigned checkpoint note (for the monitoring endpoint).
    pub note: String,
}

/// The state directory.
#[derive(Clone, Debug)]
pub struct StateStore {
    dir: PathBuf,
}

/// Lowercase hex SHA-256 of an origin (C2SP tlog-witness's "origin hash").
pub fn origin_hash(origin: &str) -> String {
    Sha256::digest(origin.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl StateStore {
    /// Opens (creating) `data_dir/state`; leftover temp files of an interrupted write are
    /// removed (their rename never happened, so the state they would have replaced holds).
    pub fn open(data_dir: &Path) -> Result<Self, WitnessError> {
        let dir = data_dir.join("state");
        std::fs::create_dir_all(&dir).map_err(|e| WitnessError::io(&dir, e))?;
        let entries = std::fs::read_dir(&dir).map_err(|e| WitnessError::io(&dir, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "tmp") {
                std::fs::remove_file(&path).map_err(|e| WitnessError::io(&path, e))?;
            }
        }
        Ok(Self { dir })
    }

    /// The state file of `origin`.
    pub fn path(&self, origin: &str) -> PathBuf {
        self.dir.join(format!("{}.note", origin_hash(origin)))
    }

    /// The latest cosigned checkpoint of `origin`, `None` if it never cosigned one.
    pub fn load(&self, origin: &str) -> Result<Option<LogState>, WitnessError> {
        let path = self.path(origin);
        let note = match std::fs::read_to_string(&path) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(WitnessError::io(&path, e)),
        };
        let bad = |why: String| WitnessError::State(format!("{}: {why}", path.display()));
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("not a signed note".into()))?;
        let cp = parse_checkpoint_text(&note[..=split]).map_err(|e| bad(e.to_string()))?;
        if cp.origin != origin {
            return Err(bad(format!("holds origin `{}`", cp.origin)));
        }
        Ok(Some(LogState {
            size: cp.size,
            root: cp.root,
            note,
        }))
    }

    /// Durably records `state` as the latest cosigned checkpoint of `origin`.
    pub fn store(&self, origin: &str, state: &LogState) -> Result<(), WitnessError> {
        let path = self.path(origin);
        crate::evidence::keys::write_atomic(&path, state.note.as_bytes(), false)
            .map_err(|e| WitnessError::State(format!("{}: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn state(size: u64, root: Hash) -> LogState {
        let b = base64::engine::general_purpose::STANDARD.encode(root);
        LogState {
            size,
            root,
            note: format!("o.example/log\n{size}\n{b}\n\n\u{2014} o.example/log AAAA\n"),
        }
    }

    #[test]
    fn stores_survive_reopen_and_are_per_origin() {
        let dir = tempfile::tempdir().unwrap();
        let s = StateStore::open(dir.path()).unwrap();
        assert_eq!(s.load("o.example/log").unwrap(), None);
        s.store("o.example/log", &state(5, [1; 32])).unwrap();
        s.store("o.example/log", &state(9, [2; 32])).unwrap();
        let s = StateStore::open(dir.path()).unwrap();
        assert_eq!(s.load("o.example/log").unwrap(), Some(state(9, [2; 32])));
        assert_eq!(s.load("other.example/log").unwrap(), None);
    }

    #[test]
    fn a_crash_between_write_and_rename_leaves_the_old_state() {
        let dir = tempfile::tempdir().unwrap();
        let s = StateStore::open(dir.path()).unwrap();
        s.store("o.example/log", &state(5, [1; 32])).unwrap();
        // What write_atomic leaves behind when the process dies before its rename: the temp
        // file, fully or partly written.
        let tmp = s.path("o.example/log").with_extension("tmp");
        std::fs::write(&tmp, &state(9, [2; 32]).note.as_bytes()[..20]).unwrap();
        let s = StateStore::open(dir.path()).unwrap();
        assert_eq!(s.load("o.example/log").unwrap(), Some(state(5, [1; 32])));
        assert!(!tmp.exists(), "the stale temp file is cleared");
        s.store("o.example/log", &state(9, [2; 32])).unwrap();
        assert_eq!(s.load("o.example/log").unwrap().unwrap().size, 9);
    }

    #[test]
    fn a_damaged_state_file_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let s = StateStore::open(dir.path()).unwrap();
        std::fs::write(s.path("o.example/log"), "garbage").unwrap();
        assert!(matches!(
            s.load("o.example/log"),
            Err(WitnessError::State(_))
        ));
        s.store("o.example/log", &state(5, [1; 32])).unwrap();
        // The file of one origin renamed onto another's is refused as well.
        std::fs::rename(s.path("o.example/log"), s.path("x.example/log")).unwrap();
        assert!(s.load("x.example/log").is_err());
    }
}
