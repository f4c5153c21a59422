//! Virtual keys: issuing them, hashing them, and finding a presented key among the
//! configured hashes in constant time.
//!
//! Owns the key format (`agk_` + 43 base64url characters from 32 CSPRNG bytes) and the hash
//! format (`sha256:<64 hex>`). Does not store keys anywhere: configuration holds only hashes.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::config::VirtualKeyConfig;
use super::error::IdentityError;
use super::{is_clean_name, push_hex, upstream_for, UpstreamAuth};

/// Every virtual key starts with this.
pub const VIRTUAL_KEY_PREFIX: &str = "agk_";

/// Random bytes in a generated key.
const KEY_BYTES: usize = 32;

/// Issues a new virtual key: `(key, "sha256:<hex>")`. Give the key to its holder once and put
/// only the hash in the configuration.
///
/// Uses the operating system's CSPRNG; if that fails the process cannot issue keys safely and
/// this panics (use [`try_generate_virtual_key`] to get an error instead).
pub fn generate_virtual_key() -> (String, String) {
    let mut bytes = [0u8; KEY_BYTES];
    OsRng.fill_bytes(&mut bytes);
    key_from_bytes(&bytes)
}

/// [`generate_virtual_key`], reporting a CSPRNG failure as an error.
pub fn try_generate_virtual_key() -> Result<(String, String), IdentityError> {
    let mut bytes = [0u8; KEY_BYTES];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| IdentityError::Rng)?;
    Ok(key_from_bytes(&bytes))
}

fn key_from_bytes(bytes: &[u8; KEY_BYTES]) -> (String, String) {
    let key = format!("{VIRTUAL_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_virtual_key(&key);
    (key, hash)
}

/// `sha256:<64 lowercase hex>` of the whole key string, the form configuration stores.
pub fn hash_virtual_key(key: &str) -> String {
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    push_hex(&mut out, &Sha256::digest(key.as_bytes()));
    out
}

/// Parses `sha256:<64 hex>` (either case) into the 32 digest bytes.
fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let hex = s.strip_prefix("sha256:")?.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = hex_val(*pair.first()?)?;
        let lo = hex_val(*pair.get(1)?)?;
        *byte = (hi << 4) | lo;
    }
    Some(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// One configured key, compiled.
#[derive(Debug)]
pub(crate) struct VirtualKeyEntry {
    pub(crate) digest: [u8; 32],
    pub(crate) principal: String,
    pub(crate) groups: Vec<String>,
    pub(crate) ai_system: Option<String>,
    pub(crate) upstream: UpstreamAuth,
}

/// All configured virtual keys, indexed by the first 8 bytes of their digest.
///
/// The index only narrows the search to the few entries whose digest shares that prefix with
/// SHA-256 of the presented key; those are then compared in full in constant time. Lookup
/// timing therefore depends only on SHA-256 of the attacker's own guess, which reveals nothing
/// usable about any configured key, and stays O(1) for any number of keys.
#[derive(Debug, Default)]
pub(crate) struct VirtualKeys {
    entries: Vec<VirtualKeyEntry>,
    index: HashMap<u64, Vec<usize>>,
}

fn prefix(digest: &[u8; 32]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(first)
}

impl VirtualKeys {
    /// Validates hashes, names and duplicates.
    pub(crate) fn new(cfgs: Vec<VirtualKeyConfig>) -> Result<Self, IdentityError> {
        let mut entries: Vec<VirtualKeyEntry> = Vec::with_capacity(cfgs.len());
        let mut by_prefix: HashMap<u64, Vec<usize>> = HashMap::new();
        for (index, cfg) in cfgs.into_iter().enumerate() {
            let digest = parse_hash(cfg.hash.trim()).ok_or(IdentityError::BadKeyHash { index })?;
            let bucket = by_prefix.entry(prefix(&digest)).or_default();
            let same = bucket
                .iter()
                .copied()
                .find(|&i| entries.get(i).is_some_and(|e| e.digest == digest));
            if let Some(first) = same {
                return Err(IdentityError::DuplicateKey { index, first });
            }
            bucket.push(index);
            check_name(&cfg.principal, index, "principal")?;
            for g in &cfg.groups {
                check_name(g, index, "groups")?;
            }
            if let Some(s) = &cfg.ai_system {
                check_name(s, index, "ai_system")?;
            }
            let upstream = upstream_for(cfg.key_ref, &format!("virtual key #{index}"))?;
            entries.push(VirtualKeyEntry {
                digest,
                principal: cfg.principal,
                groups: cfg.groups,
                ai_system: cfg.ai_system,
                upstream,
            });
        }
        Ok(VirtualKeys {
            entries,
            index: by_prefix,
        })
    }

    /// Finds the entry whose hash equals SHA-256 of `key`. Every candidate that shares the
    /// digest prefix is compared in full in constant time, and the scan never stops early.
    pub(crate) fn find(&self, key: &str) -> Option<&VirtualKeyEntry> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let candidates = self.index.get(&prefix(&digest))?;
        let mut found = subtle::Choice::from(0u8);
        let mut hit_at = 0u64;
        for &i in candidates {
            let entry = self.entries.get(i)?;
            let hit = entry.digest.ct_eq(&digest);
            hit_at = u64::conditional_select(&hit_at, &(i as u64), hit);
            found |= hit;
        }
        if bool::from(found) {
            self.entries.get(usize::try_from(hit_at).ok()?)
        } else {
            None
        }
    }
}

