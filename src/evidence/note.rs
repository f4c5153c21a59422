//! C2SP signed notes and the two notes aimsgate writes: `tlog-checkpoint` tree heads and the
//! prune anchor left behind by retention. Owns text formats and signatures only; where notes
//! are stored is the writer's business.
//!
//! Checkpoint note (C2SP tlog-checkpoint inside a C2SP signed-note):
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
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::keys::{note_key_hash, KeyPair, PublicKey};
use super::merkle::{CompactRange, Hash};

/// The em dash that starts a signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// A note whose signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The signed text.
    pub text: String,
    /// The key that signed it.
    pub key_id: String,
}

/// Signs `text` (which must end with a newline) as a signed note under `name`.
pub fn sign_note(text: &str, name: &str, key: &KeyPair) -> String {
    let mut blob = note_key_hash(name, &key.public_bytes()).to_vec();
    blob.extend_from_slice(&key.sign(text.as_bytes()));
    format!("{text}\n{SIG_PREFIX}{name} {}\n", B64.encode(blob))
}

/// Verifies a signed note against any of `keys`; returns the text and the signer.
pub fn open_note(note: &str, keys: &[PublicKey]) -> Result<Verified, String> {
    let Some(split) = note.find("\n\n") else {
        return Err("signed note has no blank line before its signatures".into());
    };
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    let name = text.lines().next().unwrap_or_default();
    let mut saw = 0usize;
    for line in sigs.lines().filter(|l| !l.is_empty()) {
        let Some(rest) = line.strip_prefix(SIG_PREFIX) else {
            return Err("signature line does not start with an em dash".into());
        };
        let Some((sig_name, b64)) = rest.rsplit_once(' ') else {
            return Err("signature line has no name".into());
        };
        saw += 1;
        let Ok(blob) = B64.decode(b64) else {
            return Err("signature is not base64".into());
        };
        let (Some(hash), Some(sig)) = (
            blob.get(..4),
            blob.get(4..).and_then(|s| <&[u8; 64]>::try_from(s).ok()),
        ) else {
            return Err("signature blob is not 4 + 64 bytes".into());
        };
        for k in keys {
            if sig_name == name && note_key_hash(sig_name, k.key.as_bytes()) == hash {
                if k.verify(text.as_bytes(), sig) {
                    return Ok(Verified {
                        text: text.to_owned(),
                        key_id: k.key_id.clone(),
                    });
                }
                return Err(format!("signature by key {} does not verify", k.key_id));
            }
        }
    }
    if saw == 0 {
        return Err("signed note carries no signature".into());
    }
    Err("no signature by a trusted key".into())
}

/// A parsed tree head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log origin.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// RFC 6962 root of those entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint body text.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Signs it into a note.
    pub fn sign(&self, key: &KeyPair) -> String {
        sign_note(&self.text(), &self.origin, key)
    }

    /// Parses checkpoint body text (extension lines after the root are ignored).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut l = text.lines();
        let origin = l
            .next()
            .filter(|o| !o.is_empty())
            .ok_or("checkpoint has no origin line")?;
        let size = l
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or("checkpoint tree size is not a decimal number")?;
        let root = l
            .next()
            .and_then(|s| B64.decode(s).ok())
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or("checkpoint root is not a base64 32-byte hash")?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// What retention left behind: where the retained log starts and the pruned prefix's subtrees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The log origin.
    pub origin: String,
    /// First retained sequence number.
    pub first: u64,
    /// Entry hash of entry `first - 1`.
    pub prev: Hash,
    /// `(start, size, hash)` perfect subtrees covering `[0, first)`.
    pub nodes: Vec<(u64, u64, Hash)>,
}

impl Anchor {
    /// The anchor body text.
    pub fn text(&self) -> String {
        let mut s = format!(
            "{}\naimsgate-prune-anchor v1\nfirst {}\nprev {}\n",
            self.origin,
            self.first,
            B64.encode(self.prev)
        );
        for (start, size, h) in &self.nodes {
            s.push_str(&format!("node {start} {size} {}\n", B64.encode(h)));
        }
        s
    }

    /// Parses the anchor text and checks the subtrees cover exactly `[0, first)`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hash = |s: &str| {
            B64.decode(s)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
        };
        let mut l = text.lines();
        let origin = l.next().ok_or("anchor has no origin")?.to_owned();
        if l.next() != Some("aimsgate-prune-anchor v1") {
            return Err("anchor header line missing".into());
        }
        let first = l
            .next()
            .and_then(|s| s.strip_prefix("first "))
            .and_then(|s| s.parse().ok())
            .ok_or("anchor `first` line invalid")?;
        let prev = l
            .next()
            .and_then(|s| s.strip_prefix("prev "))
            .and_then(hash)
            .ok_or("anchor `prev` line invalid")?;
        let mut nodes = Vec::new();
        for line in l {
            let mut p = line.split(' ');
            let (Some("node"), Some(a), Some(b), Some(h), None) =
                (p.next(), p.next(), p.next(), p.next(), p.next())
            else {
                return Err("anchor `node` line invalid".into());
            };
            let (Ok(a), Ok(b), Some(h)) = (a.parse(), b.parse(), hash(h)) else {
                return Err("anchor `node` line invalid".into());
            };
            nodes.push((a, b, h));
        }
        let anchor = Self {
            origin,
            first,
            prev,
            nodes,
        };
        match anchor.range() {
            Some(r) if r.size() == first => Ok(anchor),
            _ => Err("anchor subtrees do not cover the pruned prefix".into()),
        }
    }

    /// The pruned prefix as a compact range.
    pub fn range(&self) -> Option<CompactRange> {
        CompactRange::from_nodes(&self.nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_note_round_trips_and_rejects_other_keys_and_edits() {
        let k = KeyPair::generate();
        let cp = Checkpoint {
            origin: "gw.example/log".into(),
            size: 42,
            root: [9; 32],
        };
        let note = cp.sign(&k);
        assert!(note.starts_with("gw.example/log\n42\n"));
        assert!(note.contains("\n\n\u{2014} gw.example/log "));
        let v = open_note(&note, &[k.public()]).unwrap();
        assert_eq!(Checkpoint::parse(&v.text).unwrap(), cp);
        let other = KeyPair::generate();
        assert!(open_note(&note, &[other.public()]).is_err());
        let edited = note.replacen("\n42\n", "\n41\n", 1);
        assert!(open_note(&edited, &[k.public()])
            .unwrap_err()
            .contains("does not verify"));
    }

    #[test]
    fn anchor_round_trips_and_checks_cover() {
        let mut cr = CompactRange::default();
        for i in 0..11u8 {
            cr.push([i; 32]);
        }
        let a = Anchor {
            origin: "o".into(),
            first: 11,
            prev: [10; 32],
            nodes: cr.nodes(),
        };
        assert_eq!(Anchor::parse(&a.text()).unwrap(), a);
        let bad = Anchor {
            first: 12,
            ..a.clone()
        };
        assert!(Anchor::parse(&bad.text()).is_err());
    }
}
