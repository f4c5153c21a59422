//! Property tests: no header value or certificate bytes can panic the authenticator, and
//! nothing it returns contains the credential.

use proptest::prelude::*;

use super::support::{assert_safe, fixture};
use crate::identity::{
    fingerprint, generate_virtual_key, Authenticator, Credentials, IdentityConfig, JwtAlgorithm,
    JwtConfig, JwtKey, MtlsConfig, TrustedHeaderConfig, VirtualKeyConfig,
};

fn every_mode() -> Authenticator {
    let (_, hash) = generate_virtual_key();
    Authenticator::new(IdentityConfig {
        virtual_keys: vec![VirtualKeyConfig {
            hash,
            principal: "p".into(),
            groups: vec![],
            ai_system: None,
            key_ref: None,
        }],
        jwt: Some(JwtConfig {
            keys: vec![
                JwtKey::Jwks {
                    json: fixture("jwks_TEST_ONLY.json"),
                },
                JwtKey::Hmac {
                    secret: vec![7; 32],
                    alg: JwtAlgorithm::HS256,
                    kid: None,
                },
            ],
            groups_claim: Some("groups".into()),
            ..JwtConfig::default()
        }),
        mtls: Some(MtlsConfig::default()),
        trusted_header: Some(TrustedHeaderConfig {
            header: "x-user".into(),
            groups_header: Some("x-groups".into()),
            trusted_peers: vec!["127.0.0.0/8".into()],
            key_ref: None,
        }),
        pass_through: true,
    })
    .unwrap()
}

/// Strings biased towards credential-looking shapes.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(Bearer |bearer |Basic )?(agk_|sk-|eyJ)?[A-Za-z0-9_.=-]{0,80}",
        "Bearer [A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_headers_never_panic_or_leak(
        authorization in proptest::option::of(header_value()),
        api_key in proptest::option::of(header_value()),
        identity in proptest::option::of(any::<String>()),
        groups in proptest::option::of(any::<String>()),
        cert in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256)),
        trusted_peer in any::<bool>(),
        now in any::<u64>(),
    ) {
        let auth = every_mode();
        let creds = Credentials {
            authorization: authorization.as_deref(),
            api_key: api_key.as_deref(),
            peer_ip: if trusted_peer { "127.0.0.9".parse().unwrap() } else { "203.0.113.1".parse().unwrap() },
            client_cert_der: cert.as_deref(),
            trusted_identity: identity.as_deref(),
            trusted_groups: groups.as_deref(),
        };
        match auth.authenticate(&creds, now) {
            Ok(id) => {
                for cred in [authorization.as_deref(), api_key.as_deref()].into_iter().flatten() {
                    if cred.len() >= 16 {
                        prop_assert!(!id.principal.fingerprint.contains(cred));
                    }
                }
            }
            Err(e) => {
                for cred in [authorization.as_deref(), api_key.as_deref()].into_iter().flatten() {
                    assert_safe(&e, cred);
                }
            }
        }
    }

    #[test]
    fn fingerprints_never_contain_the_credential(cred in "[ -~]{12,200}") {
        let fp = fingerprint(&cred);
        prop_assert!(!fp.contains(&cred));
        prop_assert_eq!(fp.len(), 39);
    }
}
