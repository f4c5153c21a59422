//! C2SP tlog-cosignature/v1 (signature type `0x04`): a witness's timestamped Ed25519 signature
//! over `cosignature/v1\ntime <t>\n` followed by the checkpoint text. The signature line is
//! `— <witness name> base64(key hash || u64 big-endian timestamp || 64-byte signature)`. Owns
//! the message and line format; which witnesses count is the trust policy's business.
use super::signed::{Note, NoteSig, SigStatus};
use super::vkey::{key_hash, KeyKind, Verifier};
use crate::evidence::keys::KeyPair;

/// Largest timestamp the spec allows (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The exact message a cosigner signs for `checkpoint_text` at `timestamp` (POSIX seconds).
pub fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}").into_bytes()
}

/// Cosigns a checkpoint (its note text, ending in a newline, without signature lines) as
/// witness `name`; returns the signature line with its trailing newline. A timestamp above
/// [`MAX_TIMESTAMP`] is clamped to it.
pub fn cosign(checkpoint_text: &str, name: &str, key: &KeyPair, timestamp_secs: u64) -> String {
    let t = timestamp_secs.min(MAX_TIMESTAMP);
    let mut sig = t.to_be_bytes().to_vec();
    sig.extend_from_slice(&key.sign(&cosigned_message(checkpoint_text, t)));
    NoteSig {
        name: name.to_owned(),
        key_hash: key_hash(name, KeyKind::Cosignature, &key.public_bytes()),
        sig,
    }
    .to_line()
}

/// The timestamp a cosignature line claims (not authenticated: verify first).
pub fn cosig_timestamp(sig: &NoteSig) -> Option<u64> {
    let t = u64::from_be_bytes(sig.sig.get(..8)?.try_into().ok()?);
    (sig.sig.len() == 72 && t <= MAX_TIMESTAMP).then_some(t)
}

/// Checks the cosignatures by `v` on `note`: every line with `v`'s name and key hash must be
/// a valid cosignature/v1 over the note text; the latest timestamp is reported.
pub(super) fn check(note: &Note, v: &Verifier) -> SigStatus {
    let mut latest = None;
    for s in note.sigs_by(v) {
        let bad = |why: &str| {
            SigStatus::Invalid(format!(
                "cosignature by witness {}+{} {why}",
                v.name,
                v.key_id()
            ))
        };
        let Some(t) = cosig_timestamp(s) else {
            return bad("is not 8 + 64 bytes with a timestamp below 2^63");
        };
        let msg = cosigned_message(&note.text, t);
        if v.kind != KeyKind::Cosignature || !v.verify(&msg, &s.sig[8..]) {
            return bad("does not verify");
        }
        latest = latest.max(Some(t));
    }
    match latest {
        Some(t) => SigStatus::Valid { timestamp: Some(t) },
        None => SigStatus::Absent,
    }
}

/// Verifies the cosignature by witness key `v` (kind [`KeyKind::Cosignature`]) on `note`;
/// returns its timestamp (the latest, if the witness signed more than once).
pub fn verify_cosignature(note: &Note, v: &Verifier) -> Result<u64, String> {
    if v.kind != KeyKind::Cosignature {
        return Err(format!(
            "key {}+{} is not a cosignature/v1 (0x04) key",
            v.name,
            v.key_id()
        ));
    }
    match check(note, v) {
        SigStatus::Valid {
            timestamp: Some(t), ..
        } => Ok(t),
        SigStatus::Invalid(e) => Err(e),
        _ => Err(format!(
            "no cosignature by witness {}+{}",
            v.name,
            v.key_id()
        )),
    }
}
