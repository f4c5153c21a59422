//! Bypass suite: credentials, headers, caller strings and AI-system selection (items 1, 7, 9, 10).
//! Each case asserts what the mock provider received and what the evidence recorded.
