//! The two note texts aimsgate signs: a C2SP tlog-checkpoint tree head ([`Checkpoint`]) and
//! the prune anchor ([`Anchor`]) retention leaves behind (formats in the parent module doc).
//! Owns text layout only; signing and verification are in the parent module.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::signed::sign_note;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{CompactRange, Hash};

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

    /// Parses checkpoint note text strictly (C2SP tlog-checkpoint): a non-empty origin line, a
    /// decimal size without leading zeroes or sign, a base64 32-byte root, then optional
    /// non-empty extension lines (ignored); the text ends with a newline.
    pub fn parse(text: &str) -> Result<Self, String> {
        let body = text
            .strip_suffix('\n')
            .ok_or("checkpoint text does not end with a newline")?;
        let mut l = body.split('\n');
        let origin = l
            .next()
            .filter(|o| !o.is_empty())
            .ok_or("checkpoint has no origin line")?;
        let size = l
            .next()
            .and_then(parse_decimal)
            .ok_or("checkpoint tree size is not a decimal number without leading zeroes")?;
        let root = l
            .next()
            .and_then(|s| B64.decode(s).ok())
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or("checkpoint root is not a base64 32-byte hash")?;
        if l.any(str::is_empty) {
            return Err("checkpoint has an empty extension line".into());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// A canonical ASCII decimal `u64`: digits only, no leading zero unless the number is `0`.
pub fn parse_decimal(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
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
