//! The C2SP tlog-witness `add-checkpoint` request body and the checkpoint text inside it,
//! parsed strictly (untrusted input: never panics, fuzzed by `fuzz_targets/witness_request`):
//!
//! ```text
//! old <size>\n            decimal, no leading zeroes
//! <base64 hash>\n         0 to 63 consistency proof lines
//! \n
//! <checkpoint signed note>
//! ```
//!
//! Owns the byte format only; signatures are checked by the server with `evidence::note`, and
//! the consistency proof by `evidence::merkle`.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::evidence::merkle::Hash;

/// Most consistency proof lines a client may send (C2SP tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// A parsed `add-checkpoint` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    /// The size of the checkpoint the client believes the witness cosigned last.
    pub old: u64,
    /// The RFC 6962 consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint signed note (everything after the blank line).
    pub checkpoint: &'a str,
}

/// Why a body (or a checkpoint text) is malformed: the witness answers 400.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is not UTF-8.
    #[error("request body is not UTF-8")]
    NotUtf8,
    /// The first line is not `old <size>`.
    #[error("first line must be `old <size>` (decimal, no leading zeroes)")]
    OldLine,
    /// A proof line is not the base64 of a 32-byte hash.
    #[error("consistency proof line {0} is not a base64 32-byte hash")]
    ProofLine(usize),
    /// More than [`MAX_PROOF_LINES`] proof lines.
    #[error("more than {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    /// No blank line before the checkpoint.
    #[error("no blank line before the checkpoint")]
    NoBlankLine,
    /// The checkpoint text is not `origin`, `size`, `root hash` (+ non-empty extension lines).
    #[error("checkpoint: {0}")]
    Checkpoint(&'static str),
}

/// Parses an `add-checkpoint` body. The checkpoint note itself is returned unparsed.
pub fn parse_request(body: &[u8]) -> Result<AddCheckpoint<'_>, RequestError> {
    let text = std::str::from_utf8(body).map_err(|_| RequestError::NotUtf8)?;
    let (first, mut rest) = text.split_once('\n').ok_or(RequestError::OldLine)?;
    let old = first
        .strip_prefix("old ")
        .and_then(parse_decimal)
        .ok_or(RequestError::OldLine)?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest.split_once('\n').ok_or(RequestError::NoBlankLine)?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(RequestError::TooManyProofLines);
        }
        proof.push(parse_hash(line).ok_or(RequestError::ProofLine(proof.len() + 1))?);
    }
    Ok(AddCheckpoint {
        old,
        proof,
        checkpoint: rest,
    })
}

/// Encodes an `add-checkpoint` body (the client side of [`parse_request`]).
pub fn encode_request(old: u64, proof: &[Hash], checkpoint: &str) -> String {
    let mut s = format!("old {old}\n");
    for h in proof {
        s.push_str(&B64.encode(h));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(checkpoint);
    s
}

/// The first three lines of a C2SP checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The log origin.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The RFC 6962 root hash.
    pub root: Hash,
}

/// Parses checkpoint note text strictly (C2SP tlog-checkpoint): a non-empty origin, a decimal
/// size with no leading zeroes, a base64 32-byte root, then only non-empty extension lines,
/// the whole ending in a newline.
pub fn parse_checkpoint_text(text: &str) -> Result<CheckpointBody, RequestError> {
    use RequestError::Checkpoint as C;
    let body = text
        .strip_suffix('\n')
        .ok_or(C("text must end in a newline"))?;
    let mut lines = body.split('\n');
    let origin = lines
        .next()
        .filter(|o| !o.is_empty())
        .ok_or(C("empty origin line"))?;
    let size = lines.next().and_then(parse_decimal).ok_or(C(
        "tree size is not a decimal number without leading zeroes",
    ))?;
    let root = lines
        .next()
        .and_then(parse_hash)
        .ok_or(C("root hash is not a base64 32-byte hash"))?;
    if lines.any(str::is_empty) {
        return Err(C("empty extension line"));
    }
    Ok(CheckpointBody {
        origin: origin.to_owned(),
        size,
        root,
    })
}

