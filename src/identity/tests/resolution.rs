//! The resolution order, header handling, virtual keys, pass-through, trusted headers and
//! the safety of fingerprints and error messages.

use super::support::{bearer, build, empty, peer, via_both, NOW};
use crate::identity::{
    fingerprint, generate_virtual_key, AuthError, AuthMethod, Authenticator, Credentials,
    Identified, IdentityConfig, IdentityError, TrustedHeaderConfig, UpstreamAuth, VirtualKeyConfig,
};

fn vk(hash: &str, principal: &str, key_ref: Option<&str>) -> VirtualKeyConfig {
    VirtualKeyConfig {
        hash: hash.to_owned(),
        principal: principal.to_owned(),
        groups: vec!["eng".into()],
        ai_system: Some("chat-assistant".into()),
        key_ref: key_ref.map(str::to_owned),
    }
}

fn trusted_cfg() -> TrustedHeaderConfig {
    TrustedHeaderConfig {
        header: "x-authenticated-user".into(),
        groups_header: Some("x-authenticated-groups".into()),
        trusted_peers: vec!["10.0.0.0/8".into(), "fd00::/8".into(), "192.0.2.7".into()],
        key_ref: None,
    }
}

#[test]
fn zero_config_is_pass_through_keyed_by_fingerprint() {
    let auth = build(IdentityConfig::default());
    let key = "sk-test-0123456789abcdefghijklmnop";
    let id = via_both(&auth, key).unwrap();
    assert_eq!(id.principal.kind, AuthMethod::PassThrough);
    assert_eq!(id.principal.id, fingerprint(key));
    assert_eq!(id.principal.fingerprint, fingerprint(key));
    assert!(id.principal.groups.is_empty());
    assert_eq!(id.upstream, UpstreamAuth::PassThrough);
    // A JWT-shaped provider token (e.g. an Azure AD token) passes through when JWT mode is off.
    let jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    assert_eq!(
        via_both(&auth, jwt_like).unwrap().principal.kind,
        AuthMethod::PassThrough
    );
}

