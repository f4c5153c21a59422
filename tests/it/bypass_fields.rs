//! Bypass suite: every model-visible field of every request shape is classified (issue 14, item 2) and bodies on bodiless routes are refused (item 5).
//! Each case asserts what the mock provider received and what the evidence recorded.
