//! Stored entries, checkpoint frames and their framing on disk. Owns the exact byte layouts;
//! knows nothing of files, keys on disk or the chain rules (see `verify`).
//!
//! Entry bytes (what is hashed into the chain and the Merkle tree), format v2 (written now):
//! ```text
//! 0x02 (version) | body
//! ```
//! where `body` is the encoded `Record`. Entries carry no signature: the signed checkpoints
//! (tree heads) cover them. Format v1 (logs written before v2, still read and verified):
//! ```text
//! 0x01 (version) | u16 BE key id length | key id (ASCII) | 64-byte ed25519 signature | body
//! ```
//! where the signature covers exactly `body`. The entry hash is the RFC 6962 leaf hash
//! `SHA-256(0x00 || entry bytes)`: it is the Merkle leaf. The chain link `prev_body_hash` of
//! each record is `SHA-256(0x00 || body)` of the previous entry's body (either version).
//!
//! Checkpoint frame bytes: `0x10 | signed note text (UTF-8)`, a C2SP checkpoint signed by the
//! log key. It is not a Merkle leaf and takes no sequence number; the writer puts one after
//! every durable group, in the same write, so one fsync makes both durable.
//!
//! Frame in a segment file: `u32 BE length of frame bytes | u32 BE CRC-32 (IEEE) of frame
//! bytes | frame bytes`.
use prost::Message as _;

use super::merkle::{leaf_hash, Hash};
use super::proto::Record;

/// Entry format version byte of v1 entries (signed one by one).
pub const ENTRY_V1: u8 = 1;
/// Entry format version byte of v2 entries (unsigned Merkle leaves).
pub const ENTRY_V2: u8 = 2;
/// First byte of a checkpoint frame.
pub const CHECKPOINT_TAG: u8 = 0x10;
/// Upper bound on one entry's size; longer length prefixes are treated as corruption.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
/// Frame header size (length + CRC).
pub const FRAME_HEADER: usize = 8;

/// A parsed stored entry borrowing its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// v1 only: id of the signing key and the ed25519 signature over `body`.
    pub signed: Option<(&'a str, &'a [u8; 64])>,
    /// Encoded `Record`.
    pub body: &'a [u8],
}

impl<'a> EntryRef<'a> {
    /// The v1 signing key id (empty for v2 entries).
    pub fn key_id(&self) -> &'a str {
        self.signed.map_or("", |s| s.0)
    }

    /// The v1 signature (`None` for v2 entries).
    pub fn signature(&self) -> Option<&'a [u8; 64]> {
        self.signed.map(|s| s.1)
    }

    /// The entry format version byte.
    pub fn version(&self) -> u8 {
        if self.signed.is_some() {
            ENTRY_V1
        } else {
            ENTRY_V2
        }
    }
}

/// What one frame of a segment holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored<'a> {
    /// A log entry (a Merkle leaf).
    Entry(EntryRef<'a>),
    /// A signed checkpoint note.
    Checkpoint(&'a str),
}

/// Why entry bytes did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Fewer bytes than the layout needs.
    #[error("entry is truncated")]
    Truncated,
    /// Unknown version byte.
    #[error("unknown entry version {0}")]
    Version(u8),
    /// Key id is not printable ASCII.
    #[error("key id is not printable ASCII")]
    KeyId,
    /// A checkpoint frame where an entry was expected, or one whose note is not UTF-8.
    #[error("checkpoint frame is not an entry, or its note is not UTF-8")]
    Checkpoint,
}

/// Encodes v2 entry bytes (the format the writer writes).
pub fn encode_entry_v2(body: &[u8], out: &mut Vec<u8>) {
    out.push(ENTRY_V2);
    out.extend_from_slice(body);
}

/// Appends a checkpoint frame holding the signed `note` to `out`.
pub fn encode_checkpoint_frame(note: &str, out: &mut Vec<u8>) {
    let mut bytes = Vec::with_capacity(note.len() + 1);
    bytes.push(CHECKPOINT_TAG);
    bytes.extend_from_slice(note.as_bytes());
    encode_frame(&bytes, out);
}

/// Parses the bytes of one frame: an entry of either version, or a checkpoint.
pub fn parse_stored(bytes: &[u8]) -> Result<Stored<'_>, EntryError> {
    match bytes.split_first() {
        Some((&CHECKPOINT_TAG, note)) => std::str::from_utf8(note)
            .map(Stored::Checkpoint)
            .map_err(|_| EntryError::Checkpoint),
        _ => parse_entry(bytes).map(Stored::Entry),
    }
}

/// True when frame bytes are a checkpoint frame (not a Merkle leaf).
pub fn is_checkpoint(bytes: &[u8]) -> bool {
    bytes.first() == Some(&CHECKPOINT_TAG)
}

/// Encodes v1 entry bytes (kept for golden files and tests of v1 logs).
pub fn encode_entry(key_id: &str, signature: &[u8; 64], body: &[u8], out: &mut Vec<u8>) {
    let kid = key_id.as_bytes();
    let kid_len = u16::try_from(kid.len()).unwrap_or(u16::MAX);
    out.push(ENTRY_V1);
    out.extend_from_slice(&kid_len.to_be_bytes());
    out.extend_from_slice(&kid[..usize::from(kid_len)]);
    out.extend_from_slice(signature);
    out.extend_from_slice(body);
}

