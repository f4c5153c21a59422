//! Generated protobuf types for evidence records (`proto/aimsgate/evidence/v1/evidence.proto`),
//! compiled by `build.rs`. Owns nothing else but the [`Payload`] alias and the hex helper the
//! generated serde derives use.
#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/aimsgate.evidence.v1.rs"));

/// The payload of one record (decision, outcome or event).
pub type Payload = record::Kind;

/// Serialises bytes fields as lowercase hex in JSON exports.
pub(crate) fn hex_bytes<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::common::hex(v))
}

/// A zero count is left out of JSON exports (see `build.rs`).
pub(crate) fn is_zero(v: &u32) -> bool {
    *v == 0
}
