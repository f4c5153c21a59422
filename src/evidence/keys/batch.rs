//! Batch verification of many ed25519 signatures made by the same key (the common case in a
//! log: one key signs thousands of consecutive entries). A pure accelerator: it only answers
//! "all valid" or "look closer"; callers re-check a rejected batch one signature at a time with
//! `verify_strict` to name the failing record, so the verdict for a bad batch never depends on it.
//!
//! Method: with fresh random 128-bit weights `z_i`, a batch of `(R_i, s_i)` over messages `M_i`
//! under key `A` is accepted iff
//! `8 * ( -(sum z_i s_i) B + sum z_i R_i + (sum z_i k_i) A ) = identity`,
//! where `k_i = SHA-512(R_i || A || M_i) mod l`. Because every signature shares `A`, its
//! weights fold into one scalar: the multiscalar multiplication has `n + 2` points instead of
//! the `2n + 1` of a general batch verifier, and the `R_i` weights are only 128 bits wide.
//! If any signature is invalid the equation holds with probability about 2^-128. Encodings are
//! checked as `verify_strict` does (canonical `s`, decodable `R`, key not of small order).
//! Deliberately does not locate faults or know entries.
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::VerifyingKey;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha512};

/// True if every `(message, signature)` verifies under `key` (see module docs); false means
/// at least one may not, or the batch could not be checked (e.g. no randomness available).
pub(crate) fn verify_same_key(key: &VerifyingKey, items: &[(&[u8], &[u8; 64])]) -> bool {
    if items.is_empty() {
        return true;
    }
    if key.is_weak() {
        return false;
    }
    let mut weights = vec![0u8; 16 * items.len()];
    if OsRng.try_fill_bytes(&mut weights).is_err() {
        return false;
    }
    let a_bytes = key.as_bytes();
    let mut scalars = Vec::with_capacity(items.len() + 2);
    let mut points = Vec::with_capacity(items.len() + 2);
    let (mut b_sum, mut a_sum) = (Scalar::ZERO, Scalar::ZERO);
    for ((msg, sig), w) in items.iter().zip(weights.chunks_exact(16)) {
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&sig[..32]);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&sig[32..]);
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
            return false;
        };
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            return false;
        };
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(a_bytes);
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let mut z_bytes = [0u8; 32];
        z_bytes[..16].copy_from_slice(w);
        let z = Scalar::from_bytes_mod_order(z_bytes);
        b_sum += z * s;
        a_sum += z * k;
        scalars.push(z);
        points.push(r);
    }
    scalars.push(-b_sum);
    points.push(ED25519_BASEPOINT_POINT);
    scalars.push(a_sum);
    points.push(key.to_edwards());
    EdwardsPoint::vartime_multiscalar_mul(scalars.iter(), points.iter())
        .mul_by_cofactor()
        .is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    type Signed = Vec<(Vec<u8>, [u8; 64])>;

    fn signed(n: usize) -> (SigningKey, Signed) {
        let sk = SigningKey::from_bytes(&[3u8; 32]);
        let v = (0..n)
            .map(|i| {
                let m = format!("message {i}").into_bytes();
                let s = sk.sign(&m).to_bytes();
                (m, s)
            })
            .collect();
        (sk, v)
    }

    fn refs(v: &[(Vec<u8>, [u8; 64])]) -> Vec<(&[u8], &[u8; 64])> {
        v.iter().map(|(m, s)| (&m[..], s)).collect()
    }

    #[test]
    fn accepts_valid_batches_and_rejects_any_single_alteration() {
        let (sk, mut v) = signed(40);
        let vk = sk.verifying_key();
        assert!(verify_same_key(&vk, &refs(&v)));
        assert!(verify_same_key(&vk, &[]));
        // A flipped message bit, R bit or s bit anywhere in the batch is caught.
        for (i, field) in [(0usize, 0usize), (17, 1), (39, 2)] {
            let orig = v[i].clone();
            match field {
                0 => v[i].0[0] ^= 1,
                1 => v[i].1[5] ^= 1,
                _ => v[i].1[40] ^= 1,
            }
            assert!(!verify_same_key(&vk, &refs(&v)), "item {i} field {field}");
            v[i] = orig;
        }
        // Two signatures swapped between their messages.
        let mut w = refs(&v);
        let (s3, s4) = (w[3].1, w[4].1);
        (w[3].1, w[4].1) = (s4, s3);
        assert!(!verify_same_key(&vk, &w));
        // The wrong key.
        let other = SigningKey::from_bytes(&[4u8; 32]).verifying_key();
        let (_, v2) = signed(5);
        assert!(!verify_same_key(&other, &refs(&v2)));
    }

    #[test]
    fn rejects_non_canonical_s() {
        let (sk, mut v) = signed(3);
        // s + l is the same scalar mod l but a non-canonical encoding: verify_strict refuses it.
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (b, x) in v[1].1[32..].iter_mut().zip(l) {
            let t = u16::from(*b) + u16::from(x) + carry;
            *b = t as u8;
            carry = t >> 8;
        }
        assert!(!verify_same_key(&sk.verifying_key(), &refs(&v)));
    }
}
