//! C2SP verifier keys (vkeys, `<name>+<hex key hash>+<base64(type || public key)>`) for the two
//! signature types aimsgate uses: Ed25519 note signatures (type `0x01`, log keys) and
//! tlog-cosignature/v1 (type `0x04`, witness keys); and Go `note` private keys
//! (`PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || 32-byte seed)>`) for witness key files
//! and interop. Owns key encodings only; verifying notes is the parent module's job.
//!
//! Key hash (key ID) = `SHA-256(name || 0x0A || type byte || 32-byte public key)[..4]`.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

use crate::evidence::keys::{KeyPair, PublicKey};

/// The signature type of a vkey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `0x01`: Ed25519 signatures over the note text (log checkpoint keys).
    Ed25519,
    /// `0x04`: timestamped Ed25519 cosignatures, `cosignature/v1` (witness keys).
    Cosignature,
}

impl KeyKind {
    /// The signature type identifier byte.
    pub fn type_byte(self) -> u8 {
        match self {
            Self::Ed25519 => 0x01,
            Self::Cosignature => 0x04,
        }
    }

    /// The kind for a type byte, if aimsgate supports it.
    pub fn from_type_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(Self::Ed25519),
            0x04 => Some(Self::Cosignature),
            _ => None,
        }
    }
}

