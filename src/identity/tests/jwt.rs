//! JWT mode: every algorithm family, every claim check, `alg: none`, algorithm confusion,
//! tampering and JWKS `kid` selection.

use jsonwebtoken::{Algorithm, EncodingKey};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519};
use serde_json::json;

use super::support::{b64, build, claims, fixture, rsa_private, sign, via_both, NOW};
use crate::identity::{
    AuthError, AuthMethod, Authenticator, IdentityConfig, IdentityError, JwtAlgorithm, JwtConfig,
    JwtKey, UpstreamAuth,
};

const HMAC_SECRET: &[u8] = b"test-only-hmac-secret-0123456789abcdef";

fn jwt_cfg(keys: Vec<JwtKey>) -> IdentityConfig {
    IdentityConfig {
        jwt: Some(JwtConfig {
            issuer: Some("https://idp.test".into()),
            audiences: vec!["aimsgate".into()],
            keys,
            groups_claim: Some("groups".into()),
            ai_system_claim: Some("ai_system".into()),
            leeway_secs: 30,
            ..JwtConfig::default()
        }),
        pass_through: false,
        ..IdentityConfig::default()
    }
}

fn rsa_pem_key(which: &str) -> JwtKey {
    JwtKey::Pem {
        pem: fixture(&format!("rsa_{which}_TEST_ONLY_public.pem")),
        alg: JwtAlgorithm::RS256,
        kid: None,
    }
}

fn rsa_auth() -> Authenticator {
    build(jwt_cfg(vec![rsa_pem_key("a")]))
}