fn check_name(s: &str, index: usize, field: &str) -> Result<(), IdentityError> {
    if is_clean_name(s) {
        Ok(())
    } else {
        Err(IdentityError::BadName {
            what: format!("virtual key #{index} {field}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_format_and_hash() {
        let (key, hash) = generate_virtual_key();
        let body = key.strip_prefix(VIRTUAL_KEY_PREFIX).unwrap();
        assert_eq!(body.len(), 43);
        assert!(body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(hash, hash_virtual_key(&key));
        assert_eq!(parse_hash(&hash).unwrap().len(), 32);
        let (key2, _) = try_generate_virtual_key().unwrap();
        assert_ne!(key, key2);
    }

    fn entry(hash: String, principal: &str) -> VirtualKeyConfig {
        VirtualKeyConfig {
            hash,
            principal: principal.to_owned(),
            groups: Vec::new(),
            ai_system: None,
            key_ref: None,
        }
    }

    #[test]
    fn entries_sharing_a_digest_prefix_are_told_apart() {
        let (key, hash) = generate_virtual_key();
        // Same first 8 bytes, different last byte: lands in the same index bucket.
        let last = if hash.ends_with('0') { '1' } else { '0' };
        let twin = format!("{}{last}", &hash[..hash.len() - 1]);
        let keys = VirtualKeys::new(vec![entry(twin, "twin"), entry(hash, "real")]).unwrap();
        assert_eq!(keys.find(&key).unwrap().principal, "real");
        assert!(keys.find("agk_other").is_none());
        assert!(VirtualKeys::default().find(&key).is_none());
    }

    #[test]
    fn hash_matches_sha256sum_of_the_key_string() {
        // printf %s abc | sha256sum
        assert_eq!(
            hash_virtual_key("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hash_parsing_rejects_malformed_values() {
        let good = hash_virtual_key("x");
        assert!(parse_hash(&good).is_some());
        assert!(parse_hash(&good.to_uppercase().replace("SHA256", "sha256")).is_some());
        assert!(parse_hash(&good[..good.len() - 1]).is_none());
        assert!(parse_hash(&good.replace("sha256:", "sha1:")).is_none());
        assert!(parse_hash(&format!("{}g", &good[..good.len() - 1])).is_none());
        assert!(parse_hash("sha256:é").is_none());
    }
}