/// Why a vkey or skey string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VkeyError {
    /// Not `<name>+<hash>+<key>` (or `PRIVATE+KEY+<name>+<hash>+<key>`).
    #[error("{0}: expected {1}")]
    Shape(&'static str, &'static str),
    /// The key name is empty or has a space or `+`.
    #[error("{0}: invalid key name (empty, or with a space or `+`)")]
    BadName(&'static str),
    /// The key hash is not 8 lowercase hex digits.
    #[error("{0}: key hash is not 8 lowercase hex digits")]
    BadHash(&'static str),
    /// The key material is not standard base64.
    #[error("{0}: key material is not standard base64")]
    BadBase64(&'static str),
    /// The type byte is not one aimsgate supports.
    #[error("{what}: unsupported signature type {byte:#04x} (supported: 0x01 ed25519, 0x04 cosignature/v1)")]
    UnsupportedType {
        /// "vkey" or "skey".
        what: &'static str,
        /// The type byte found.
        byte: u8,
    },
    /// Not 32 bytes, or not a usable Ed25519 public key.
    #[error("{0}: not a valid 32-byte Ed25519 key")]
    BadKey(&'static str),
    /// The key hash does not match name, type and key.
    #[error("{0}: key hash does not match the key name and key")]
    HashMismatch(&'static str),
}

/// A trusted public key in C2SP vkey form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Verifier {
    /// The key name (a log's origin, or a witness name).
    pub name: String,
    /// The 4-byte key hash that signature lines carry.
    pub key_hash: [u8; 4],
    /// The signature type.
    pub kind: KeyKind,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

/// C2SP key hash: `SHA-256(name || "\n" || type byte || public key)[..4]`.
pub fn key_hash(name: &str, kind: KeyKind, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind.type_byte()]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A valid signed-note key name: non-empty, no Unicode space, no `+`, and no ASCII control
/// character (a note cannot carry one).
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

impl Verifier {
    /// A verifier for `key` under `name` (computes the key hash; `name` should be valid, see
    /// [`valid_key_name`], or the vkey will not parse back).
    pub fn new(name: &str, kind: KeyKind, key: VerifyingKey) -> Self {
        Self {
            name: name.to_owned(),
            key_hash: key_hash(name, kind, key.as_bytes()),
            kind,
            key,
        }
    }

    /// A log key: plain Ed25519 note signatures under `name` (the log's origin).
    pub fn note_key(name: &str, key: &PublicKey) -> Self {
        Self::new(name, KeyKind::Ed25519, key.key)
    }

    /// A witness key: tlog-cosignature/v1 under `name`.
    pub fn cosigner(name: &str, key: &PublicKey) -> Self {
        Self::new(name, KeyKind::Cosignature, key.key)
    }

    /// Parses a vkey (surrounding ASCII whitespace, e.g. a file's final newline, is ignored).
    /// Refuses unknown types, weak keys, and a key hash that does not match.
    pub fn parse(vkey: &str) -> Result<Self, VkeyError> {
        const W: &str = "vkey";
        // Base64 may contain `+`; the name may not, so only the first two `+` separate.
        let mut parts = vkey.trim_ascii().splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(VkeyError::Shape(W, "<name>+<8 hex>+<base64 key>"));
        };
        let (kind, key) = parse_material(W, name, hash, b64)?;
        if crate::evidence::common::hex(&key_hash(name, kind, &key)) != hash {
            return Err(VkeyError::HashMismatch(W));
        }
        let key = VerifyingKey::from_bytes(&key).map_err(|_| VkeyError::BadKey(W))?;
        if key.is_weak() {
            return Err(VkeyError::BadKey(W));
        }
        Ok(Self::new(name, kind, key))
    }

    /// The vkey string.
    pub fn to_vkey(&self) -> String {
        let mut material = vec![self.kind.type_byte()];
        material.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, self.key_id(), B64.encode(material))
    }

    /// Lowercase hex of the key hash (aimsgate's key id).
    pub fn key_id(&self) -> String {
        crate::evidence::common::hex(&self.key_hash)
    }

    /// The public key in aimsgate's own form.
    pub fn public_key(&self) -> Option<PublicKey> {
        PublicKey::from_bytes(self.key.as_bytes())
    }

    /// Strict Ed25519 verification of `sig` (must be 64 bytes) over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        self.key.verify_strict(msg, &sig).is_ok()
    }
}

/// Checks the name, the key hash's form and the material of a vkey or skey; returns the kind
/// and the 32 key bytes (the caller checks the hash against the public key).
fn parse_material(
    what: &'static str,
    name: &str,
    hash: &str,
    b64: &str,
) -> Result<(KeyKind, [u8; 32]), VkeyError> {
    if !valid_key_name(name) {
        return Err(VkeyError::BadName(what));
    }
    let hash_ok = hash.len() == 8 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hash_ok {
        return Err(VkeyError::BadHash(what));
    }
    let raw = B64.decode(b64).map_err(|_| VkeyError::BadBase64(what))?;
    let Some((&byte, key)) = raw.split_first() else {
        return Err(VkeyError::BadKey(what));
    };
    let kind = KeyKind::from_type_byte(byte).ok_or(VkeyError::UnsupportedType { what, byte })?;
    let key: [u8; 32] = key.try_into().map_err(|_| VkeyError::BadKey(what))?;
    Ok((kind, key))
}

/// Parses a Go `note` private key `PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>`
/// (surrounding ASCII whitespace ignored); returns the key name and the key pair. The key hash
/// must be the Ed25519 (`0x01`) hash of the derived public key.
pub fn parse_skey(skey: &str) -> Result<(String, KeyPair), VkeyError> {
    const W: &str = "skey";
    let mut parts = skey.trim_ascii().splitn(5, '+');
    let (Some("PRIVATE"), Some("KEY"), Some(name), Some(hash), Some(b64)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(VkeyError::Shape(
            W,
            "PRIVATE+KEY+<name>+<8 hex>+<base64 seed>",
        ));
    };
    let (kind, seed) = parse_material(W, name, hash, b64)?;
    if kind != KeyKind::Ed25519 {
        return Err(VkeyError::UnsupportedType {
            what: W,
            byte: kind.type_byte(),
        });
    }
    let kp = KeyPair::from_secret(seed);
    if crate::evidence::common::hex(&key_hash(name, kind, &kp.public_bytes())) != hash {
        return Err(VkeyError::HashMismatch(W));
    }
    Ok((name.to_owned(), kp))
}

/// The Go `note` private key string for `key` under `name` (type `0x01`). Secret: write it
/// only to a 0600 file.
pub fn to_skey(name: &str, key: &KeyPair) -> String {
    let mut material = vec![KeyKind::Ed25519.type_byte()];
    material.extend_from_slice(&key.secret_seed());
    let hash = key_hash(name, KeyKind::Ed25519, &key.public_bytes());
    format!(
        "PRIVATE+KEY+{name}+{}+{}",
        crate::evidence::common::hex(&hash),
        B64.encode(material)
    )
}

/// The C2SP verifier key (vkey) of a log key: `<origin>+<8 hex key hash>+<base64(0x01 ||
/// public key)>`, what auditors pin with `verify --public-key`.
pub fn log_vkey(origin: &str, key: &PublicKey) -> String {
    Verifier::note_key(origin, key).to_vkey()
}
