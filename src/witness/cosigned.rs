//! Where the proxy keeps what its witnesses cosigned: `<data dir>/cosigned/latest.note` (the
//! latest checkpoint with the log's signature and every cosignature obtained for that same
//! checkpoint: a C2SP signed note that `verify --trust` checks against a witness quorum) and
//! `<data dir>/cosigned/<size, 20 digits>.note` (the newest [`KEEP`] of them). Every file is
//! written atomically (temp file, fsync, rename, directory fsync).
use std::path::{Path, PathBuf};

use super::WitnessError;

/// Per-size files kept.
pub const KEEP: usize = 1000;
/// The latest cosigned checkpoint, relative to the data dir.
pub const LATEST: &str = "cosigned/latest.note";

/// The `cosigned/` directory of a data dir.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("cosigned")
}

/// Writes `note` (a cosigned checkpoint of tree size `size`) as the latest and as
/// `<size>.note`, then prunes per-size files beyond the newest [`KEEP`].
pub fn store(data_dir: &Path, size: u64, note: &str) -> Result<(), WitnessError> {
    store_keeping(data_dir, size, note, KEEP)
}

fn store_keeping(data_dir: &Path, size: u64, note: &str, keep: usize) -> Result<(), WitnessError> {
    let d = dir(data_dir);
    std::fs::create_dir_all(&d).map_err(|e| WitnessError::io(&d, e))?;
    let write = |path: PathBuf| {
        crate::evidence::keys::write_atomic(&path, note.as_bytes(), false)
            .map_err(|e| WitnessError::State(format!("{}: {e}", path.display())))
    };
    write(d.join(format!("{size:020}.note")))?;
    write(data_dir.join(LATEST))?;
    prune(&d, keep)
}

/// The latest cosigned checkpoint note, if any.
pub fn latest(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join(LATEST)).ok()
}

fn prune(d: &Path, keep: usize) -> Result<(), WitnessError> {
    let mut sized: Vec<PathBuf> = std::fs::read_dir(d)
        .map_err(|e| WitnessError::io(d, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "note")
                && p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    if sized.len() <= keep {
        return Ok(());
    }
    sized.sort();
    for old in &sized[..sized.len() - keep] {
        std::fs::remove_file(old).map_err(|e| WitnessError::io(old, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_and_the_newest_per_size_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(latest(dir.path()), None);
        for size in [3, 9, 10, 11, 100, 101] {
            store_keeping(dir.path(), size, &format!("note {size}\n"), 4).unwrap();
        }
        assert_eq!(latest(dir.path()).unwrap(), "note 101\n");
        let d = super::dir(dir.path());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 4 + 1);
        assert!(!d.join(format!("{:020}.note", 9)).exists());
        assert_eq!(
            std::fs::read_to_string(d.join("00000000000000000010.note")).unwrap(),
            "note 10\n"
        );
    }
}
