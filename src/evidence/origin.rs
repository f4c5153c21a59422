//! The log's identity and its retention floor: every log has its own origin (the checkpoint
//! origin line, the record `log_id` and the signing key's note name), stored in `DIR/origin`
//! when the log is created and never changed after; and retention below the legal minimum is
//! refused unless explicitly overridden. Owns no records: the writer logs what it decides.
use std::fs;
use std::path::Path;

use super::entry::{decode_record, parse_entry};
use super::error::EvidenceError;
use super::keys::write_atomic;
use super::segment::{log_dir, scan};

/// File in the data dir holding the origin line.
pub const ORIGIN_FILE: &str = "origin";

/// Shortest retention the EU AI Act allows for logs of high-risk systems (Art. 19 and 26(6):
/// at least six months).
pub const MIN_RETENTION_DAYS: u32 = 183;

/// Refuses `retention_days` below [`MIN_RETENTION_DAYS`] (0 = keep forever is fine) unless
/// `override_minimum` is set.
pub fn check_retention(retention_days: u32, override_minimum: bool) -> Result<(), EvidenceError> {
    if retention_days > 0 && retention_days < MIN_RETENTION_DAYS && !override_minimum {
        return Err(EvidenceError::Config(format!(
            "retention_days = {retention_days} is below the {MIN_RETENTION_DAYS}-day minimum \
             for AI system logs (EU AI Act Art. 19/26: at least six months); set \
             retention_below_minimum = true to override (the override is recorded in the log)"
        )));
    }
    Ok(())
}

/// Checks an origin line: 1–255 printable ASCII bytes without spaces or `+` (the C2SP vkey
/// separator).
pub fn validate(origin: &str) -> Result<(), EvidenceError> {
    let ok = !origin.is_empty()
        && origin.len() <= 255
        && origin.bytes().all(|b| b.is_ascii_graphic() && b != b'+');
    if ok {
        Ok(())
    } else {
        Err(EvidenceError::Config(format!(
            "origin {origin:?} must be 1-255 printable ASCII characters without spaces or '+'"
        )))
    }
}

/// The origin of the log in `dir`: the stored one; for a log written before origins were
/// stored, the `log_id` its records carry; for a new log, `configured` or a generated unique
/// one. Stores it in `DIR/origin`. A configured origin that contradicts the log is an error.
pub fn resolve(dir: &Path, configured: Option<&str>) -> Result<String, EvidenceError> {
    if let Some(c) = configured {
        validate(c)?;
    }
    let path = dir.join(ORIGIN_FILE);
    let mismatch = |have: &str, c: &str| {
        EvidenceError::Config(format!(
            "the log in {} has origin {have:?} but [evidence] origin is {c:?}; a log's origin \
             never changes (use a new data dir for a new log)",
            dir.display()
        ))
    };
    match fs::read_to_string(&path) {
        Ok(text) => {
            let stored = text.trim();
            validate(stored)?;
            if let Some(c) = configured.filter(|c| *c != stored) {
                return Err(mismatch(stored, c));
            }
            return Ok(stored.to_owned());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let origin = match (first_log_id(dir)?, configured) {
        (Some(have), Some(c)) if have != c => return Err(mismatch(&have, c)),
        (Some(have), _) => have,
        (None, Some(c)) => c.to_owned(),
        (None, None) => generate(),
    };
    validate(&origin)?;
    fs::create_dir_all(dir)?;
    write_atomic(&path, format!("{origin}\n").as_bytes(), false)?;
    Ok(origin)
}

/// The origin stored in `dir`, if any (read-only; for offline tools).
pub fn stored(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(ORIGIN_FILE))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| validate(s).is_ok())
}

/// `log_id` of the first readable record, if the log has one.
fn first_log_id(dir: &Path) -> Result<Option<String>, EvidenceError> {
    let mut found = None;
    scan(&log_dir(dir), 0, |_, _, bytes| {
        let rec = parse_entry(bytes)
            .ok()
            .and_then(|e| decode_record(e.body).ok());
        found = rec.map(|r| r.log_id);
        Err("(first record read)".into())
    })?;
    Ok(found.filter(|o| !o.is_empty()))
}

/// `<host>/aimsgate/<16 random hex>`: unique per log, and says where it came from.
fn generate() -> String {
    use rand_core::RngCore as _;
    let host = fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .take(63)
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "aimsgate.local".into());
    let mut id = [0u8; 8];
    rand_core::OsRng.fill_bytes(&mut id);
    format!("{host}/aimsgate/{}", super::common::hex(&id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_unique_stored_and_never_change() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let oa = resolve(a.path(), None).unwrap();
        let ob = resolve(b.path(), None).unwrap();
        assert_ne!(oa, ob);
        assert!(oa.contains("/aimsgate/"), "{oa}");
        assert_eq!(resolve(a.path(), None).unwrap(), oa);
        assert_eq!(resolve(a.path(), Some(&oa)).unwrap(), oa);
        let e = resolve(a.path(), Some("other.example/log")).unwrap_err();
        assert!(e.to_string().contains("never changes"), "{e}");
        let c = tempfile::tempdir().unwrap();
        assert_eq!(
            resolve(c.path(), Some("gw.example/evidence")).unwrap(),
            "gw.example/evidence"
        );
        assert_eq!(stored(c.path()).as_deref(), Some("gw.example/evidence"));
        for bad in ["", "has space", "a+b", "tab\there"] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn retention_below_six_months_needs_the_override() {
        assert!(check_retention(0, false).is_ok());
        assert!(check_retention(183, false).is_ok());
        let e = check_retention(1, false).unwrap_err().to_string();
        assert!(
            e.contains("183") && e.contains("retention_below_minimum"),
            "{e}"
        );
        assert!(check_retention(1, true).is_ok());
    }
}