/// ASCII decimal with no leading zeroes (except `0` itself) that fits a u64.
pub fn parse_decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// A canonical base64 32-byte hash.
pub fn parse_hash(s: &str) -> Option<Hash> {
    B64.decode(s).ok().and_then(|v| Hash::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CP: &str = "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/log AAAA\n";

    #[test]
    fn parses_the_spec_shape_and_round_trips() {
        let body = encode_request(3, &[[1; 32], [2; 32]], CP);
        let r = parse_request(body.as_bytes()).unwrap();
        assert_eq!(r.old, 3);
        assert_eq!(r.proof, vec![[1; 32], [2; 32]]);
        assert_eq!(r.checkpoint, CP);
        let empty = encode_request(0, &[], CP);
        assert!(empty.starts_with("old 0\n\nexample.com/log\n"));
        assert!(parse_request(empty.as_bytes()).unwrap().proof.is_empty());
    }

    #[test]
    fn refuses_malformed_bodies() {
        let h = B64.encode([7u8; 32]);
        for (body, want) in [
            ("old 01\n\n".to_owned(), RequestError::OldLine),
            ("old -1\n\n".into(), RequestError::OldLine),
            ("old +1\n\n".into(), RequestError::OldLine),
            ("old  1\n\n".into(), RequestError::OldLine),
            ("Old 1\n\n".into(), RequestError::OldLine),
            ("old 18446744073709551616\n\n".into(), RequestError::OldLine),
            ("old 1".into(), RequestError::OldLine),
            (format!("old 1\n{h}\n"), RequestError::NoBlankLine),
            (format!("old 1\n{h}x\n\n"), RequestError::ProofLine(1)),
            (
                format!("old 1\n{h}\n{}\n\n", B64.encode([1u8; 31])),
                RequestError::ProofLine(2),
            ),
            (format!("old 1\n{h}\r\n\n"), RequestError::ProofLine(1)),
            (
                format!("old 1\n{}\n", format!("{h}\n").repeat(64)),
                RequestError::TooManyProofLines,
            ),
        ] {
            assert_eq!(parse_request(body.as_bytes()), Err(want), "{body:?}");
        }
        assert_eq!(
            parse_request(b"old 1\n\xff\n\n"),
            Err(RequestError::NotUtf8)
        );
        let max = format!("old 1\n{}\n", format!("{h}\n").repeat(63));
        assert_eq!(parse_request(max.as_bytes()).unwrap().proof.len(), 63);
    }

    proptest::proptest! {
        /// What the fuzz target checks, on bodies built from spec-shaped pieces: no panic,
        /// and whatever parses re-encodes to the same bytes.
        #[test]
        fn accepted_bodies_round_trip(
            parts in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("old 0\n".to_owned()),
                proptest::strategy::Just("old 12\n".to_owned()),
                proptest::strategy::Just(format!("{}\n", B64.encode([5u8; 32]))),
                proptest::strategy::Just("\n".to_owned()),
                proptest::strategy::Just(CP.to_owned()),
                "[ -~\n]{0,12}",
            ], 0..8)
        ) {
            let body = parts.concat();
            if let Ok(r) = parse_request(body.as_bytes()) {
                proptest::prop_assert_eq!(encode_request(r.old, &r.proof, r.checkpoint), body.clone());
                let _ = parse_checkpoint_text(r.checkpoint);
            }
            let _ = parse_checkpoint_text(&body);
        }
    }

    #[test]
    fn checkpoint_text_is_strict() {
        let root = B64.encode([3u8; 32]);
        let ok = parse_checkpoint_text(&format!("o.example/l\n10\n{root}\next\n")).unwrap();
        assert_eq!(
            (ok.origin.as_str(), ok.size, ok.root),
            ("o.example/l", 10, [3; 32])
        );
        for bad in [
            format!("o\n10\n{root}"),
            format!("\n10\n{root}\n"),
            format!("o\n010\n{root}\n"),
            format!("o\n10\n{root}x\n"),
            format!("o\n10\n{root}\n\n"),
            format!("o\n10\n{root}\next\n\n"),
            "o\n10\n".into(),
        ] {
            assert!(parse_checkpoint_text(&bad).is_err(), "{bad:?}");
        }
    }
}
