//! Key authorisation: the chain of log keys, in order, and which key may sign what.
//!
//! A log's keys form a chain K0, K1, ... joined by KeyRotation records. A link is accepted
//! only when proven: in v2 the first checkpoint frame covering the rotation record must be
//! signed by both the old and the new key (a *two-way* link); a v1 rotation record is an entry
//! signed by the old key (a *one-way* link: the old key vouches for the new one, not back).
//! Checkpoint frames must be signed by the key of their epoch; legacy checkpoint files by a
//! key of the chain so far. The chain is trusted when its first key is trusted, or a later key
//! is trusted and every link before it is two-way. Signatures are checked with the candidate
//! keys (trust root, keys beside the log, keys named by rotations), always strictly. Rotations
//! that retention pruned are followed through their key links ([`follow_links`]). Owns no
//! tree or chain-of-records rules (`dir`, `checker`).
use crate::evidence::entry::entry_hash;
use crate::evidence::keylink::rotation_in;
use crate::evidence::keys::PublicKey;
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::{parse_note, Checkpoint, SigStatus};
use crate::evidence::proto::KeyRotation;
use crate::evidence::tlog_proof::TlogProof;

use super::root::{names_key, note_id};

/// The text of a signed note (split at its last blank line, per C2SP signed-note).
pub(crate) fn note_text(note: &str) -> Result<String, String> {
    parse_note(note).map(|n| n.text).map_err(|e| e.to_string())
}

