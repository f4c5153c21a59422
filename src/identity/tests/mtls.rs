//! mTLS mode: SPIFFE URI SAN, CN fallback, group mappings, validity and malformed input.

use rcgen::{
    date_time_ymd, CertificateParams, DistinguishedName, DnType, KeyPair, SanType,
    PKCS_ECDSA_P256_SHA256,
};

use super::support::{build, empty, NOW};
use crate::identity::{
    fingerprint_bytes, AuthError, AuthMethod, Authenticator, Credentials, Identified,
    IdentityConfig, IdentityError, MtlsConfig, MtlsGroupMapping, MtlsMatch, UpstreamAuth,
};

fn cert(cn: Option<&str>, uris: &[&str], tweak: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params.subject_alt_names = uris
        .iter()
        .map(|u| SanType::URI((*u).try_into().unwrap()))
        .collect();
    tweak(&mut params);
    params.self_signed(&key).unwrap().der().to_vec()
}

fn auth() -> Authenticator {
    build(IdentityConfig {
        mtls: Some(MtlsConfig {
            mappings: vec![
                MtlsGroupMapping {
                    matcher: MtlsMatch::SpiffePrefix("spiffe://corp.test/ns/payments".into()),
                    groups: vec!["payments".into()],
                    ai_system: Some("fraud-scorer".into()),
                },
                MtlsGroupMapping {
                    matcher: MtlsMatch::SpiffePrefix("spiffe://corp.test/".into()),
                    groups: vec!["corp".into(), "payments".into()],
                    ai_system: Some("ignored-second".into()),
                },
                MtlsGroupMapping {
                    matcher: MtlsMatch::CommonName("batch-job".into()),
                    groups: vec!["batch".into()],
                    ai_system: None,
                },
            ],
            key_ref: Some("anthropic-prod".into()),
        }),
        pass_through: true,
        ..IdentityConfig::default()
    })
}

fn with_cert(der: &[u8]) -> Result<Identified, AuthError> {
    auth().authenticate(
        &Credentials {
            client_cert_der: Some(der),
            ..empty()
        },
        NOW,
    )
}

fn reason(r: Result<Identified, AuthError>) -> &'static str {
    match r.unwrap_err() {
        AuthError::BadCertificate { reason } => reason,
        other => panic!("expected BadCertificate, got {other:?}"),
    }
}

#[test]
fn spiffe_uri_san_is_the_principal_and_mappings_add_groups() {
    let der = cert(
        Some("ignored-cn"),
        &["spiffe://corp.test/ns/payments/sa/api"],
        |_| {},
    );
    let id = with_cert(&der).unwrap();
    assert_eq!(id.principal.id, "spiffe://corp.test/ns/payments/sa/api");
    assert_eq!(id.principal.kind, AuthMethod::Mtls);
    assert_eq!(id.principal.groups, vec!["payments", "corp"]);
    assert_eq!(id.principal.ai_system.as_deref(), Some("fraud-scorer"));
    assert_eq!(id.principal.fingerprint, fingerprint_bytes(&der));
    assert_eq!(
        id.upstream,
        UpstreamAuth::Inject {
            key_ref: "anthropic-prod".into()
        }
    );
}

#[test]
fn without_spiffe_the_subject_cn_is_the_principal() {
    let der = cert(Some("batch-job"), &["https://not-spiffe.test/x"], |_| {});
    let id = with_cert(&der).unwrap();
    assert_eq!(id.principal.id, "batch-job");
    assert_eq!(id.principal.groups, vec!["batch"]);
    assert_eq!(id.principal.ai_system, None);
    let other = with_cert(&cert(Some("someone"), &[], |_| {})).unwrap();
    assert_eq!(other.principal.id, "someone");
    assert!(other.principal.groups.is_empty());
}

#[test]
fn garbage_and_trailing_bytes_are_bad_certificates() {
    assert_eq!(
        reason(with_cert(b"not a certificate")),
        "not a DER X.509 certificate"
    );
    assert_eq!(reason(with_cert(&[])), "not a DER X.509 certificate");
    let mut der = cert(Some("x"), &[], |_| {});
    der.push(0);
    assert_eq!(
        reason(with_cert(&der)),
        "trailing bytes after the certificate"
    );
    der.truncate(der.len() - 10);
    assert_eq!(reason(with_cert(&der)), "not a DER X.509 certificate");
}

#[test]
fn certificates_without_a_usable_identity_are_refused() {
    assert!(reason(with_cert(&cert(None, &[], |_| {}))).contains("neither"));
    let two = cert(
        None,
        &["spiffe://corp.test/a", "spiffe://corp.test/b"],
        |_| {},
    );
    assert!(reason(with_cert(&two)).contains("more than one"));
    let malformed = cert(Some("cn"), &["spiffe://corp.test//double"], |_| {});
    assert!(reason(with_cert(&malformed)).contains("malformed"));
}

#[test]
fn validity_is_checked_against_now() {
    let expired = cert(Some("old"), &[], |p| {
        p.not_before = date_time_ymd(2000, 1, 1);
        p.not_after = date_time_ymd(2001, 1, 1);
    });
    assert!(reason(with_cert(&expired)).contains("expired"));
    let future = cert(Some("new"), &[], |p| {
        p.not_before = date_time_ymd(2100, 1, 1);
        p.not_after = date_time_ymd(2101, 1, 1);
    });
    assert!(reason(with_cert(&future)).contains("not valid yet"));
}

#[test]
fn a_certificate_is_ignored_when_mtls_is_not_configured() {
    let der = cert(Some("svc"), &[], |_| {});
    let r = build(IdentityConfig::default()).authenticate(
        &Credentials {
            client_cert_der: Some(&der),
            ..empty()
        },
        NOW,
    );
    assert_eq!(r.unwrap_err(), AuthError::Missing);
}

#[test]
fn bad_mappings_are_refused_at_startup() {
    for matcher in [
        MtlsMatch::SpiffePrefix("https://corp.test".into()),
        MtlsMatch::CommonName(String::new()),
    ] {
        let r = Authenticator::new(IdentityConfig {
            mtls: Some(MtlsConfig {
                mappings: vec![MtlsGroupMapping {
                    matcher,
                    groups: vec![],
                    ai_system: None,
                }],
                key_ref: None,
            }),
            ..IdentityConfig::default()
        });
        assert!(matches!(r, Err(IdentityError::BadMapping { index: 0, .. })));
    }
}
