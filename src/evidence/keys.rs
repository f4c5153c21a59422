//! Signing keys: generation, the on-disk files (`signing.key` 0600, `signing.pub` text form),
//! key ids, and the C2SP signed-note key hash. Owns no log state; rotation is recorded by the
//! writer, and archived public keys live in `keys/<key id>.pub`.
//!
//! `signing.pub` text form (one `name: value` per line, order fixed, trailing newline):
//! ```text
//! aimsgate-evidence-public-key v1
//! key-id: <16 lowercase hex chars = first 8 bytes of SHA-256(public key)>
//! algorithm: ed25519
//! public-key: <standard base64 of the 32-byte public key>
//! ```
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::error::EvidenceError;

/// File name of the secret key in the data dir.
pub const SECRET_FILE: &str = "signing.key";
/// File name of the public key in the data dir.
pub const PUBLIC_FILE: &str = "signing.pub";
const SECRET_HEADER: &str = "aimsgate-evidence-secret-key v1";
const PUBLIC_HEADER: &str = "aimsgate-evidence-public-key v1";

/// An ed25519 signing key and its derived key id.
pub struct KeyPair {
    signing: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Clone for KeyPair {
    fn clone(&self) -> Self {
        Self::from_secret(self.signing.to_bytes())
    }
}

/// Key id of a public key: lowercase hex of the first 8 bytes of SHA-256(public key bytes).
pub fn key_id_of(public: &[u8; 32]) -> String {
    super::common::hex(&Sha256::digest(public)[..8])
}

impl KeyPair {
    /// A fresh key from the OS random source.
    pub fn generate() -> Self {
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        Self::from_secret(signing.to_bytes())
    }

    /// A key from its 32-byte secret seed.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&secret);
        let key_id = key_id_of(signing.verifying_key().as_bytes());
        Self { signing, key_id }
    }

    /// The key id recorded in every entry this key signs.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The 32-byte public key.
    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The 32-byte secret seed (for the C2SP/Go `note` skey form; never log it).
    pub fn secret_seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            key: self.signing.verifying_key(),
            key_id: self.key_id.clone(),
        }
    }

    /// ed25519 signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// The documented public text form (see module docs).
    pub fn public_text(&self) -> String {
        self.public().to_text()
    }
}

/// A verifying key with its key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The ed25519 key.
    pub key: VerifyingKey,
    /// Its key id.
    pub key_id: String,
}

impl PublicKey {
    /// From raw bytes; `None` if the bytes are not a valid ed25519 point.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        let key = VerifyingKey::from_bytes(&arr).ok()?;
        Some(Self {
            key,
            key_id: key_id_of(&arr),
        })
    }

    /// Renders the documented text form.
    pub fn to_text(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.key.as_bytes());
        format!(
            "{PUBLIC_HEADER}\nkey-id: {}\nalgorithm: ed25519\npublic-key: {b64}\n",
            self.key_id
        )
    }

    /// Parses the text form; the key id must match the key.
    pub fn parse(text: &str) -> Result<Self, EvidenceError> {
        let bad = |why: &str| EvidenceError::Key(format!("public key text: {why}"));
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(PUBLIC_HEADER) {
            return Err(bad(
                "first line is not the aimsgate-evidence-public-key v1 header",
            ));
        }
        let (mut kid, mut alg, mut pk) = (None, None, None);
        for line in lines {
            let Some((k, v)) = line.split_once(':') else {
                return Err(bad("line without `name: value`"));
            };
            match k.trim() {
                "key-id" => kid = Some(v.trim().to_owned()),
                "algorithm" => alg = Some(v.trim().to_owned()),
                "public-key" => pk = Some(v.trim().to_owned()),
                _ => {}
            }
        }
        if alg.as_deref() != Some("ed25519") {
            return Err(bad("algorithm must be ed25519"));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(pk.ok_or_else(|| bad("missing public-key"))?)
            .map_err(|_| bad("public-key is not base64"))?;
        let key =
            Self::from_bytes(&raw).ok_or_else(|| bad("public-key is not a valid ed25519 key"))?;
        if Some(&key.key_id) != kid.as_ref() {
            return Err(bad("key-id does not match the public key"));
        }
        Ok(key)
    }

    /// Checks an ed25519 signature.
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(sig);
        self.key.verify_strict(msg, &sig).is_ok()
    }
}

