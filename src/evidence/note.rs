//! C2SP signed notes (`c2sp.org/signed-note`) and the two notes aimsgate writes: C2SP
//! `tlog-checkpoint` tree heads and the prune anchor left behind by retention. Owns text
//! formats, parsing and signatures only; where notes are stored is the writer's business.
//!
//! A signed note is a text ending in a newline, a blank line, and one or more signature lines
//! `— <key name> <base64(4-byte key hash || signature)>`. The text is split from the signatures
//! at the LAST blank line, so the text may itself contain blank lines. [`parse_note`] enforces
//! the spec's syntax (no control characters but newline, valid key names, base64 of at least
//! five bytes) and caps hostile input at [`MAX_NOTE_BYTES`] and [`MAX_SIGNATURES`].
//!
//! Verification follows the spec: signatures by unknown keys (name and key hash not both
//! matching a trusted key) are ignored; a signature by a known key that does not verify
//! rejects the whole note; at least one known signature must verify. Keys are C2SP vkeys
//! ([`vkey::Verifier`]); witness cosignatures are in [`cosig`].
//!
//! Checkpoint note (C2SP tlog-checkpoint inside a signed note):
//! ```text
//! <origin>
//! <tree size, decimal>
//! <base64 root hash>
//!
//! — <origin> <base64(4-byte key hash || 64-byte ed25519 signature)>
//! ```
//! The signature covers the text up to and including the root line's newline; the key hash is
//! `SHA-256(origin || "\n" || 0x01 || public key)[..4]`.
//!
//! Prune anchor: a signed note whose text is `<origin>` / `aimsgate-prune-anchor v1` /
//! `first <first retained seq>` / `prev <base64 entry hash of entry first-1>` /
//! `node <start> <size> <base64 hash>` lines giving the compact range of the pruned prefix.

use super::keys::PublicKey;

mod checkpoint;
pub mod cosig;
mod signed;
pub mod vkey;

pub use checkpoint::{parse_decimal, Anchor, Checkpoint};
pub use signed::{
    sign_note, sign_note_multi, Note, NoteError, NoteSig, SigStatus, MAX_NOTE_BYTES, MAX_SIGNATURES,
};
use vkey::{KeyKind, Verifier};

/// Parses a signed note: splits the text from the signatures at the last blank line and parses
/// each signature line (no signature is verified here).
pub fn parse_note(s: &str) -> Result<Note, NoteError> {
    if s.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge);
    }
    if let Some(b) = s.bytes().find(|&b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlChar(b));
    }
    let split = s.rfind("\n\n").ok_or(NoteError::NoBlankLine)?;
    let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::NoSignatures);
    }
    if text == "\n" {
        return Err(NoteError::EmptyText);
    }
    let mut note = Note {
        text: text.to_owned(),
        sigs: Vec::new(),
    };
    for line in sigs.split_terminator('\n') {
        note.push_sig(line)?;
    }
    Ok(note)
}

impl Note {
    /// The first line of the text (a checkpoint's origin).
    pub fn origin(&self) -> &str {
        self.text.split('\n').next().unwrap_or_default()
    }

    /// The note as text: the text, a blank line, the signature lines.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n", self.text);
        for sig in &self.sigs {
            s.push_str(&sig.to_line());
        }
        s
    }

    /// Appends a signature line (e.g. a cosignature from [`cosig::cosign`]); the trailing
    /// newline is optional. Refuses malformed lines and more than [`MAX_SIGNATURES`].
    pub fn add_sig_line(&mut self, line: &str) -> Result<(), NoteError> {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if let Some(b) = body.bytes().find(|&b| b < 0x20) {
            return Err(NoteError::ControlChar(b));
        }
        self.push_sig(body)
    }

    fn push_sig(&mut self, line: &str) -> Result<(), NoteError> {
        if self.sigs.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        self.sigs
            .push(NoteSig::parse_line(line, self.sigs.len() + 1)?);
        Ok(())
    }

    /// The signature lines whose name and key hash match `v`.
    pub fn sigs_by<'a>(&'a self, v: &'a Verifier) -> impl Iterator<Item = &'a NoteSig> + 'a {
        self.sigs
            .iter()
            .filter(move |s| s.name == v.name && s.key_hash == v.key_hash)
    }

    /// Checks the signatures by one trusted key: plain Ed25519 note signatures for
    /// [`KeyKind::Ed25519`], tlog-cosignature/v1 for [`KeyKind::Cosignature`].
    pub fn check_sig(&self, v: &Verifier) -> SigStatus {
        if v.kind == KeyKind::Cosignature {
            return cosig::check(self, v);
        }
        let mut seen = false;
        for s in self.sigs_by(v) {
            seen = true;
            if !v.verify(self.text.as_bytes(), &s.sig) {
                return SigStatus::Invalid(format!(
                    "signature by key {}+{} does not verify",
                    v.name,
                    v.key_id()
                ));
            }
        }
        if seen {
            SigStatus::Valid { timestamp: None }
        } else {
            SigStatus::Absent
        }
    }

    /// Names and key ids of all signature lines, for error messages.
    fn signers(&self) -> String {
        let v: Vec<String> = self
            .sigs
            .iter()
            .map(|s| format!("{}+{}", s.name, super::common::hex(&s.key_hash)))
            .collect();
        v.join(", ")
    }
}

/// Parses `note` and requires a valid Ed25519 signature by one of `logs` whose key name is the
/// note's origin (first text line). Signatures by other keys are ignored; a signature by one of
/// `logs` (for that name) that fails rejects the note. Returns the note and the index in `logs`
/// of the first key whose signature verified.
pub fn open_with(note: &str, logs: &[Verifier]) -> Result<(Note, usize), String> {
    let parsed = parse_note(note).map_err(|e| e.to_string())?;
    let origin = parsed.origin();
    let mut good = None;
    for (i, v) in logs.iter().enumerate() {
        if v.kind != KeyKind::Ed25519 || v.name != origin {
            continue;
        }
        match parsed.check_sig(v) {
            SigStatus::Absent => {}
            SigStatus::Valid { .. } => {
                good.get_or_insert(i);
            }
            SigStatus::Invalid(e) => return Err(e),
        }
    }
    match good {
        Some(i) => Ok((parsed, i)),
        None => Err(format!(
            "no signature by a trusted key named `{origin}` (signed by: {})",
            parsed.signers()
        )),
    }
}

/// [`open_with`] for a checkpoint: also parses the text as a C2SP checkpoint. Returns the
/// tree head, the parsed note (with every signature line, e.g. cosignatures) and the index in
/// `logs` of the key whose signature verified.
pub fn open_checkpoint(note: &str, logs: &[Verifier]) -> Result<(Checkpoint, Note, usize), String> {
    let (n, i) = open_with(note, logs)?;
    let cp = Checkpoint::parse(&n.text)?;
    Ok((cp, n, i))
}

/// A note whose signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The signed text.
    pub text: String,
    /// The key that signed it.
    pub key_id: String,
}

/// Verifies a signed note against any of `keys` under the note's origin as key name; returns
/// the text and the signer. See [`open_with`] for the rules.
pub fn open_note(note: &str, keys: &[PublicKey]) -> Result<Verified, String> {
    let parsed = parse_note(note).map_err(|e| e.to_string())?;
    let origin = parsed.origin();
    let verifiers: Vec<Verifier> = keys.iter().map(|k| Verifier::note_key(origin, k)).collect();
    let (n, i) = open_with(note, &verifiers)?;
    let key_id = keys.get(i).map(|k| k.key_id.clone()).unwrap_or_default();
    Ok(Verified {
        text: n.text,
        key_id,
    })
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
