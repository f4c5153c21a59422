//! Fuzz target for `aimsgate::identity`: arbitrary bytes as the `Authorization` and
//! `x-api-key` values, trusted identity/groups headers and client-certificate DER, fed to an
//! `Authenticator` with every mode configured (virtual keys, JWT with PEM/HMAC/JWKS keys,
//! mTLS, trusted header, pass-through). The only property checked is "no panic"; the keys
//! come from the test-only fixtures in `tests/fixtures/identity/`.
//!
//! Input layout: byte 0 = flags (which fields are present, whether the peer is trusted),
//! bytes 1..9 = `now` (little-endian u64), the rest split on `0x00` into authorization,
//! api key, trusted identity, trusted groups and certificate DER.
#![no_main]

use std::sync::OnceLock;

use aimsgate::identity::{
    generate_virtual_key, Authenticator, Credentials, IdentityConfig, JwtAlgorithm, JwtConfig,
    JwtKey, MtlsConfig, MtlsGroupMapping, MtlsMatch, TrustedHeaderConfig, VirtualKeyConfig,
};
use libfuzzer_sys::fuzz_target;

const RSA_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/identity/rsa_a_TEST_ONLY_public.pem");
const EC_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/identity/ec_p256_TEST_ONLY_public.pem");
const ED_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/identity/ed25519_TEST_ONLY_public.pem");
const JWKS: &[u8] = include_bytes!("../../tests/fixtures/identity/jwks_TEST_ONLY.json");

fn authenticator() -> Option<&'static Authenticator> {
    static AUTH: OnceLock<Option<Authenticator>> = OnceLock::new();
    AUTH.get_or_init(|| {
        let (_, hash) = generate_virtual_key();
        let pem = |pem: &[u8], alg| JwtKey::Pem {
            pem: pem.to_vec(),
            alg,
            kid: None,
        };
        Authenticator::new(IdentityConfig {
            virtual_keys: vec![VirtualKeyConfig {
                hash,
                principal: "fuzz".into(),
                groups: vec!["g".into()],
                ai_system: Some("sys".into()),
                key_ref: Some("provider".into()),
            }],
            jwt: Some(JwtConfig {
                issuer: Some("https://idp.test".into()),
                audiences: vec!["aimsgate".into()],
                keys: vec![
                    pem(RSA_PUBLIC, JwtAlgorithm::RS256),
                    pem(EC_PUBLIC, JwtAlgorithm::ES256),
                    pem(ED_PUBLIC, JwtAlgorithm::EdDSA),
                    JwtKey::Hmac {
                        secret: vec![0x5a; 32],
                        alg: JwtAlgorithm::HS256,
                        kid: Some("hmac".into()),
                    },
                    JwtKey::Jwks {
                        json: JWKS.to_vec(),
                    },
                ],
                groups_claim: Some("groups".into()),
                ai_system_claim: Some("ai.system".into()),
                ..JwtConfig::default()
            }),
            mtls: Some(MtlsConfig {
                mappings: vec![
                    MtlsGroupMapping {
                        matcher: MtlsMatch::SpiffePrefix("spiffe://corp.test/".into()),
                        groups: vec!["corp".into()],
                        ai_system: None,
                    },
                    MtlsGroupMapping {
                        matcher: MtlsMatch::CommonName("svc".into()),
                        groups: vec!["svc".into()],
                        ai_system: Some("sys".into()),
                    },
                ],
                key_ref: None,
            }),
            trusted_header: Some(TrustedHeaderConfig {
                header: "x-user".into(),
                groups_header: Some("x-groups".into()),
                trusted_peers: vec!["10.0.0.0/8".into(), "fd00::/8".into()],
                key_ref: None,
            }),
            pass_through: true,
        })
        .ok()
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(auth) = authenticator() else {
        return;
    };
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (now, rest) = match rest.split_first_chunk::<8>() {
        Some((n, r)) => (u64::from_le_bytes(*n), r),
        None => (1_700_000_000, rest),
    };
    let mut parts = rest.splitn(5, |&b| b == 0);
    let mut next = || parts.next().unwrap_or(&[]);
    let authorization = String::from_utf8_lossy(next());
    let api_key = String::from_utf8_lossy(next());
    let identity = String::from_utf8_lossy(next());
    let groups = String::from_utf8_lossy(next());
    let cert = next();
    let on = |bit: u8| flags & (1 << bit) != 0;
    let peer_ip = if on(5) {
        std::net::IpAddr::from([10, 1, 2, 3])
    } else {
        std::net::IpAddr::from([0xfe80, 0, 0, 0, 0, 0, 0, 1])
    };
    let creds = Credentials {
        authorization: on(0).then_some(&*authorization),
        api_key: on(1).then_some(&*api_key),
        peer_ip,
        client_cert_der: on(2).then_some(cert),
        trusted_identity: on(3).then_some(&*identity),
        trusted_groups: on(4).then_some(&*groups),
    };
    if let Ok(id) = auth.authenticate(&creds, now) {
        // A fingerprint is a short hash, never the credential itself.
        assert_eq!(id.principal.fingerprint.len(), 39);
    }
});
