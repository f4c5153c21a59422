//! The trust root a verification starts from, brought by the auditor: `--public-key FILE`
//! (one or more C2SP vkeys `<origin>+<key hash hex>+<base64(0x01 || key)>`, one a line, or
//! the old `aimsgate-evidence-public-key v1` text for v1 logs), `--trust FILE` (a C2SP
//! tlog-policy: log keys, witnesses, quorum), or nothing, in which case the keys found in the
//! data dir are trusted and every summary says so. Also reads the public keys beside a log,
//! which are only ever *candidates* (keys to check signatures with), never trusted by
//! themselves unless there is no trust root. Owns no chain rules (`keychain`).
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::evidence::keys::{note_key_hash, PublicKey};
use crate::evidence::{hex, EvidenceError};

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

/// A witness the auditor trusts (from a `--trust` file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedWitness {
    /// Name in the policy file.
    pub name: String,
    /// The cosigner's key name (the vkey name).
    pub key_name: String,
    /// Ed25519 cosigner key.
    pub key: [u8; 32],
}

/// The auditor's trust root.
#[derive(Clone, Debug)]
pub struct TrustRoot {
    /// Trusted log keys (empty: the data dir's keys).
    pub keys: Vec<TrustedKey>,
    /// Trusted witnesses and how many must cosign (only with `--trust`).
    pub witnesses: Vec<TrustedWitness>,
    /// Witness cosignatures required (0 for `quorum none`).
    pub quorum: usize,
    /// The policy text, kept for a full quorum evaluation.
    pub policy_text: Option<String>,
    /// Where it came from.
    pub source: TrustSource,
}

impl TrustRoot {
    /// No trust root: trust the keys found beside the log (and say so).
    pub fn data_dir() -> Self {
        Self {
            keys: Vec::new(),
            witnesses: Vec::new(),
            quorum: 0,
            policy_text: None,
            source: TrustSource::DataDir,
        }
    }

    /// From a `--public-key` file: vkeys (one a line) or the old v1 text form.
    pub fn from_public_key(text: &str, file: &str) -> Result<Self, EvidenceError> {
        Ok(Self {
            keys: parse_keys(text)?,
            source: TrustSource::PublicKey(file.to_owned()),
            ..Self::data_dir()
        })
    }

    /// From a `--trust` file (tlog-policy: `log <vkey>`, `witness <name> <vkey>`, `group`,
    /// `quorum`).
    pub fn from_policy(text: &str, file: &str) -> Result<Self, EvidenceError> {
        let p = super::kept::parse_policy(text)?;
        Ok(Self {
            keys: p.0,
            witnesses: p.1,
            quorum: p.2,
            policy_text: Some(text.to_owned()),
            source: TrustSource::Policy(file.to_owned()),
        })
    }

    /// True when no trust root was given.
    pub fn is_data_dir(&self) -> bool {
        self.source == TrustSource::DataDir
    }
}

/// Parses a C2SP vkey for an Ed25519 key of type `kind` (0x01 log keys, 0x04 cosigners):
/// `(name, key)`. The key hash must match.
pub(crate) fn parse_vkey(vkey: &str, kind: u8) -> Result<(String, [u8; 32]), String> {
    let mut parts = vkey.trim().rsplitn(3, '+');
    let (Some(b64), Some(hash), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("vkey is not <name>+<hash>+<base64 key>".into());
    };
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err("vkey name is empty or has a space or `+`".into());
    }
    let raw = B64.decode(b64).map_err(|_| "vkey key is not base64")?;
    let (Some(&t), Some(key)) = (raw.first(), raw.get(1..).and_then(|k| <[u8; 32]>::try_from(k).ok()))
    else {
        return Err("vkey key is not a type byte and 32 bytes".into());
    };
    if t != kind {
        return Err(format!("vkey key type is {t:#04x}, {kind:#04x} expected"));
    }
    let mut h = sha2::Sha256::new();
    sha2::Digest::update(&mut h, name.as_bytes());
    sha2::Digest::update(&mut h, [b'\n', kind]);
    sha2::Digest::update(&mut h, key);
    let d = sha2::Digest::finalize(h);
    if hex(&d[..4]) != hash {
        return Err("vkey key hash does not match its name and key".into());
    }
    Ok((name.to_owned(), key))
}

/// Public keys in a text: either the old v1 text form (one key), or vkeys one a line
/// (blank lines and `#` comments ignored).
pub(crate) fn parse_keys(text: &str) -> Result<Vec<TrustedKey>, EvidenceError> {
    if text.trim_start().starts_with("aimsgate-evidence-public-key") {
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
        let (name, key) =
            parse_vkey(line, 1).map_err(|e| EvidenceError::Key(format!("public key: {e}")))?;
        let key = PublicKey::from_bytes(&key)
            .ok_or_else(|| EvidenceError::Key("public key: not a valid ed25519 key".into()))?;
        out.push(TrustedKey {
            origin: Some(name),
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
        let mut raw = vec![1u8];
        raw.extend_from_slice(&kp.public_bytes());
        format!(
            "{name}+{}+{}",
            hex(&note_key_hash(name, &kp.public_bytes())),
            B64.encode(raw)
        )
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
        assert!(parse_vkey(&v, 4).is_err());
        assert!(parse_vkey("+ab+AQ==", 1).is_err());
        assert!(parse_keys("\n# nothing\n").is_err());
        assert!(names_key(&note_id("example.org/log", &kp.public()), "example.org/log", &kp.public()));
        assert!(names_key(kp.key_id(), "x", &kp.public()));
        assert!(!names_key("", "x", &kp.public()));
    }
}