/// The candidate keys whose valid signature (key name = the note's origin, strict ed25519)
/// the note carries. A signature by a candidate that does not verify is an error.
pub(crate) fn signers(note: &str, cands: &[PublicKey]) -> Result<Vec<PublicKey>, String> {
    let n = parse_note(note).map_err(|e| e.to_string())?;
    let origin = n.origin().to_owned();
    let mut out: Vec<PublicKey> = Vec::new();
    for k in cands {
        match n.check_sig(&Verifier::note_key(&origin, k)) {
            SigStatus::Absent => {}
            SigStatus::Valid { .. } => {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
            SigStatus::Invalid(e) => return Err(format!("{e} (the note was altered)")),
        }
    }
    Ok(out)
}

/// Extends `trusted` along key links (see `evidence::keylink`), in index order. A link makes
/// its rotation's new key trusted when a trusted key that the rotation names as the old key
/// signed the link's checkpoint (under `origin`), the new key signed it too, and the path
/// proves the KeyRotation entry in it. A link whose old key is not trusted is skipped; a link
/// that does not hold up is an error `(file, problem)`: the files are the operator's.
pub(crate) fn follow_links(
    trusted: &mut Vec<PublicKey>,
    links: &[(String, TlogProof)],
    origin: &str,
) -> Result<(), (String, String)> {
    for (file, link) in links {
        let bad = |p: String| (file.clone(), p);
        let entry = link
            .extra
            .as_deref()
            .ok_or_else(|| bad("no entry bytes (extra)".into()))?;
        let r = rotation_in(entry).ok_or_else(|| bad("the entry is not a key rotation".into()))?;
        let text = note_text(&link.checkpoint).map_err(bad)?;
        let cp = Checkpoint::parse(&text).map_err(bad)?;
        if cp.origin != origin {
            return Err(bad(format!(
                "checkpoint of origin {} in a log of origin {origin}",
                cp.origin
            )));
        }
        link.check_inclusion(&entry_hash(entry), &cp).map_err(bad)?;
        let by = signers(&link.checkpoint, trusted).map_err(bad)?;
        if !by.iter().any(|k| names_key(&r.old_key_id, origin, k)) {
            continue;
        }
        let new = PublicKey::from_bytes(&r.new_public_key)
            .filter(|k| names_key(&r.new_key_id, origin, k))
            .ok_or_else(|| bad("new public key is invalid or does not match new_key_id".into()))?;
        if signers(&link.checkpoint, std::slice::from_ref(&new))
            .map_err(bad)?
            .is_empty()
        {
            return Err(bad(format!(
                "the checkpoint is not signed by the new key {}",
                note_id(origin, &new)
            )));
        }
        if !trusted.contains(&new) {
            trusted.push(new);
        }
    }
    Ok(())
}

/// The chain of log keys of one log.
pub(crate) struct KeyChain {
    trusted: Vec<PublicKey>,
    cands: Vec<PublicKey>,
    /// Epoch keys in order, each with whether the link into it is two-way.
    chain: Vec<(PublicKey, bool)>,
    /// A logged v2 rotation waiting for its covering checkpoint: new key and record seq.
    pending: Option<(PublicKey, u64)>,
    /// Where the first signed thing was (for a fault about trust).
    pub first_signed: Option<String>,
}

impl KeyChain {
    pub(crate) fn new(trusted: Vec<PublicKey>, mut cands: Vec<PublicKey>) -> Self {
        for k in &trusted {
            if !cands.contains(k) {
                cands.insert(0, k.clone());
            }
        }
        Self {
            trusted,
            cands,
            chain: Vec::new(),
            pending: None,
            first_signed: None,
        }
    }

    /// The current epoch key.
    pub(crate) fn current(&self) -> Option<&PublicKey> {
        self.chain.last().map(|(k, _)| k)
    }

    /// Every key of the chain so far (and a pending new key).
    pub(crate) fn keys(&self) -> Vec<PublicKey> {
        let mut v: Vec<PublicKey> = self.chain.iter().map(|(k, _)| k.clone()).collect();
        v.extend(self.pending.iter().map(|(k, _)| k.clone()));
        v
    }

    /// Keys checkpoints may be signed by once the chain is known (what an export or proof
    /// verifier accepts): the trust root and the chain.
    pub(crate) fn note_keys(&self) -> Vec<PublicKey> {
        let mut v = self.trusted.clone();
        for k in self.keys() {
            if !v.contains(&k) {
                v.push(k);
            }
        }
        v
    }

    /// Key ids of the chain under `origin`, in order.
    pub(crate) fn ids(&self, origin: &str) -> Vec<String> {
        self.chain.iter().map(|(k, _)| note_id(origin, k)).collect()
    }

    fn start(&mut self, k: PublicKey, loc: &str) {
        self.first_signed.get_or_insert_with(|| loc.to_owned());
        self.chain.push((k, false));
    }

    /// The key a v1 entry's key id names: it must be the current key (or, for the first
    /// signed thing, any candidate).
    pub(crate) fn v1_signer(
        &mut self,
        id: &str,
        origin: &str,
        loc: &str,
    ) -> Result<PublicKey, String> {
        if let Some(cur) = self.current() {
            if names_key(id, origin, cur) {
                return Ok(cur.clone());
            }
            return Err(format!(
                "signed by key {id} but key {} is the authorised signer here (substituted key or forged record)",
                cur.key_id
            ));
        }
        let k = self
            .cands
            .iter()
            .find(|k| names_key(id, origin, k))
            .cloned()
            .ok_or_else(|| format!("signed by key {id}, which is not a known public key"))?;
        self.start(k.clone(), loc);
        Ok(k)
    }

    /// A KeyRotation record (at `seq`): checks it names the current key and a valid new key.
    /// `v1`: the entry was signed by the old key, so the new key takes over at once; v2: the
    /// new key waits for a checkpoint signed by both.
    pub(crate) fn rotation(
        &mut self,
        r: &KeyRotation,
        seq: u64,
        origin: &str,
        v1: bool,
    ) -> Result<(), String> {
        let new = PublicKey::from_bytes(&r.new_public_key)
            .filter(|k| names_key(&r.new_key_id, origin, k))
            .ok_or("new public key is invalid or does not match new_key_id")?;
        if let Some(cur) = self.current() {
            if !names_key(&r.old_key_id, origin, cur) {
                return Err(format!(
                    "names old key {} but key {} is the authorised key here",
                    r.old_key_id,
                    note_id(origin, cur)
                ));
            }
        }
        if let Some((_, at)) = &self.pending {
            return Err(format!(
                "a second rotation before the rotation at seq {at} was covered by a checkpoint signed by both keys"
            ));
        }
        if !self.cands.contains(&new) {
            self.cands.push(new.clone());
        }
        if v1 {
            self.chain.push((new, false));
        } else {
            if self.current().is_none() {
                // The start of the chain was pruned away: the old key is known by id only.
                if let Some(old) = self
                    .cands
                    .iter()
                    .find(|k| names_key(&r.old_key_id, origin, k))
                    .cloned()
                {
                    self.chain.push((old, false));
                }
            }
            self.pending = Some((new, seq));
        }
        Ok(())
    }

    /// A checkpoint frame: signed by the epoch key, or by both keys of a pending rotation
    /// (which it then completes).
    pub(crate) fn frame(&mut self, note: &str, loc: &str) -> Result<(), String> {
        let by = signers(note, &self.cands)?;
        let origin = note.lines().next().unwrap_or_default();
        let names = |v: &[PublicKey]| {
            if v.is_empty() {
                "no known key".to_owned()
            } else {
                v.iter()
                    .map(|k| note_id(origin, k))
                    .collect::<Vec<_>>()
                    .join(" and ")
            }
        };
        if self.current().is_none() {
            let k = by
                .iter()
                .find(|k| self.trusted.contains(k))
                .or(by.first())
                .cloned()
                .ok_or("not signed by any known log key")?;
            self.start(k, loc);
        }
        let cur = self.current().cloned().ok_or("no log key")?;
        if let Some((new, at)) = self.pending.clone() {
            if !(by.contains(&cur) && by.contains(&new)) {
                return Err(format!(
                    "is the first checkpoint covering the key rotation at seq {at} and must be signed by both the old key {} and the new key {}, but is signed by {}",
                    note_id(origin, &cur),
                    note_id(origin, &new),
                    names(&by)
                ));
            }
            self.chain.push((new, true));
            self.pending = None;
            return Ok(());
        }
        if !by.contains(&cur) {
            return Err(format!(
                "is signed by {} but key {} is the authorised log key here (substituted key or forged checkpoint)",
                names(&by),
                note_id(origin, &cur)
            ));
        }
        Ok(())
    }

    /// A legacy checkpoint file (or prune anchor): signed by any key of the chain so far.
    pub(crate) fn file(&mut self, note: &str, loc: &str) -> Result<(), String> {
        let by = signers(note, &self.cands)?;
        let keys = self.keys();
        if keys.is_empty() {
            let k = by
                .first()
                .cloned()
                .ok_or("not signed by any known log key")?;
            self.start(k, loc);
            return Ok(());
        }
        if by.iter().any(|k| keys.contains(k)) {
            return Ok(());
        }
        Err("is not signed by a key of this log's key chain".into())
    }

    /// Whether the chain is anchored in the trust root: `Err` names the problem.
    pub(crate) fn trusted(&self, origin: &str) -> Result<(), String> {
        let Some(j) = self
            .chain
            .iter()
            .position(|(k, _)| self.trusted.contains(k))
        else {
            return Err(format!(
                "no key of this log ({}) is a trusted key: the log was signed by keys the auditor does not trust (replaced keys, or a re-signed history)",
                self.ids(origin).join(", ")
            ));
        };
        if let Some(i) = self.chain[1..=j].iter().position(|(_, two_way)| !two_way) {
            return Err(format!(
                "the trusted key {} is reached only through a one-way (v1) rotation from key {}, which it does not vouch for",
                note_id(origin, &self.chain[j].0),
                note_id(origin, &self.chain[i].0)
            ));
        }
        Ok(())
    }
}
