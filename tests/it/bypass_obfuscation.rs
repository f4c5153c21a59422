//! Bypass suite: classifier normalisation: zero-width, NBSP, full-width, separators, split values, bare PEM bodies, prose secrets (item 4).
//! Each case asserts what the mock provider received and what the evidence recorded.