/// Parses entry bytes of either version (never panics on any input).
pub fn parse_entry(bytes: &[u8]) -> Result<EntryRef<'_>, EntryError> {
    let (&ver, rest) = bytes.split_first().ok_or(EntryError::Truncated)?;
    match ver {
        ENTRY_V2 => {
            return Ok(EntryRef {
                signed: None,
                body: rest,
            })
        }
        ENTRY_V1 => {}
        CHECKPOINT_TAG => return Err(EntryError::Checkpoint),
        v => return Err(EntryError::Version(v)),
    }
    let (len, rest) = rest.split_at_checked(2).ok_or(EntryError::Truncated)?;
    let kid_len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    let (kid, rest) = rest
        .split_at_checked(kid_len)
        .ok_or(EntryError::Truncated)?;
    let (sig, body) = rest.split_at_checked(64).ok_or(EntryError::Truncated)?;
    let key_id = std::str::from_utf8(kid).map_err(|_| EntryError::KeyId)?;
    if !key_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(EntryError::KeyId);
    }
    let signature: &[u8; 64] = sig.try_into().map_err(|_| EntryError::Truncated)?;
    Ok(EntryRef {
        signed: Some((key_id, signature)),
        body,
    })
}

/// The chain / Merkle leaf hash of entry bytes.
pub fn entry_hash(entry_bytes: &[u8]) -> Hash {
    leaf_hash(entry_bytes)
}

/// The chain link hash of a body.
pub fn body_hash(body: &[u8]) -> Hash {
    leaf_hash(body)
}

/// Decodes the record body.
pub fn decode_record(body: &[u8]) -> Result<Record, prost::DecodeError> {
    Record::decode(body)
}

/// Appends a frame holding `entry` to `out`.
pub fn encode_frame(entry: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(entry.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(entry).to_be_bytes());
    out.extend_from_slice(entry);
}

/// Result of reading one frame at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole frame whose CRC matches: entry bytes and total frame length.
    Ok(&'a [u8], usize),
    /// The buffer ends inside the frame (a torn write).
    Short,
    /// Length prefix out of range or CRC mismatch.
    Bad(&'static str),
}

/// Reads one frame from the start of `buf`.
pub fn read_frame(buf: &[u8]) -> Frame<'_> {
    let Some(hdr) = buf.get(..FRAME_HEADER) else {
        return Frame::Short;
    };
    let len = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    let crc = u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    if len == 0 || len > MAX_ENTRY_BYTES {
        return Frame::Bad("length prefix out of range");
    }
    let Some(entry) = buf.get(FRAME_HEADER..FRAME_HEADER + len) else {
        return Frame::Short;
    };
    if crc32fast::hash(entry) != crc {
        return Frame::Bad("CRC mismatch");
    }
    Frame::Ok(entry, FRAME_HEADER + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trips_and_rejects_garbage() {
        let mut e = Vec::new();
        encode_entry("0123456789abcdef", &[7u8; 64], b"body", &mut e);
        let p = parse_entry(&e).unwrap();
        assert_eq!(
            (p.signed.map(|s| s.0), p.body, p.version()),
            (Some("0123456789abcdef"), &b"body"[..], ENTRY_V1)
        );
        assert_eq!(parse_entry(&e[..10]), Err(EntryError::Truncated));
        assert_eq!(parse_entry(&[3, 0, 0]), Err(EntryError::Version(3)));
        let mut v2 = Vec::new();
        encode_entry_v2(b"body", &mut v2);
        let p2 = parse_entry(&v2).unwrap();
        assert_eq!(
            (p2.signed, p2.body, p2.version()),
            (None, &b"body"[..], ENTRY_V2)
        );
        let mut cf = Vec::new();
        encode_checkpoint_frame("o\n1\nAAAA\n\n\u{2014} o x\n", &mut cf);
        let Frame::Ok(bytes, _) = read_frame(&cf) else {
            panic!("checkpoint frame does not read back")
        };
        assert!(is_checkpoint(bytes));
        assert_eq!(parse_entry(bytes), Err(EntryError::Checkpoint));
        assert!(
            matches!(parse_stored(bytes), Ok(Stored::Checkpoint(n)) if n.starts_with("o\n1\n"))
        );
        assert!(matches!(parse_stored(&v2), Ok(Stored::Entry(_))));
        let mut f = Vec::new();
        encode_frame(&e, &mut f);
        assert_eq!(read_frame(&f), Frame::Ok(&e[..], f.len()));
        assert_eq!(read_frame(&f[..f.len() - 1]), Frame::Short);
        f[9] ^= 1;
        assert_eq!(read_frame(&f), Frame::Bad("CRC mismatch"));
        assert_eq!(
            read_frame(&[0xff; 12]),
            Frame::Bad("length prefix out of range")
        );
    }
}
