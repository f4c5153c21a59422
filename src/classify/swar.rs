//! Eight bytes at a time in a `u64` (SWAR): per-byte range and equality tests for the byte scans
//! of the pre-filter (digits, `:`, `@`), the name detector (capital letters) and the fold check
//! (non-ASCII bytes), and the vectorised any-byte pre-check in front of them.
//!
//! Owns the bit arithmetic only; what the bytes mean is each caller's.

/// One in each byte.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Bit 7 of each byte.
pub(crate) const HI: u64 = ONES * 0x80;

/// Bit 7 of each byte of the result is set where that byte of `w` is in `lo..=hi`; both bounds
/// on the same side of 0x80. Per byte, the low seven bits plus `0x80 - x` reach bit 7 exactly
/// when they are ≥ `x`, and never carry into the next byte.
#[inline]
pub(crate) fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    let high = w & HI;
    let low7 = w & !HI;
    let ge = |x: u8| low7 + ONES * (0x80 - u64::from(x.min(0x80)));
    let (base, side) = if lo >= 0x80 { (0x80, high) } else { (0, !high) };
    ge(lo - base) & !ge(hi.saturating_sub(base).saturating_add(1)) & side & HI
}

/// Bit 7 of each byte of the result is set where that byte of `w` is `b`.
#[inline]
pub(crate) fn eq(w: u64, b: u8) -> u64 {
    let v = w ^ (ONES * u64::from(b));
    // Bit 7 of `nonzero` is set where a byte of `v` is not zero.
    let nonzero = ((v & !HI) + !HI) | v;
    !nonzero & HI
}

/// The eight bytes from `at`, zero-padded past the end of `hay` (a zero byte is no letter, digit
/// or non-ASCII lead, so no caller's mask marks it); `None` once `at` is past the end.
#[inline]
pub(crate) fn word_at(hay: &[u8], at: usize) -> Option<u64> {
    let rest = hay.get(at..).filter(|r| !r.is_empty())?;
    if let Some(w) = rest.get(..8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        return Some(u64::from_le_bytes(w));
    }
    let mut w = [0u8; 8];
    let n = rest.len().min(8);
    w[..n].copy_from_slice(&rest[..n]);
    Some(u64::from_le_bytes(w))
}

/// Some byte of `bytes` satisfies `pred`: 64 bytes per step with no early exit inside a step,
/// so the compiler vectorises it (a pre-check before the word-at-a-time scans).
#[inline]
pub(crate) fn any(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    bytes
        .chunks(64)
        .any(|c| c.iter().fold(false, |any, &b| any | pred(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `mask` agrees with `want` on each byte value at each position, among fillers of every
    /// kind (no carry or borrow leaks between bytes).
    fn check(mask: impl Fn(u64) -> u64, want: impl Fn(u8) -> bool) {
        for filler in [
            0x00, b'a', b'@', b'[', b'/', b';', 0x7F, 0x80, 0xB0, 0xC2, 0xCA, 0xFF,
        ] {
            for b in 0..=255u8 {
                for pos in 0..8 {
                    let mut w = [filler; 8];
                    w[pos] = b;
                    let m = mask(u64::from_le_bytes(w));
                    for (k, &x) in w.iter().enumerate() {
                        assert_eq!(m >> (k * 8 + 7) & 1 == 1, want(x), "{x:#04x} at {k}");
                    }
                    assert_eq!(m & !HI, 0);
                }
            }
        }
    }

    #[test]
    fn ranges_and_equality_hold_for_every_byte_at_every_position() {
        for (lo, hi) in [
            (b'A', b'Z'),
            (b'0', b':'),
            (0x00, 0x7F),
            (0xC3, 0xC9),
            (0x80, 0xFF),
        ] {
            check(|w| in_range(w, lo, hi), |x| (lo..=hi).contains(&x));
        }
        for b in [b'@', 0x00, 0xFF, 0x80] {
            check(|w| eq(w, b), |x| x == b);
        }
    }

    #[test]
    fn words_are_read_little_endian_and_zero_padded() {
        assert_eq!(
            word_at(b"abcdefghi", 1),
            Some(u64::from_le_bytes(*b"bcdefghi"))
        );
        assert_eq!(
            word_at(b"abcdefghi", 2),
            Some(u64::from_le_bytes(*b"cdefghi\0"))
        );
        assert_eq!(
            word_at(b"abc", 1),
            Some(u64::from_le_bytes(*b"bc\0\0\0\0\0\0"))
        );
        assert_eq!(word_at(b"abc", 3), None);
        assert_eq!(word_at(b"abc", usize::MAX), None);
        assert!(any(&[b'a'; 200], |b| b == b'a') && !any(&[b'a'; 200], |b| b == b'b'));
        assert!(any(b"xyz", |b| b == b'z') && !any(b"", |_| true));
    }
}
