//! Private key bodies without their PEM armour: a base64 block whose decoded start is the DER
//! header of a private key (PKCS#1 RSA / DSA: `SEQUENCE { INTEGER 0, INTEGER … }`, PKCS#8:
//! `SEQUENCE { INTEGER 0|1, SEQUENCE … }`, SEC1 EC: `SEQUENCE { INTEGER 1, OCTET STRING … }`),
//! or an OpenSSH `openssh-key-v1` body. Certificates, public keys (SPKI, PKCS#1 public), CMS and
//! PKCS#12 blobs have other headers and are not reported.
//!
//! The engine proposes only the first 16 base64 chars (`M[C-I]…`, anchored on a few literal
//! prefixes); this validator decodes them, reads the DER length and walks the block forward
//! (base64 lines separated by single line breaks) until the declared length is covered. A block
//! cut short (truncated key, or a key still being streamed) is reported up to where it stops.
//! The walk is bounded by the declared length (≤ 64 KiB) and the engine resumes after it, so the
//! cost stays linear. Owns no armoured PEM handling (see `secrets::private_key`).

use base64::Engine as _;

use super::cand::Cand;
use super::types::Finding;
use super::validate::{byte_at, byte_before};

/// Largest DER body accepted (two-byte length form).
const MAX_DER: usize = 0xFFFF;
/// Fewest base64 data chars for a key (an Ed25519 PKCS#8 key has 64).
const MIN_CHARS: usize = 64;
/// The base64 of `openssh-key-v1\0`.
pub(crate) const OPENSSH_MAGIC: &str = "b3BlbnNzaC1rZXktdjE";

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Total DER length (header included) if `der` starts like a private key structure.
fn private_key_der_len(der: &[u8]) -> Option<usize> {
    if der.first() != Some(&0x30) {
        return None;
    }
    let (hdr, len) = match *der.get(1)? {
        n if n < 0x80 => (2usize, usize::from(n)),
        0x81 => (3, usize::from(*der.get(2)?)),
        0x82 => (
            4,
            usize::from(*der.get(2)?) << 8 | usize::from(*der.get(3)?),
        ),
        _ => return None,
    };
    let body = der.get(hdr..)?;
    let (Some(0x02), Some(0x01), Some(&version), Some(&next)) =
        (body.first(), body.get(1), body.get(2), body.get(3))
    else {
        return None;
    };
    let shaped = matches!((version, next), (0, 0x02) | (0 | 1, 0x30) | (1, 0x04));
    (shaped && len <= MAX_DER).then_some(hdr + len)
}

/// Walk base64 data chars from `from`, lines separated by one `\n`, `\r\n` or a literal `\n`
/// escape, until `need` data chars (then any `=` padding) or the block ends.
/// Returns (end offset, data chars seen).
fn walk(text: &str, from: usize, limit: usize, need: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let (mut i, mut n, mut end) = (from, 0usize, from);
    while i < limit && n < need {
        match bytes.get(i) {
            Some(&b) if is_b64(b) => {
                n += 1;
                i += 1;
                end = i;
            }
            Some(b'\n') => i += 1,
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            Some(b'\\') if bytes.get(i + 1) == Some(&b'n') => i += 2,
            _ => break,
        }
        // One line break between lines: two in a row end the block.
        if i > end && i < limit && !bytes.get(i).copied().is_some_and(is_b64) {
            break;
        }
    }
    let mut pad = 0;
    while pad < 2 && end < limit && byte_at(text, end) == Some(b'=') {
        end += 1;
        pad += 1;
    }
    (end, n)
}

/// Confirm a bare key body starting at `c.start`; returns where the scan resumes.
pub(crate) fn bare_private_key(c: &Cand<'_>, out: &mut Vec<Finding>) -> usize {
    let text = c.text;
    if byte_before(text, c.start).is_some_and(|b| is_b64(b) || b == b'=') {
        return c.end;
    }
    let head = text.get(c.start..c.end).unwrap_or("");
    let need = if head.starts_with(OPENSSH_MAGIC) {
        MAX_DER.saturating_mul(4) / 3
    } else {
        let Some(prefix) = head.get(..16) else {
            return c.end;
        };
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(prefix) else {
            return c.end;
        };
        let Some(total) = private_key_der_len(&der) else {
            return c.end;
        };
        (total.saturating_mul(4)).div_ceil(3)
    };
    let (end, n) = walk(text, c.start, c.limit, need);
    let rest = text.get(end..).unwrap_or("");
    let elided = rest.starts_with("..") || rest.starts_with('…');
    if n >= MIN_CHARS && !elided {
        c.emit(out, "secret.private_key", c.start, end);
    }
    end.max(c.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_headers() {
        // PKCS#8 RSA, PKCS#1 RSA, SEC1 EC, PKCS#8 Ed25519.
        for h in [
            "308204bd020100300d",
            "308204a40201000282",
            "30770201010420",
            "302e020100300506",
        ] {
            let der: Vec<u8> = (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            assert!(private_key_der_len(&der).is_some(), "{h}");
        }
        // SPKI public key, certificate, PKCS#1 public key, PKCS#12 (version 3).
        for h in [
            "30820122300d0609",
            "308203c7308202af",
            "3082010a0282010100",
            "30820a0e020103",
        ] {
            let der: Vec<u8> = (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            assert!(private_key_der_len(&der).is_none(), "{h}");
        }
    }

    #[test]
    fn walk_stops_at_blank_lines_and_need() {
        let t = "abcd\nefgh\n\nijkl";
        assert_eq!(walk(t, 0, t.len(), 100), (9, 8));
        assert_eq!(walk(t, 0, t.len(), 6), (7, 6));
        let t = "abcd\\nef==x";
        assert_eq!(walk(t, 0, t.len(), 6), (10, 6));
    }
}
