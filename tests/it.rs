//! The one integration-test binary: runs the real `aimsgate` binary against a mock provider.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
