//! Stored entries and their framing on disk. Owns the exact byte layouts; knows nothing of
//! files, keys on disk or the chain rules (see `verify`).
//!
//! Entry bytes (what is hashed into the chain and the Merkle tree):
//! ```text
//! 0x01 (version) | u16 BE key id length | key id (ASCII) | 64-byte ed25519 signature | body
//! ```
//! where `body` is the encoded `Record` (the rest of the entry) and the signature covers
//! exactly `body`. The entry hash is the RFC 6962 leaf hash `SHA-256(0x00 || entry bytes)`:
//! it is the Merkle leaf, so checkpoints cover signatures and key ids too. The chain link
//! `prev_body_hash` of each record is `SHA-256(0x00 || body)` of the previous entry's body, so
//! bodies can be signed in parallel once sequenced.
//!
//! Frame in a segment file: `u32 BE length of entry bytes | u32 BE CRC-32 (IEEE) of entry
//! bytes | entry bytes`.
use prost::Message as _;

use super::merkle::{leaf_hash, Hash};
use super::proto::Record;

/// Entry format version byte.
pub const ENTRY_VERSION: u8 = 1;
/// Upper bound on one entry's size; longer length prefixes are treated as corruption.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
/// Frame header size (length + CRC).
pub const FRAME_HEADER: usize = 8;

/// A parsed stored entry borrowing its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// Id of the signing key.
    pub key_id: &'a str,
    /// ed25519 signature over `body`.
    pub signature: &'a [u8; 64],
    /// Encoded `Record`.
    pub body: &'a [u8],
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
}

/// Encodes entry bytes.
pub fn encode_entry(key_id: &str, signature: &[u8; 64], body: &[u8], out: &mut Vec<u8>) {
    let kid = key_id.as_bytes();
    let kid_len = u16::try_from(kid.len()).unwrap_or(u16::MAX);
    out.push(ENTRY_VERSION);
    out.extend_from_slice(&kid_len.to_be_bytes());
    out.extend_from_slice(&kid[..usize::from(kid_len)]);
    out.extend_from_slice(signature);
    out.extend_from_slice(body);
}

/// Parses entry bytes (never panics on any input).
pub fn parse_entry(bytes: &[u8]) -> Result<EntryRef<'_>, EntryError> {
    let (&ver, rest) = bytes.split_first().ok_or(EntryError::Truncated)?;
    if ver != ENTRY_VERSION {
        return Err(EntryError::Version(ver));
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
        key_id,
        signature,
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
        assert_eq!((p.key_id, p.body), ("0123456789abcdef", &b"body"[..]));
        assert_eq!(parse_entry(&e[..10]), Err(EntryError::Truncated));
        assert_eq!(parse_entry(&[2, 0, 0]), Err(EntryError::Version(2)));
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
