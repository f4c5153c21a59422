//! The signed-note types ([`Note`], [`NoteSig`], [`SigStatus`], [`NoteError`]) and signing. A
//! leaf of `note`: the checkpoint, cosignature and verification code build on it without
//! importing each other.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::vkey::{self, KeyKind};
use crate::evidence::keys::KeyPair;

/// Largest signed note [`parse_note`](super::parse_note) accepts, in bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// Most signature lines [`parse_note`](super::parse_note) accepts (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The em dash and space that start a signature line.
pub(super) const SIG_PREFIX: &str = "\u{2014} ";

/// Why a signed note does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// Over [`MAX_NOTE_BYTES`].
    #[error("signed note is larger than {MAX_NOTE_BYTES} bytes")]
    TooLarge,
    /// A control character other than newline (a CR of CRLF line endings, a tab, ...).
    #[error("signed note contains control character {0:#04x} (only newline is allowed)")]
    ControlChar(u8),
    /// No "\n\n" at all.
    #[error("signed note has no blank line before its signatures")]
    NoBlankLine,
    /// Nothing after the last blank line, or the note does not end in a newline.
    #[error("signed note has no signature lines after its last blank line, or does not end with a newline")]
    NoSignatures,
    /// The text before the blank line is empty.
    #[error("signed note text is empty")]
    EmptyText,
    /// A signature line without the em dash prefix.
    #[error("signature line {0} does not start with an em dash (U+2014) and a space")]
    NoEmDash(usize),
    /// A signature line whose key name is empty or has a space or `+`.
    #[error("signature line {0} has an invalid key name (empty, or with a space or `+`)")]
    BadName(usize),
    /// A signature that is not standard base64 of at least five bytes.
    #[error("signature line {0}: signature is not standard base64 of at least 5 bytes")]
    BadSignature(usize),
    /// Over [`MAX_SIGNATURES`].
    #[error("signed note has more than {MAX_SIGNATURES} signature lines")]
    TooManySignatures,
}

/// One signature line of a note (not yet verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSig {
    /// The key name.
    pub name: String,
    /// The 4-byte key hash (key ID) that starts the signature.
    pub key_hash: [u8; 4],
    /// The signature bytes after the key hash (for cosignatures: timestamp and signature).
    pub sig: Vec<u8>,
}

impl NoteSig {
    /// The signature line, with its trailing newline.
    pub fn to_line(&self) -> String {
        let mut blob = self.key_hash.to_vec();
        blob.extend_from_slice(&self.sig);
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(blob))
    }

    /// Parses one signature line (the trailing newline is optional); `n` numbers it in errors.
    pub(super) fn parse_line(line: &str, n: usize) -> Result<Self, NoteError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::NoEmDash(n))?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::BadName(n))?;
        if !vkey::valid_key_name(name) {
            return Err(NoteError::BadName(n));
        }
        let blob = B64.decode(b64).map_err(|_| NoteError::BadSignature(n))?;
        let (Some(hash), Some(sig)) = (blob.get(..4), blob.get(4..)) else {
            return Err(NoteError::BadSignature(n));
        };
        if sig.is_empty() {
            return Err(NoteError::BadSignature(n));
        }
        let mut key_hash = [0u8; 4];
        key_hash.copy_from_slice(hash);
        Ok(Self {
            name: name.to_owned(),
            key_hash,
            sig: sig.to_vec(),
        })
    }
}

/// A parsed signed note: its text (ending in a newline) and its signature lines, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signature lines.
    pub sigs: Vec<NoteSig>,
}

/// What [`Note::check_sig`] found for one trusted key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigStatus {
    /// No signature line with the key's name and key hash.
    Absent,
    /// Every matching signature verified; `timestamp` is set for cosignatures (the latest).
    Valid {
        /// The cosignature timestamp (POSIX seconds), `None` for plain note signatures.
        timestamp: Option<u64>,
    },
    /// A matching signature does not verify (the whole note should be rejected).
    Invalid(String),
}

/// Signs `text` (which must end with a newline) as a signed note under `name` (a valid key
/// name: non-empty, no spaces, no `+`).
pub fn sign_note(text: &str, name: &str, key: &KeyPair) -> String {
    sign_note_multi(text, name, &[key])
}

/// One note signed under `name` by each of `keys`, in order (a checkpoint signed by both the
/// old and the new key of a rotation).
pub fn sign_note_multi(text: &str, name: &str, keys: &[&KeyPair]) -> String {
    let mut s = format!("{text}\n");
    for key in keys {
        let sig = NoteSig {
            name: name.to_owned(),
            key_hash: vkey::key_hash(name, KeyKind::Ed25519, &key.public_bytes()),
            sig: key.sign(text.as_bytes()).to_vec(),
        };
        s.push_str(&sig.to_line());
    }
    s
}
