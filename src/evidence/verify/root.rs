//! The trust root a verification starts from, brought by the auditor: `--public-key FILE`
//! (one or more C2SP vkeys `<origin>+<key hash hex>+<base64(0x01 || key)>`, one a line, or
//! the old `aimsgate-evidence-public-key v1` text for v1 logs), `--trust FILE` (a C2SP
//! tlog-policy: log keys, witnesses, quorum), or nothing, in which case the keys found in the
//! data dir are trusted and every summary says so. Also reads the public keys beside a log,
//! which are only ever *candidates* (keys to check signatures with), never trusted by
//! themselves unless there is no trust root. Owns no chain rules (`keychain`).
use std::path::Path;

use crate::evidence::keys::{note_key_hash, PublicKey};
use crate::evidence::note::vkey::{KeyKind, Verifier};
use crate::evidence::trust::TrustPolicy;
use crate::evidence::{common::hex, error::EvidenceError};

/// Where trust came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustSource {
    /// `--public-key FILE`.
    PublicKey(String),
    /// `--trust FILE` (a tlog-policy file).
    Policy(String),
    /// Nothing given: the keys in the data dir were trusted.
    DataDir,
}

/// A log key the auditor trusts, with the origin its vkey names (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The vkey's name, which must be the log origin; `None` for the old text form.
    pub origin: Option<String>,
    /// The key.
    pub key: PublicKey,
}

/// The auditor's trust root.
#[derive(Clone, Debug)]
pub struct TrustRoot {
    /// Trusted log keys (empty: the data dir's keys).
    pub keys: Vec<TrustedKey>,
    /// The tlog-policy (witnesses and quorum), with `--trust`.
    pub policy: Option<TrustPolicy>,
    /// Where it came from.
    pub source: TrustSource,
}

impl TrustRoot {
    /// No trust root: trust the keys found beside the log (and say so).
    pub fn data_dir() -> Self {
        Self {
            keys: Vec::new(),
            policy: None,
            source: TrustSource::DataDir,
        }
    }

    /// From a `--public-key` file: vkeys (one a line) or the old v1 text form.
    pub fn from_public_key(text: &str, file: &str) -> Result<Self, EvidenceError> {
        Ok(Self {
            keys: parse_keys(text)?,
            policy: None,
            source: TrustSource::PublicKey(file.to_owned()),
        })
    }

    /// From a `--trust` file (C2SP tlog-policy: `log <vkey>`, `witness <name> <vkey>`,
    /// `group`, `quorum`; see `evidence::trust`).
    pub fn from_policy(text: &str, file: &str) -> Result<Self, EvidenceError> {
        let policy =
            TrustPolicy::parse(text).map_err(|e| EvidenceError::Key(format!("{file}: {e}")))?;
        let keys = policy
            .log_keys()
            .iter()
            .filter_map(|v| {
                Some(TrustedKey {
                    origin: Some(v.name.clone()),
                    key: v.public_key()?,
                })
            })
            .collect::<Vec<_>>();
        if keys.is_empty() {
            return Err(EvidenceError::Key(format!(
                "{file}: the trust policy lists no `log` key"
            )));
        }
        Ok(Self {
            keys,
            policy: Some(policy),
            source: TrustSource::Policy(file.to_owned()),
        })
    }

    /// True when no trust root was given.
    pub fn is_data_dir(&self) -> bool {
        self.source == TrustSource::DataDir
    }
}

/// Public keys in a text: either the old v1 text form (one key), or vkeys one a line
/// (blank lines and `#` comments ignored).
pub(crate) fn parse_keys(text: &str) -> Result<Vec<TrustedKey>, EvidenceError> {
    if text
        .trim_start()
        .starts_with("aimsgate-evidence-public-key")
    {
        return Ok(vec![TrustedKey {
            origin: None,
            key: PublicKey::parse(text)?,
        }]);
    }
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let v =
            Verifier::parse(line).map_err(|e| EvidenceError::Key(format!("public key: {e}")))?;
        let key = v
            .public_key()
            .filter(|_| v.kind == KeyKind::Ed25519)
            .ok_or_else(|| {
                EvidenceError::Key("public key: not an Ed25519 log key (type 0x01) vkey".into())
            })?;
        out.push(TrustedKey {
            origin: Some(v.name),
            key,
        });
    }
    if out.is_empty() {
        return Err(EvidenceError::Key("public key file holds no key".into()));
    }
    Ok(out)
}

/// Every public key beside the log: `signing.pub`, `signing.vkey`, `keys/*.pub`,
/// `keys/*.vkey`, in either form. Unreadable or malformed files are skipped: these are only
/// candidates, and a key that matters but is missing shows up as an unknown signer.
pub(crate) fn dir_keys(dir: &Path) -> Vec<PublicKey> {
    let mut paths = vec![dir.join("signing.pub"), dir.join("signing.vkey")];
    if let Ok(rd) = std::fs::read_dir(dir.join("keys")) {
        let mut more: Vec<_> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pub" || x == "vkey"))
            .collect();
        more.sort();
        paths.extend(more);
    }
    let mut out: Vec<PublicKey> = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for k in parse_keys(&text).into_iter().flatten() {
            if !out.contains(&k.key) {
                out.push(k.key);
            }
        }
    }
    out
}

/// The C2SP key id (hex key hash) of a log key under `origin`.
pub(crate) fn note_id(origin: &str, k: &PublicKey) -> String {
    hex(&note_key_hash(origin, k.key.as_bytes()))
}

/// True when `id` names `k`, in either key id scheme (C2SP key hash under `origin`, or the v1
/// id: the first 8 bytes of SHA-256 of the key).
pub(crate) fn names_key(id: &str, origin: &str, k: &PublicKey) -> bool {
    !id.is_empty() && (id == k.key_id || id == note_id(origin, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::keys::KeyPair;

    fn vkey(name: &str, kp: &KeyPair) -> String {
        Verifier::note_key(name, &kp.public()).to_vkey()
    }

    #[test]
    fn vkeys_and_old_text_parse_and_bad_ones_are_refused() {
        let kp = KeyPair::from_secret([7; 32]);
        let v = vkey("example.org/log", &kp);
        let keys = parse_keys(&format!("# pinned\n{v}\n\n")).unwrap();
        assert_eq!(keys[0].origin.as_deref(), Some("example.org/log"));
        assert_eq!(keys[0].key, kp.public());
        assert_eq!(parse_keys(&kp.public_text()).unwrap()[0].origin, None);
        // A wrong hash, a wrong type byte, a bad name, nothing at all.
        let mut parts: Vec<&str> = v.split('+').collect();
        let flipped = if parts[1].starts_with('0') { "1" } else { "0" };
        let h = format!("{flipped}{}", &parts[1][1..]);
        parts[1] = &h;
        assert!(parse_keys(&parts.join("+")).is_err());
        let witness = Verifier::cosigner("w.example", &kp.public()).to_vkey();
        assert!(
            parse_keys(&witness).is_err(),
            "a witness key is not a log key"
        );
        assert!(parse_keys("\n# nothing\n").is_err());
        assert!(names_key(
            &note_id("example.org/log", &kp.public()),
            "example.org/log",
            &kp.public()
        ));
        assert!(names_key(kp.key_id(), "x", &kp.public()));
        assert!(!names_key("", "x", &kp.public()));
    }
}