/// C2SP signed-note key hash for an ed25519 key: SHA-256(name || "\n" || 0x01 || key)[..4].
pub fn note_key_hash(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n\x01");
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The key id of a log key in v2: lowercase hex of its C2SP signed-note key hash under the
/// log's origin (the same 4 bytes that start its checkpoint signatures).
pub fn log_key_id(origin: &str, public: &[u8; 32]) -> String {
    super::common::hex(&note_key_hash(origin, public))
}

/// Every secret key in the data dir: `signing.key` and the archived `keys/*.key`.
pub fn stored_secrets(dir: &Path) -> Result<Vec<KeyPair>, EvidenceError> {
    let mut paths = vec![dir.join(SECRET_FILE)];
    if let Ok(rd) = fs::read_dir(dir.join("keys")) {
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "key") {
                paths.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        match fs::read_to_string(&p) {
            Ok(t) => out.push(parse_secret(&t)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Deletes `signing.key` if it holds `retired` (the key supplied from outside replaced it and
/// the rotation is logged: a retired secret never stays on disk).
pub fn remove_secret_if(dir: &Path, retired: &KeyPair) -> Result<(), EvidenceError> {
    let path = dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(t) if parse_secret(&t).is_ok_and(|k| k.key_id() == retired.key_id()) => {
            fs::remove_file(&path)?;
            Ok(super::segment::sync_dir(dir)?)
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Generates a key pair into `dir` (`signing.key` mode 0600 and `signing.pub`). Refuses to
/// overwrite an existing key unless `force`; a replaced key is archived in `keys/` so that the
/// log records the rotation (signed by the old key) at its next open.
pub fn keygen(dir: &Path, force: bool) -> Result<KeyPair, EvidenceError> {
    let secret = dir.join(SECRET_FILE);
    if secret.exists() && !force {
        return Err(EvidenceError::Key(format!(
            "{} already exists (use --force to replace it)",
            secret.display()
        )));
    }
    fs::create_dir_all(dir)?;
    if let Ok(old) = fs::read_to_string(&secret) {
        // Kept so the next `open` can sign the rotation event with the key being replaced.
        let old = parse_secret(&old)?;
        archive_public(dir, &old.public())?;
        archive_secret(dir, &old)?;
    }
    let kp = KeyPair::generate();
    write_key_files(dir, &kp)?;
    Ok(kp)
}

/// Loads `signing.key` from `dir`, or generates and writes a pair on first start.
pub fn load_or_create_key(dir: &Path) -> Result<(KeyPair, bool), EvidenceError> {
    match fs::read_to_string(dir.join(SECRET_FILE)) {
        Ok(text) => Ok((parse_secret(&text)?, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((keygen(dir, false)?, true)),
        Err(e) => Err(e.into()),
    }
}

/// Writes both key files atomically (the secret with mode 0600 from creation).
pub fn write_key_files(dir: &Path, kp: &KeyPair) -> Result<(), EvidenceError> {
    fs::create_dir_all(dir)?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(kp.signing.to_bytes());
    let secret_text = format!(
        "{SECRET_HEADER}\nkey-id: {}\nsecret-key: {b64}\n",
        kp.key_id
    );
    write_atomic(&dir.join(SECRET_FILE), secret_text.as_bytes(), true)?;
    write_atomic(&dir.join(PUBLIC_FILE), kp.public_text().as_bytes(), false)?;
    archive_public(dir, &kp.public())
}

/// Writes only the public half: `signing.pub` and `keys/<key id>.pub` (for a key whose secret
/// lives outside the data dir).
pub fn write_public_files(dir: &Path, kp: &KeyPair) -> Result<(), EvidenceError> {
    fs::create_dir_all(dir)?;
    write_atomic(&dir.join(PUBLIC_FILE), kp.public_text().as_bytes(), false)?;
    archive_public(dir, &kp.public())
}

/// Copies a public key into `keys/<key id>.pub` so old entries stay verifiable after rotation.
pub fn archive_public(dir: &Path, key: &PublicKey) -> Result<(), EvidenceError> {
    let kdir = dir.join("keys");
    fs::create_dir_all(&kdir)?;
    write_atomic(
        &kdir.join(format!("{}.pub", key.key_id)),
        key.to_text().as_bytes(),
        false,
    )
}

/// All public keys found in `dir` (`signing.pub` and `keys/*.pub`), deduplicated.
pub fn dir_public_keys(dir: &Path) -> Result<Vec<PublicKey>, EvidenceError> {
    let mut paths: Vec<PathBuf> = vec![dir.join(PUBLIC_FILE)];
    if let Ok(rd) = fs::read_dir(dir.join("keys")) {
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "pub") {
                paths.push(e.path());
            }
        }
    }
    let mut keys: Vec<PublicKey> = Vec::new();
    for p in paths {
        if let Ok(text) = fs::read_to_string(&p) {
            let k = PublicKey::parse(&text)?;
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    Ok(keys)
}

/// A secret key from the `signing.key` text form, or from its bare base64 seed (what an
/// environment variable or a mounted secret usually holds).
pub fn parse_secret(text: &str) -> Result<KeyPair, EvidenceError> {
    let bad = |why: &str| EvidenceError::Key(format!("{SECRET_FILE}: {why}"));
    let text = text.trim();
    let b64 = if text.contains('\n') || text.starts_with(SECRET_HEADER) {
        let mut lines = text.lines().map(str::trim);
        if lines.next() != Some(SECRET_HEADER) {
            return Err(bad("missing header"));
        }
        lines
            .find_map(|l| l.strip_prefix("secret-key:"))
            .ok_or_else(|| bad("missing secret-key"))?
    } else {
        text
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| bad("secret-key is not base64"))?;
    let arr: [u8; 32] = raw
        .try_into()
        .map_err(|_| bad("secret-key is not 32 bytes"))?;
    Ok(KeyPair::from_secret(arr))
}

/// Writes `path` via a temp file, fsync and rename, then fsyncs the directory.
pub(crate) fn write_atomic(path: &Path, data: &[u8], secret: bool) -> Result<(), EvidenceError> {
    let tmp = path.with_extension("tmp");
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    let mut f = opts.open(&tmp)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        super::segment::sync_dir(parent)?;
    }
    Ok(())
}

fn archived_secret_path(dir: &Path, key_id: &str) -> PathBuf {
    dir.join("keys").join(format!("{key_id}.key"))
}

/// Keeps a copy of a secret key (0600) in `keys/<key id>.key` until a rotation away from it
/// has been logged; `EvidenceLog::open` uses it to sign a rotation the log has not seen yet.
pub fn archive_secret(dir: &Path, key: &KeyPair) -> Result<(), EvidenceError> {
    fs::create_dir_all(dir.join("keys"))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(key.signing.to_bytes());
    let text = format!(
        "{SECRET_HEADER}\nkey-id: {}\nsecret-key: {b64}\n",
        key.key_id
    );
    write_atomic(
        &archived_secret_path(dir, &key.key_id),
        text.as_bytes(),
        true,
    )
}

/// Loads `keys/<key id>.key` if present.
pub fn load_archived_secret(dir: &Path, key_id: &str) -> Result<Option<KeyPair>, EvidenceError> {
    match fs::read_to_string(archived_secret_path(dir, key_id)) {
        Ok(t) => Ok(Some(parse_secret(&t)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Deletes `keys/<key id>.key` once the rotation away from it is logged.
pub fn remove_archived_secret(dir: &Path, key_id: &str) -> Result<(), EvidenceError> {
    match fs::remove_file(archived_secret_path(dir, key_id)) {
        Ok(()) => Ok(super::segment::sync_dir(&dir.join("keys"))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}
