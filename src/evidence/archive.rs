//! The policy archive beside the log: `DIR/policies/<content hash>/<file>` holds the source text
//! of every policy bundle the proxy activated, so an auditor can read the policy that decided a
//! call (the decision record names its bundle's content hash).
//!
//! Owns the archive's layout and its atomic, idempotent writing (a temp dir, every file and the
//! dir fsync'd, then one rename). Does not know what a policy is: it never parses the files and
//! never checks that they hash to the name they are stored under — that is the reader's job
//! (`policy::content_hash`), so evidence stays independent of the policy module.
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::error::EvidenceError;
use super::segment::sync_dir;

/// Directory of the archive inside the data dir.
pub const POLICIES_DIR: &str = "policies";
/// Prefix of an unfinished archive dir (left over when a write was interrupted).
const TMP_PREFIX: &str = ".tmp-";

fn policies_dir(dir: &Path) -> PathBuf {
    dir.join(POLICIES_DIR)
}

/// A content hash is 64 lowercase hex digits (SHA-256).
fn check_hash(hash: &str) -> Result<(), EvidenceError> {
    let ok = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(EvidenceError::Config(format!(
            "policy content hash must be 64 lowercase hex digits, got {:?}",
            hash.chars().take(80).collect::<String>()
        )))
    }
}

/// A file name is a plain name: not empty, no path separators, not `..`, not hidden.
fn check_name(name: &str) -> Result<(), EvidenceError> {
    let bad = name.is_empty()
        || name.contains('/')
        || name.contains('\\')
        || name.contains('\0')
        || name.contains("..")
        || name.starts_with('.');
    if bad {
        return Err(EvidenceError::Config(format!(
            "policy file name {name:?} is not a plain file name"
        )));
    }
    Ok(())
}

/// Archives a bundle's files under `DIR/policies/<content_hash>/` and returns that dir. A hash
/// already archived is left as it is (the same hash means the same files). The files are made
/// read-only.
pub fn write_policy(
    dir: &Path,
    content_hash: &str,
    files: &[(String, String)],
) -> Result<PathBuf, EvidenceError> {
    check_hash(content_hash)?;
    for (name, _) in files {
        check_name(name)?;
    }
    let root = policies_dir(dir);
    let target = root.join(content_hash);
    if target.is_dir() {
        return Ok(target);
    }
    fs::create_dir_all(&root)?;
    let tmp = root.join(format!("{TMP_PREFIX}{content_hash}-{}", std::process::id()));
    if tmp.exists() {
        // Left over by an earlier run of a process that had this pid.
        remove_tmp(&tmp)?;
    }
    fs::create_dir(&tmp)?;
    let written = write_files(&tmp, files).and_then(|()| sync_dir(&tmp));
    if let Err(e) = written {
        let _ = remove_tmp(&tmp);
        return Err(e.into());
    }
    match fs::rename(&tmp, &target) {
        Ok(()) => {}
        // Another writer finished the same hash first: theirs is as good as ours.
        Err(_) if target.is_dir() => {
            let _ = remove_tmp(&tmp);
            return Ok(target);
        }
        Err(e) => {
            let _ = remove_tmp(&tmp);
            return Err(e.into());
        }
    }
    sync_dir(&root)?;
    Ok(target)
}

fn write_files(tmp: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    for (name, text) in files {
        let path = tmp.join(name);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        set_read_only(&path)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_read_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(0o444))
}

#[cfg(not(unix))]
fn set_read_only(path: &Path) -> std::io::Result<()> {
    let mut p = fs::metadata(path)?.permissions();
    p.set_readonly(true);
    fs::set_permissions(path, p)
}

/// Removes an unfinished archive dir (its read-only files included).
fn remove_tmp(tmp: &Path) -> std::io::Result<()> {
    fs::remove_dir_all(tmp)
}

/// The archived files of `content_hash`, sorted by name; `None` when it is not archived.
/// Does not check that they hash to `content_hash` (see the module doc).
pub fn read_policy(
    dir: &Path,
    content_hash: &str,
) -> Result<Option<Vec<(String, String)>>, EvidenceError> {
    check_hash(content_hash)?;
    let path = policies_dir(dir).join(content_hash);
    let entries = match fs::read_dir(&path) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut files = Vec::new();
    for e in entries {
        let e = e?;
        if !e.file_type()?.is_file() {
            continue;
        }
        let name = e.file_name().into_string().map_err(|n| {
            EvidenceError::Corrupt(format!("{}: file name {n:?} is not UTF-8", path.display()))
        })?;
        let text = fs::read_to_string(e.path())
            .map_err(|err| EvidenceError::Corrupt(format!("{}: {err}", e.path().display())))?;
        files.push((name, text));
    }
    files.sort();
    Ok(Some(files))
}

