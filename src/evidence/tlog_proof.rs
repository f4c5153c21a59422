//! C2SP tlog-proof@v1: an offline-verifiable proof that an entry is in the log, made of the
//! entry's index, its RFC 6962 inclusion path and the signed (and possibly cosigned)
//! checkpoint it is proved against, plus optional unauthenticated extra data (aimsgate puts
//! the stored entry bytes there, so the leaf hash is `SHA-256(0x00 || extra)`). Owns the text
//! format and the check against a log key; which witnesses must have cosigned is the trust
//! policy's business ([`super::trust`]).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64 extra data>          (optional)
//! index <decimal>
//! <base64 path hash>                 (zero or more, leaf's sibling first)
//!
//! <checkpoint signed note, verbatim>
//! ```
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::merkle::{root_from_inclusion, Hash};
use super::note::parse_decimal;
use super::note::vkey::Verifier;
use super::note::{open_with, parse_note, Checkpoint, MAX_NOTE_BYTES};

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Longest inclusion path accepted (a tree of fewer than 2^64 leaves has at most 64 levels).
pub const MAX_PATH: usize = 64;

/// Largest proof text accepted, in bytes.
pub const MAX_PROOF_BYTES: usize = 2 * MAX_NOTE_BYTES;

/// Why a tlog-proof text does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogProofError {
    /// Over [`MAX_PROOF_BYTES`].
    #[error("tlog-proof is larger than {MAX_PROOF_BYTES} bytes")]
    TooLarge,
    /// A line that is not what the format requires there.
    #[error("tlog-proof line {line}: {why}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        why: &'static str,
    },
    /// The embedded checkpoint is not a well-formed signed checkpoint note.
    #[error("tlog-proof checkpoint: {0}")]
    Checkpoint(String),
}

/// A parsed tlog-proof@v1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data (not authenticated by the proof itself).
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry.
    pub index: u64,
    /// Inclusion path, from the leaf's sibling up to the root's child.
    pub path: Vec<Hash>,
    /// The checkpoint signed note (text and signature lines), verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// Parses a proof strictly: header, optional non-empty `extra`, canonical `index`, base64
    /// 32-byte path lines, an empty line, then a well-formed signed checkpoint note.
    pub fn parse(s: &str) -> Result<Self, TlogProofError> {
        if s.len() > MAX_PROOF_BYTES {
            return Err(TlogProofError::TooLarge);
        }
        let err = |line, why| TlogProofError::Line { line, why };
        let mut rest = s;
        let mut n = 0usize;
        let mut next = || {
            n += 1;
            let (line, tail) = rest.split_once('\n')?;
            rest = tail;
            Some((n, line))
        };
        match next() {
            Some((_, HEADER)) => {}
            _ => return Err(err(1, "expected `c2sp.org/tlog-proof@v1`")),
        }
        let (mut ln, mut line) = next().ok_or(err(2, "expected `extra` or `index`"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            let data = B64
                .decode(b64)
                .map_err(|_| err(ln, "extra is not base64"))?;
            if data.is_empty() {
                return Err(err(ln, "extra line without data (omit the line instead)"));
            }
            extra = Some(data);
            (ln, line) = next().ok_or(err(ln + 1, "expected `index`"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or(err(ln, "expected `index <decimal without leading zeroes>`"))?;
        let mut path = Vec::new();
        loop {
            let (ln, line) = next().ok_or(err(
                ln + path.len() + 1,
                "expected a path hash or an empty line",
            ))?;
            if line.is_empty() {
                break;
            }
            if path.len() == MAX_PATH {
                return Err(err(ln, "inclusion path longer than 64 hashes"));
            }
            let h = B64
                .decode(line)
                .ok()
                .and_then(|v| <Hash>::try_from(v).ok())
                .ok_or(err(ln, "path line is not a base64 32-byte hash"))?;
            path.push(h);
        }
        let note = parse_note(rest).map_err(|e| TlogProofError::Checkpoint(e.to_string()))?;
        Checkpoint::parse(&note.text).map_err(TlogProofError::Checkpoint)?;
        Ok(Self {
            extra,
            index,
            path,
            checkpoint: rest.to_owned(),
        })
    }

    /// The proof text.
    pub fn to_text(&self) -> String {
        let mut s = format!("{HEADER}\n");
        if let Some(e) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Checks the proof for `leaf` (the RFC 6962 leaf hash the caller computed) against the log
    /// key `log`: the checkpoint is signed by `log` under the origin `log.name`, and the path
    /// proves `leaf` at `index` in the checkpoint's tree. Cosignatures are not checked here.
    pub fn check(&self, leaf: &Hash, log: &Verifier) -> Result<Checkpoint, String> {
        let (note, _) = open_with(&self.checkpoint, std::slice::from_ref(log))
            .map_err(|e| format!("proof checkpoint: {e}"))?;
        let cp = Checkpoint::parse(&note.text).map_err(|e| format!("proof checkpoint: {e}"))?;
        self.check_inclusion(leaf, &cp)?;
        Ok(cp)
    }

    /// Checks only the inclusion of `leaf` at `index` under `cp`'s root.
    pub fn check_inclusion(&self, leaf: &Hash, cp: &Checkpoint) -> Result<(), String> {
        if self.index >= cp.size {
            return Err(format!(
                "index {} is outside the checkpoint's tree of size {}",
                self.index, cp.size
            ));
        }
        match root_from_inclusion(self.index, cp.size, leaf, &self.path) {
            Some(r) if r == cp.root => Ok(()),
            _ => Err(format!(
                "inclusion proof for index {} does not lead to the root of the checkpoint of size {}",
                self.index, cp.size
            )),
        }
    }
}

#[cfg(test)]
mod tests;