#[test]
fn fingerprints_are_short_hashes_never_the_credential() {
    for cred in [
        "sk-ant-api03-abcdefgh",
        "agk_0123456789",
        "x",
        "eyJhbGciOiJub25lIn0.e30.",
    ] {
        let fp = fingerprint(cred);
        assert!(fp.starts_with("sha256:"));
        assert_eq!(fp.len(), 7 + 32);
        assert!(fp[7..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(fp, cred);
        if cred.len() >= 4 {
            assert!(!fp.contains(cred));
        }
    }
    assert_ne!(fingerprint("a"), fingerprint("b"));
}

#[test]
fn virtual_keys_bind_their_principal_and_inject_the_provider_key() {
    let (key, hash) = generate_virtual_key();
    let (key2, hash2) = generate_virtual_key();
    let auth = build(IdentityConfig {
        virtual_keys: vec![
            vk(&hash, "team-a", Some("openai-prod")),
            vk(&hash2, "team-b", None),
        ],
        ..IdentityConfig::default()
    });
    let id = via_both(&auth, &key).unwrap();
    assert_eq!(id.principal.id, "team-a");
    assert_eq!(id.principal.kind, AuthMethod::VirtualKey);
    assert_eq!(id.principal.groups, vec!["eng"]);
    assert_eq!(id.principal.ai_system.as_deref(), Some("chat-assistant"));
    assert_eq!(id.principal.fingerprint, fingerprint(&key));
    assert!(!id.principal.fingerprint.contains(&key[4..]));
    assert_eq!(
        id.upstream,
        UpstreamAuth::Inject {
            key_ref: "openai-prod".into()
        }
    );
    let id2 = via_both(&auth, &key2).unwrap();
    assert_eq!(
        (id2.principal.id.as_str(), id2.upstream),
        ("team-b", UpstreamAuth::Default)
    );
}

#[test]
fn unknown_virtual_keys_never_fall_through_to_pass_through() {
    let (_, hash) = generate_virtual_key();
    let (other, _) = generate_virtual_key();
    let with_keys = build(IdentityConfig {
        virtual_keys: vec![vk(&hash, "team-a", None)],
        pass_through: true,
        ..IdentityConfig::default()
    });
    assert_eq!(
        via_both(&with_keys, &other).unwrap_err(),
        AuthError::UnknownKey
    );
    // Even with no virtual keys configured, an agk_ key is never forwarded to a provider.
    let none = build(IdentityConfig::default());
    assert_eq!(via_both(&none, &other).unwrap_err(), AuthError::UnknownKey);
}

#[test]
fn virtual_key_configuration_is_validated() {
    let (_, hash) = generate_virtual_key();
    let cfg = |keys| IdentityConfig {
        virtual_keys: keys,
        ..IdentityConfig::default()
    };
    assert!(matches!(
        Authenticator::new(cfg(vec![vk("sha256:abc", "p", None)])),
        Err(IdentityError::BadKeyHash { index: 0 })
    ));
    assert!(matches!(
        Authenticator::new(cfg(vec![
            vk(&hash, "p", None),
            vk(&hash.to_uppercase().replace("SHA256", "sha256"), "q", None)
        ])),
        Err(IdentityError::DuplicateKey { index: 1, first: 0 })
    ));
    assert!(matches!(
        Authenticator::new(cfg(vec![vk(&hash, "", None)])),
        Err(IdentityError::BadName { .. })
    ));
    assert!(matches!(
        Authenticator::new(cfg(vec![vk(&hash, "p", Some("bad\nref"))])),
        Err(IdentityError::BadName { .. })
    ));
}

#[test]
fn header_shapes_missing_scheme_and_ambiguity() {
    let auth = build(IdentityConfig::default());
    let run = |authorization: Option<&str>, api_key: Option<&str>| {
        auth.authenticate(
            &Credentials {
                authorization,
                api_key,
                ..empty()
            },
            NOW,
        )
    };
    assert_eq!(run(None, None).unwrap_err(), AuthError::Missing);
    assert_eq!(run(Some("Bearer "), None).unwrap_err(), AuthError::Missing);
    assert_eq!(run(Some("  "), Some(" ")).unwrap_err(), AuthError::Missing);
    assert_eq!(
        run(Some("Basic dXNlcjpwYXNz"), None).unwrap_err(),
        AuthError::UnsupportedScheme
    );
    assert_eq!(
        run(Some("sk-raw-key"), None).unwrap_err(),
        AuthError::UnsupportedScheme
    );
    assert_eq!(
        run(Some("Bearer sk-one"), Some("sk-two")).unwrap_err(),
        AuthError::AmbiguousCredentials
    );
    assert!(run(Some("bearer  sk-same "), Some("sk-same")).is_ok());
    assert_eq!(
        run(Some(&bearer(&"k".repeat(20_000))), None)
            .unwrap_err()
            .code(),
        "invalid_token"
    );
}

#[test]
fn provider_keys_are_refused_when_pass_through_is_off() {
    let auth = build(IdentityConfig {
        pass_through: false,
        ..IdentityConfig::default()
    });
    let e = via_both(&auth, "sk-test-provider-key-123456").unwrap_err();
    assert_eq!(e, AuthError::NotAccepted);
}

fn trusted(
    peer_ip: &str,
    identity: Option<&str>,
    groups: Option<&str>,
    token: Option<&str>,
) -> Result<Identified, AuthError> {
    let auth = build(IdentityConfig {
        trusted_header: Some(trusted_cfg()),
        ..IdentityConfig::default()
    });
    let header = token.map(bearer);
    auth.authenticate(
        &Credentials {
            authorization: header.as_deref(),
            peer_ip: peer(peer_ip),
            trusted_identity: identity,
            trusted_groups: groups,
            ..empty()
        },
        NOW,
    )
}

#[test]
fn trusted_header_is_accepted_only_from_trusted_peers() {
    for ip in ["10.20.30.40", "fd00::1", "192.0.2.7", "::ffff:10.1.1.1"] {
        let id = trusted(
            ip,
            Some(" carol@corp.test "),
            Some("eng, sre"),
            Some("sk-x"),
        )
        .unwrap();
        assert_eq!(id.principal.id, "carol@corp.test", "{ip}");
        assert_eq!(id.principal.kind, AuthMethod::TrustedHeader);
        assert_eq!(id.principal.groups, vec!["eng", "sre"]);
        assert_eq!(id.upstream, UpstreamAuth::Default);
    }
    for ip in ["192.0.2.8", "11.0.0.1", "fe80::1", "127.0.0.1"] {
        assert_eq!(
            trusted(ip, Some("carol"), None, Some("sk-x")).unwrap_err(),
            AuthError::UntrustedPeer,
            "{ip}"
        );
        assert_eq!(
            trusted(ip, None, Some("admins"), None).unwrap_err(),
            AuthError::UntrustedPeer
        );
    }
    // No header at all: the token decides, from any peer.
    assert_eq!(
        trusted("127.0.0.1", None, None, Some("sk-x"))
            .unwrap()
            .principal
            .kind,
        AuthMethod::PassThrough
    );
    // A trusted peer sending only groups identifies nobody by header.
    assert_eq!(
        trusted("10.0.0.1", None, Some("eng"), Some("sk-x"))
            .unwrap()
            .principal
            .kind,
        AuthMethod::PassThrough
    );
    assert_eq!(
        trusted("10.0.0.1", Some("bad\u{1b}[31m"), None, None)
            .unwrap_err()
            .code(),
        "bad_identity_header"
    );
    assert_eq!(
        trusted("10.0.0.1", Some("   "), None, None)
            .unwrap_err()
            .code(),
        "bad_identity_header"
    );
}

#[test]
fn trusted_header_configuration_is_validated() {
    let with = |f: fn(&mut TrustedHeaderConfig)| {
        let mut c = trusted_cfg();
        f(&mut c);
        Authenticator::new(IdentityConfig {
            trusted_header: Some(c),
            ..IdentityConfig::default()
        })
    };
    assert!(matches!(
        with(|c| c.trusted_peers.clear()),
        Err(IdentityError::NoTrustedPeers)
    ));
    assert!(matches!(
        with(|c| c.trusted_peers.push("10.0.0.1/8".into())),
        Err(IdentityError::BadCidr { .. })
    ));
    assert!(matches!(
        with(|c| c.header = "x user".into()),
        Err(IdentityError::BadHeaderName { .. })
    ));
    assert!(matches!(
        with(|c| c.groups_header = Some(String::new())),
        Err(IdentityError::BadHeaderName { .. })
    ));
}

#[test]
fn error_codes_are_unique_and_messages_are_safe() {
    let all = [
        AuthError::Missing,
        AuthError::AmbiguousCredentials,
        AuthError::UnsupportedScheme,
        AuthError::UnknownKey,
        AuthError::NotAccepted,
        AuthError::InvalidToken { reason: "r" },
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::WrongIssuer,
        AuthError::WrongAudience,
        AuthError::UntrustedPeer,
        AuthError::BadHeader { reason: "r" },
        AuthError::BadCertificate { reason: "r" },
    ];
    let mut codes: Vec<&str> = all.iter().map(AuthError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    assert!(all.iter().all(|e| !e.to_string().is_empty()));
}

#[test]
fn authenticator_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Authenticator>();
    assert_eq!(AuthMethod::TrustedHeader.as_str(), "trusted_header");
    assert_eq!(AuthMethod::VirtualKey.to_string(), "virtual_key");
}