/// The content hashes archived in `DIR/policies` (complete archives only), sorted.
pub fn archived_hashes(dir: &Path) -> Result<Vec<String>, EvidenceError> {
    let entries = match fs::read_dir(policies_dir(dir)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e?;
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        if e.file_type()?.is_dir() && check_hash(&name).is_ok() {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const H1: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const H2: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    fn files() -> Vec<(String, String)> {
        vec![
            ("rules.toml".into(), "[[rule]]\nid = \"r\"\n".into()),
            ("bundle.toml".into(), "id = \"b\"\nversion = \"1\"\n".into()),
        ]
    }

    #[test]
    fn round_trip_sorted_by_name() {
        let d = tempfile::tempdir().unwrap();
        let at = write_policy(d.path(), H1, &files()).unwrap();
        assert_eq!(at, d.path().join("policies").join(H1));
        let mut want = files();
        want.sort();
        assert_eq!(read_policy(d.path(), H1).unwrap(), Some(want));
        assert_eq!(read_policy(d.path(), H2).unwrap(), None);
        assert_eq!(archived_hashes(d.path()).unwrap(), vec![H1.to_owned()]);
    }

    #[cfg(unix)]
    #[test]
    fn archived_files_are_read_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = tempfile::tempdir().unwrap();
        let at = write_policy(d.path(), H1, &files()).unwrap();
        let mode = fs::metadata(at.join("rules.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o444);
    }

    #[test]
    fn idempotent_an_archived_hash_is_not_rewritten() {
        let d = tempfile::tempdir().unwrap();
        write_policy(d.path(), H1, &files()).unwrap();
        let other = vec![("other.toml".to_owned(), "x".to_owned())];
        write_policy(d.path(), H1, &other).unwrap();
        let got = read_policy(d.path(), H1).unwrap().unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(archived_hashes(d.path()).unwrap().len(), 1);
    }

    #[test]
    fn bad_hashes_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for h in [
            "",
            "abc",
            &H1.to_uppercase(),
            &format!("{}0", H1),
            &H1.replace('0', "g"),
            "../../../../../../../../../../../../../../../../../../../../../etc",
        ] {
            assert!(
                matches!(
                    write_policy(d.path(), h, &files()),
                    Err(EvidenceError::Config(_))
                ),
                "{h}"
            );
            assert!(read_policy(d.path(), h).is_err(), "{h}");
        }
        assert!(!d.path().join("policies").exists());
    }

    #[test]
    fn bad_file_names_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for n in ["", "a/b", "a\\b", "..", "../x", ".hidden", "x\0y"] {
            let f = vec![(n.to_owned(), "t".to_owned())];
            assert!(
                matches!(
                    write_policy(d.path(), H1, &f),
                    Err(EvidenceError::Config(_))
                ),
                "{n:?}"
            );
        }
        assert!(archived_hashes(d.path()).unwrap().is_empty());
    }

    #[test]
    fn a_leftover_tmp_dir_is_ignored_and_does_not_break_a_write() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("policies");
        // An interrupted write of H1 by this very pid, and one by another process.
        let mine = root.join(format!("{TMP_PREFIX}{H1}-{}", std::process::id()));
        let theirs = root.join(format!("{TMP_PREFIX}{H1}-1"));
        for t in [&mine, &theirs] {
            fs::create_dir_all(t).unwrap();
            fs::write(t.join("rules.toml"), "half").unwrap();
        }
        assert!(archived_hashes(d.path()).unwrap().is_empty());
        assert_eq!(read_policy(d.path(), H1).unwrap(), None);
        write_policy(d.path(), H1, &files()).unwrap();
        assert_eq!(archived_hashes(d.path()).unwrap(), vec![H1.to_owned()]);
        assert_eq!(read_policy(d.path(), H1).unwrap().unwrap().len(), 2);
        assert!(!mine.exists());
    }
}
