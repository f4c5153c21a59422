//! Bypass suite: output enforcement: all matching output rules apply together, unparseable answers never pass under redact/block (items 3, 8).
//! Each case asserts what the mock provider received and what the evidence recorded.
