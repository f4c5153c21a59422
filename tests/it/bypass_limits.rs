//! Bypass suite: resource limits under hostile load: body budgets, h2 streams, RSS bound (item 6).
//! Each case asserts what the mock provider received and what the evidence recorded.
