//! Tests of identity binding through the public [`super::Authenticator`] API, one file per
//! mode plus the resolution order and property tests. Fixture keys are test-only.

mod jwt;
mod mtls;
mod props;
mod resolution;
mod support;
