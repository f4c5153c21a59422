//! Unit tests of the data dir verifier on hand-built v2 (and v1) segments.