fn code(r: Result<crate::identity::Identified, AuthError>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn rs256_token_binds_principal_groups_and_ai_system() {
    let mut c = claims();
    c["groups"] = json!(["eng", "ml"]);
    c["ai_system"] = json!("support-bot");
    let token = sign(&c, Algorithm::RS256, &rsa_private("a"), None);
    let id = via_both(&rsa_auth(), &token).unwrap();
    assert_eq!(id.principal.id, "alice");
    assert_eq!(id.principal.kind, AuthMethod::Jwt);
    assert_eq!(id.principal.groups, vec!["eng", "ml"]);
    assert_eq!(id.principal.ai_system.as_deref(), Some("support-bot"));
    assert_eq!(
        id.principal.fingerprint,
        crate::identity::fingerprint(&token)
    );
    assert_eq!(id.upstream, UpstreamAuth::Default);
}

#[test]
fn groups_may_be_a_space_separated_string_and_principal_another_claim() {
    let mut cfg = jwt_cfg(vec![rsa_pem_key("a")]);
    if let Some(j) = cfg.jwt.as_mut() {
        j.principal_claim = "email".into();
        j.key_ref = Some("openai-prod".into());
    }
    let auth = build(cfg);
    let mut c = claims();
    c["email"] = json!("alice@example.test");
    c["groups"] = json!("eng ml");
    let id = via_both(&auth, &sign(&c, Algorithm::RS256, &rsa_private("a"), None)).unwrap();
    assert_eq!(id.principal.id, "alice@example.test");
    assert_eq!(id.principal.groups, vec!["eng", "ml"]);
    assert_eq!(
        id.upstream,
        UpstreamAuth::Inject {
            key_ref: "openai-prod".into()
        }
    );
    let mut no_email = claims();
    no_email["groups"] = json!("eng");
    let token = sign(&no_email, Algorithm::RS256, &rsa_private("a"), None);
    assert_eq!(code(via_both(&auth, &token)), "invalid_token");
}

#[test]
fn token_signed_by_another_key_is_refused() {
    let token = sign(&claims(), Algorithm::RS256, &rsa_private("b"), None);
    assert_eq!(
        via_both(&rsa_auth(), &token).unwrap_err(),
        AuthError::InvalidToken {
            reason: "the signature does not verify with the configured key(s)"
        }
    );
}

#[test]
fn time_issuer_and_audience_are_checked_against_now() {
    let auth = rsa_auth();
    let key = rsa_private("a");
    let with = |k: &str, v: serde_json::Value| {
        let mut c = claims();
        c[k] = v;
        sign(&c, Algorithm::RS256, &key, None)
    };
    // Within the 30 s leeway: accepted.
    assert!(via_both(&auth, &with("exp", json!(NOW - 29))).is_ok());
    assert_eq!(
        via_both(&auth, &with("exp", json!(NOW - 30))).unwrap_err(),
        AuthError::Expired
    );
    assert!(via_both(&auth, &with("nbf", json!(NOW + 30))).is_ok());
    assert_eq!(
        via_both(&auth, &with("nbf", json!(NOW + 31))).unwrap_err(),
        AuthError::NotYetValid
    );
    assert_eq!(
        via_both(&auth, &with("iss", json!("https://evil.test"))).unwrap_err(),
        AuthError::WrongIssuer
    );
    assert_eq!(
        via_both(&auth, &with("aud", json!(["other"]))).unwrap_err(),
        AuthError::WrongAudience
    );
    assert!(via_both(&auth, &with("aud", json!(["other", "aimsgate"]))).is_ok());
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_eq!(
        code(via_both(
            &auth,
            &sign(&no_exp, Algorithm::RS256, &key, None)
        )),
        "invalid_token"
    );
    let mut no_aud = claims();
    no_aud.as_object_mut().unwrap().remove("aud");
    assert_eq!(
        via_both(&auth, &sign(&no_aud, Algorithm::RS256, &key, None)).unwrap_err(),
        AuthError::WrongAudience
    );
}

#[test]
fn the_clock_is_the_argument_not_the_system_time() {
    // Expired long ago in real time, valid at the `now` passed in.
    let mut c = claims();
    c["exp"] = json!(1000);
    c["nbf"] = json!(100);
    let token = sign(&c, Algorithm::RS256, &rsa_private("a"), None);
    let header = super::support::bearer(&token);
    let creds = crate::identity::Credentials {
        authorization: Some(&header),
        ..super::support::empty()
    };
    assert!(rsa_auth().authenticate(&creds, 500).is_ok());
    assert_eq!(
        rsa_auth().authenticate(&creds, 2000).unwrap_err(),
        AuthError::Expired
    );
}

#[test]
fn alg_none_is_refused_in_every_spelling() {
    let payload = b64(claims().to_string().as_bytes());
    for alg in ["none", "None", "NONE"] {
        let header = b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
        for sig in ["", "c2ln"] {
            let token = format!("{header}.{payload}.{sig}");
            assert_eq!(
                via_both(&rsa_auth(), &token).unwrap_err(),
                AuthError::InvalidToken {
                    reason: "unsigned tokens (alg \"none\") are not accepted"
                },
                "{alg} / {sig:?}"
            );
        }
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_algorithm_confusion() {
    let public_pem = fixture("rsa_a_TEST_ONLY_public.pem");
    let forged = sign(
        &claims(),
        Algorithm::HS256,
        &EncodingKey::from_secret(&public_pem),
        None,
    );
    assert_eq!(
        via_both(&rsa_auth(), &forged).unwrap_err(),
        AuthError::InvalidToken {
            reason: "the token's algorithm does not match the configured key's algorithm"
        }
    );
    // Still refused when an HMAC key is also configured: the secret is not the public key.
    let both = build(jwt_cfg(vec![
        rsa_pem_key("a"),
        JwtKey::Hmac {
            secret: HMAC_SECRET.to_vec(),
            alg: JwtAlgorithm::HS256,
            kid: None,
        },
    ]));
    assert_eq!(code(via_both(&both, &forged)), "invalid_token");
}

#[test]
fn tampered_signature_or_payload_is_refused() {
    let token = sign(&claims(), Algorithm::RS256, &rsa_private("a"), None);
    let (head, sig) = token.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { 'B' } else { 'A' };
    let bad_sig = format!("{head}.{flipped}{}", &sig[1..]);
    assert_eq!(code(via_both(&rsa_auth(), &bad_sig)), "invalid_token");
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut evil = claims();
    evil["sub"] = json!("admin");
    let evil_payload = b64(evil.to_string().as_bytes());
    parts[1] = &evil_payload;
    assert_eq!(
        code(via_both(&rsa_auth(), &parts.join("."))),
        "invalid_token"
    );
    let truncated = format!("{head}.");
    assert_eq!(code(via_both(&rsa_auth(), &truncated)), "invalid_token");
}

#[test]
fn jwks_selects_the_key_by_kid() {
    let auth = build(jwt_cfg(vec![JwtKey::Jwks {
        json: fixture("jwks_TEST_ONLY.json"),
    }]));
    let b = rsa_private("b");
    assert_eq!(
        via_both(
            &auth,
            &sign(&claims(), Algorithm::RS256, &b, Some("test-b"))
        )
        .unwrap()
        .principal
        .id,
        "alice"
    );
    // Right key material, wrong kid: the named key does not verify it.
    assert_eq!(
        code(via_both(
            &auth,
            &sign(&claims(), Algorithm::RS256, &b, Some("test-a"))
        )),
        "invalid_token"
    );
    assert_eq!(
        via_both(
            &auth,
            &sign(&claims(), Algorithm::RS256, &b, Some("rotated-away"))
        )
        .unwrap_err(),
        AuthError::InvalidToken {
            reason:
                "no configured key has the token's key id (kid); check the issuer's signing keys"
        }
    );
    // No kid: every key of the token's algorithm is tried.
    assert!(via_both(&auth, &sign(&claims(), Algorithm::RS256, &b, None)).is_ok());
}

#[test]
fn es256_and_eddsa_keys_from_rcgen_verify_their_tokens_only() {
    for (alg, jwt_alg, rc_alg) in [
        (
            Algorithm::ES256,
            JwtAlgorithm::ES256,
            &PKCS_ECDSA_P256_SHA256,
        ),
        (Algorithm::EdDSA, JwtAlgorithm::EdDSA, &PKCS_ED25519),
    ] {
        let kp = KeyPair::generate_for(rc_alg).unwrap();
        let other = KeyPair::generate_for(rc_alg).unwrap();
        let auth = build(jwt_cfg(vec![JwtKey::Pem {
            pem: kp.public_key_pem().into_bytes(),
            alg: jwt_alg,
            kid: Some("k1".into()),
        }]));
        let enc = |k: &KeyPair| match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(k.serialize_pem().as_bytes()).unwrap(),
            _ => EncodingKey::from_ed_pem(k.serialize_pem().as_bytes()).unwrap(),
        };
        let good = sign(&claims(), alg, &enc(&kp), Some("k1"));
        assert_eq!(
            via_both(&auth, &good).unwrap().principal.id,
            "alice",
            "{alg:?}"
        );
        let bad = sign(&claims(), alg, &enc(&other), Some("k1"));
        assert_eq!(code(via_both(&auth, &bad)), "invalid_token", "{alg:?}");
    }
}

#[test]
fn hs256_secret_verifies_and_short_secrets_are_refused() {
    let auth = build(jwt_cfg(vec![JwtKey::Hmac {
        secret: HMAC_SECRET.to_vec(),
        alg: JwtAlgorithm::HS256,
        kid: None,
    }]));
    let token = sign(
        &claims(),
        Algorithm::HS256,
        &EncodingKey::from_secret(HMAC_SECRET),
        None,
    );
    assert!(via_both(&auth, &token).is_ok());
    let wrong = sign(
        &claims(),
        Algorithm::HS256,
        &EncodingKey::from_secret(b"x".repeat(40).as_slice()),
        None,
    );
    assert_eq!(code(via_both(&auth, &wrong)), "invalid_token");
    let short = Authenticator::new(jwt_cfg(vec![JwtKey::Hmac {
        secret: b"short".to_vec(),
        alg: JwtAlgorithm::HS256,
        kid: None,
    }]));
    assert!(matches!(
        short,
        Err(IdentityError::BadJwtKey { index: 0, .. })
    ));
}

#[test]
fn crit_headers_and_unknown_algorithms_are_refused() {
    let payload = b64(claims().to_string().as_bytes());
    for header in [
        json!({"alg": "RS256", "crit": ["exp"]}),
        json!({"alg": "XS999"}),
    ] {
        let token = format!("{}.{payload}.c2ln", b64(header.to_string().as_bytes()));
        assert_eq!(code(via_both(&rsa_auth(), &token)), "invalid_token");
    }
}

#[test]
fn unusable_key_configuration_is_refused_at_startup() {
    let cases: Vec<(Vec<JwtKey>, &str)> = vec![
        (vec![], "no verification keys"),
        (
            vec![JwtKey::Pem {
                pem: fixture("rsa_a_TEST_ONLY_private.pem"),
                alg: JwtAlgorithm::RS256,
                kid: None,
            }],
            "private key",
        ),
        (
            vec![JwtKey::Pem {
                pem: fixture("rsa_a_TEST_ONLY_public.pem"),
                alg: JwtAlgorithm::ES256,
                kid: None,
            }],
            "not a public key of the kind",
        ),
        (
            vec![JwtKey::Pem {
                pem: b"garbage".to_vec(),
                alg: JwtAlgorithm::RS256,
                kid: None,
            }],
            "not a public key of the kind",
        ),
        (
            vec![JwtKey::Pem {
                pem: fixture("rsa_a_TEST_ONLY_public.pem"),
                alg: JwtAlgorithm::HS256,
                kid: None,
            }],
            "HMAC secret",
        ),
        (
            vec![JwtKey::Hmac {
                secret: HMAC_SECRET.to_vec(),
                alg: JwtAlgorithm::RS256,
                kid: None,
            }],
            "HS256",
        ),
        (
            vec![JwtKey::Jwks {
                json: b"{}".to_vec(),
            }],
            "not a JWKS",
        ),
        (
            // An RSA key that claims HS256 (a confusion trap) and an encryption key: unusable.
            vec![JwtKey::Jwks {
                json: json!({"keys": [
                    {"kty": "RSA", "alg": "HS256", "n": "AQAB", "e": "AQAB"},
                    {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
                    {"kty": "EC", "crv": "P-521", "x": "AQAB", "y": "AQAB"}
                ]})
                .to_string()
                .into_bytes(),
            }],
            "no usable signing key",
        ),
    ];
    for (keys, expect) in cases {
        let err = Authenticator::new(jwt_cfg(keys)).unwrap_err().to_string();
        assert!(err.contains(expect), "{err:?} should mention {expect:?}");
    }
    let mut cfg = jwt_cfg(vec![rsa_pem_key("a")]);
    if let Some(j) = cfg.jwt.as_mut() {
        j.principal_claim = String::new();
    }
    assert!(matches!(
        Authenticator::new(cfg),
        Err(IdentityError::BadClaimName { .. })
    ));
}

#[test]
fn a_cached_token_still_expires_and_still_waits_for_nbf() {
    let auth = rsa_auth();
    let run = |token: &str, now: u64| {
        let header = super::support::bearer(token);
        auth.authenticate(
            &crate::identity::Credentials {
                authorization: Some(&header),
                ..super::support::empty()
            },
            now,
        )
    };
    let token = sign(&claims(), Algorithm::RS256, &rsa_private("a"), None);
    let first = run(&token, NOW).unwrap();
    assert_eq!(run(&token, NOW + 1).unwrap(), first);
    assert_eq!(
        run(&token, NOW + 3600 + 30).unwrap_err(),
        AuthError::Expired
    );
    let mut later = claims();
    later["nbf"] = json!(NOW + 1000);
    let token = sign(&later, Algorithm::RS256, &rsa_private("a"), None);
    assert!(run(&token, NOW + 1000).is_ok());
    assert_eq!(run(&token, NOW).unwrap_err(), AuthError::NotYetValid);
}

#[test]
fn refused_tokens_are_not_remembered() {
    let auth = rsa_auth();
    let mut c = claims();
    c["exp"] = json!(NOW - 100);
    let token = sign(&c, Algorithm::RS256, &rsa_private("a"), None);
    assert_eq!(via_both(&auth, &token).unwrap_err(), AuthError::Expired);
    assert_eq!(via_both(&auth, &token).unwrap_err(), AuthError::Expired);
    let forged = sign(&claims(), Algorithm::RS256, &rsa_private("b"), None);
    for _ in 0..2 {
        assert_eq!(code(via_both(&auth, &forged)), "invalid_token");
    }
}

#[test]
fn without_the_cache_every_check_still_applies() {
    let auth = rsa_auth().without_jwt_cache();
    let token = sign(&claims(), Algorithm::RS256, &rsa_private("a"), None);
    assert_eq!(via_both(&auth, &token).unwrap().principal.id, "alice");
    let header = super::support::bearer(&token);
    let creds = crate::identity::Credentials {
        authorization: Some(&header),
        ..super::support::empty()
    };
    assert_eq!(
        auth.authenticate(&creds, NOW + 7200).unwrap_err(),
        AuthError::Expired
    );
}
