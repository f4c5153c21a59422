//! Shared helpers: fixtures, credentials and token signing for the identity tests.

use std::net::IpAddr;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::identity::{AuthError, Authenticator, Credentials, Identified, IdentityConfig};

/// A fixed "now" for every test.
pub(crate) const NOW: u64 = 1_700_000_000;

/// Reads a test-only fixture from `tests/fixtures/identity/`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/identity/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

pub(crate) fn peer(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Credentials with nothing set, from 127.0.0.1.
pub(crate) fn empty() -> Credentials<'static> {
    Credentials {
        authorization: None,
        api_key: None,
        peer_ip: peer("127.0.0.1"),
        client_cert_der: None,
        trusted_identity: None,
        trusted_groups: None,
    }
}

/// `Authorization: Bearer <token>`.
pub(crate) fn bearer(value: &str) -> String {
    format!("Bearer {value}")
}

/// Authenticates `token` once as `Authorization: Bearer` and once as `x-api-key`, asserts both
/// agree, and returns the result.
pub(crate) fn via_both(auth: &Authenticator, token: &str) -> Result<Identified, AuthError> {
    let header = bearer(token);
    let a = auth.authenticate(
        &Credentials {
            authorization: Some(&header),
            ..empty()
        },
        NOW,
    );
    let b = auth.authenticate(
        &Credentials {
            api_key: Some(token),
            ..empty()
        },
        NOW,
    );
    assert_eq!(a, b, "Authorization and x-api-key must agree");
    if let Err(e) = &a {
        assert_safe(e, token);
    }
    a
}

/// The error's message never contains the credential (or a long piece of it).
pub(crate) fn assert_safe(e: &AuthError, credential: &str) {
    let msg = e.to_string();
    assert!(!msg.is_empty());
    if credential.len() >= 8 {
        assert!(!msg.contains(credential), "message echoes the credential");
        for part in credential.split('.').filter(|p| p.len() >= 8) {
            assert!(!msg.contains(part), "message echoes part of the credential");
        }
    }
}

pub(crate) fn build(cfg: IdentityConfig) -> Authenticator {
    Authenticator::new(cfg).unwrap()
}

/// Claims valid at [`NOW`] for issuer `https://idp.test` and audience `aimsgate`.
pub(crate) fn claims() -> Value {
    json!({
        "iss": "https://idp.test",
        "aud": "aimsgate",
        "sub": "alice",
        "exp": NOW + 3600,
        "iat": NOW - 10,
    })
}

/// Signs `claims` with `alg` and `key`, setting `kid` when given.
pub(crate) fn sign(claims: &Value, alg: Algorithm, key: &EncodingKey, kid: Option<&str>) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

pub(crate) fn rsa_private(which: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture(&format!("rsa_{which}_TEST_ONLY_private.pem"))).unwrap()
}

/// base64url without padding, for hand-made tokens.
pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
