//! Small helpers every evidence file uses: lowercase [`hex`] and the wall clock
//! ([`now_nanos`]).
//!
//! A leaf: imports nothing, so every file of `evidence` (the generated schema's serde helper
//! included) can use it without importing the parent.

/// Lowercase hex.
pub(crate) fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(D[usize::from(x >> 4)]));
        s.push(char::from(D[usize::from(x & 15)]));
    }
    s
}

/// The current time in unix nanoseconds (saturating).
pub(crate) fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
