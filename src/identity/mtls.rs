//! mTLS mode: a verified client certificate → a principal.
//!
//! Owns reading the principal from the leaf certificate (its single SPIFFE URI SAN, else its
//! subject CN), the certificate's validity window against `now`, and group mappings by SPIFFE
//! prefix or CN. Does not verify the chain or trust anchors: the TLS listener did that before
//! handing over the DER.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

use super::config::{MtlsConfig, MtlsMatch};
use super::error::{AuthError, IdentityError};
use super::{
    fingerprint_bytes, is_clean_name, upstream_for, AuthMethod, Identified, Principal, UpstreamAuth,
};

/// Where a certificate's principal id came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Spiffe,
    CommonName,
}

#[derive(Debug)]
struct Mapping {
    matcher: MtlsMatch,
    groups: Vec<String>,
    ai_system: Option<String>,
}

/// mTLS mode, compiled.
#[derive(Debug)]
pub(crate) struct Mtls {
    mappings: Vec<Mapping>,
    upstream: UpstreamAuth,
}

impl Mtls {
    pub(crate) fn new(cfg: MtlsConfig) -> Result<Self, IdentityError> {
        let mut mappings = Vec::with_capacity(cfg.mappings.len());
        for (index, m) in cfg.mappings.into_iter().enumerate() {
            let ok = match &m.matcher {
                MtlsMatch::SpiffePrefix(p) => is_spiffe_id(p.strip_suffix('/').unwrap_or(p)),
                MtlsMatch::CommonName(cn) => is_clean_name(cn),
            };
            if !ok {
                return Err(IdentityError::BadMapping {
                    index,
                    reason: "the match must be a spiffe://<trust domain>[/path] prefix or a non-empty common name",
                });
            }
            let names_ok = m.groups.iter().all(|g| is_clean_name(g))
                && m.ai_system.as_deref().is_none_or(is_clean_name);
            if !names_ok {
                return Err(IdentityError::BadMapping {
                    index,
                    reason: "groups and ai_system must be non-empty, at most 1024 bytes, without control characters",
                });
            }
            mappings.push(Mapping {
                matcher: m.matcher,
                groups: m.groups,
                ai_system: m.ai_system,
            });
        }
        let upstream = upstream_for(cfg.key_ref, "mtls")?;
        Ok(Mtls { mappings, upstream })
    }

    /// Binds the principal of a (chain-verified) leaf certificate.
    pub(crate) fn identify(&self, der: &[u8], now_unix: u64) -> Result<Identified, AuthError> {
        let (rest, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|_| AuthError::BadCertificate {
                reason: "not a DER X.509 certificate",
            })?;
        if !rest.is_empty() {
            return Err(AuthError::BadCertificate {
                reason: "trailing bytes after the certificate",
            });
        }
        check_validity(&cert, now_unix)?;
        let (id, source) = principal_of(&cert)?;
        let mut groups: Vec<String> = Vec::new();
        let mut ai_system = None;
        for m in self
            .mappings
            .iter()
            .filter(|m| matches(&m.matcher, &id, source))
        {
            for g in &m.groups {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
            if ai_system.is_none() {
                ai_system.clone_from(&m.ai_system);
            }
        }
        Ok(Identified {
            principal: Principal {
                id,
                kind: AuthMethod::Mtls,
                groups,
                fingerprint: fingerprint_bytes(der),
                ai_system,
            },
            upstream: self.upstream.clone(),
        })
    }
}

fn check_validity(cert: &X509Certificate<'_>, now_unix: u64) -> Result<(), AuthError> {
    let now = i64::try_from(now_unix).unwrap_or(i64::MAX);
    let validity = cert.validity();
    if now < validity.not_before.timestamp() {
        return Err(AuthError::BadCertificate {
            reason: "the certificate is not valid yet",
        });
    }
    if now > validity.not_after.timestamp() {
        return Err(AuthError::BadCertificate {
            reason: "the certificate has expired; renew it",
        });
    }
    Ok(())
}

/// The single SPIFFE URI SAN, else the first subject CN.
fn principal_of(cert: &X509Certificate<'_>) -> Result<(String, Source), AuthError> {
    let san = cert
        .subject_alternative_name()
        .map_err(|_| AuthError::BadCertificate {
            reason: "the subjectAltName extension is malformed or duplicated",
        })?;
    let mut spiffe = san
        .iter()
        .flat_map(|ext| ext.value.general_names.iter())
        .filter_map(|gn| match gn {
            GeneralName::URI(uri) if has_spiffe_scheme(uri) => Some(*uri),
            _ => None,
        });
    if let Some(first) = spiffe.next() {
        if spiffe.next().is_some() {
            return Err(AuthError::BadCertificate {
                reason: "more than one SPIFFE URI SAN; an SVID carries exactly one",
            });
        }
        if !is_spiffe_id(first) {
            return Err(AuthError::BadCertificate {
                reason: "the SPIFFE URI SAN is malformed (expected spiffe://<trust domain>/<path>)",
            });
        }
        return Ok((first.to_owned(), Source::Spiffe));
    }
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .ok_or(AuthError::BadCertificate {
            reason: "the certificate has neither a SPIFFE URI SAN nor a subject common name",
        })?
        .as_str()
        .map_err(|_| AuthError::BadCertificate {
            reason: "the subject common name is not a readable string",
        })?;
    if !is_clean_name(cn) {
        return Err(AuthError::BadCertificate {
            reason: "the subject common name is empty, too long or contains control characters",
        });
    }
    Ok((cn.to_owned(), Source::CommonName))
}

fn has_spiffe_scheme(uri: &str) -> bool {
    uri.get(..9)
        .is_some_and(|s| s.eq_ignore_ascii_case("spiffe://"))
}

/// `spiffe://<trust domain>[/<path>]` with a lowercase trust domain of `[a-z0-9.-_]`, no
/// query, fragment, port or user info, and no empty path segments.
fn is_spiffe_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("spiffe://") else {
        return false;
    };
    if s.len() > 2048 {
        return false;
    }
    let (domain, path) = match rest.split_once('/') {
        Some((d, p)) => (d, Some(p)),
        None => (rest, None),
    };
    let domain_ok = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_'));
    let path_ok = path.is_none_or(|p| {
        p.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        })
    });
    domain_ok && path_ok
}

fn matches(m: &MtlsMatch, id: &str, source: Source) -> bool {
    match m {
        MtlsMatch::SpiffePrefix(prefix) => {
            source == Source::Spiffe
                && id.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/')
                })
        }
        MtlsMatch::CommonName(cn) => source == Source::CommonName && id == cn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiffe_ids_are_validated() {
        assert!(is_spiffe_id("spiffe://corp.example/ns/prod/sa/api"));
        assert!(is_spiffe_id("spiffe://corp.example"));
        for bad in [
            "spiffe://",
            "spiffe://Corp/x",
            "spiffe://corp//x",
            "spiffe://corp/x/",
            "spiffe://corp/x?q=1",
            "spiffe://corp:443/x",
            "spiffe://corp/../x",
            "https://corp/x",
        ] {
            assert!(!is_spiffe_id(bad), "{bad}");
        }
    }

    #[test]
    fn spiffe_prefixes_match_on_path_boundaries() {
        let p = MtlsMatch::SpiffePrefix("spiffe://corp/ns/a".to_owned());
        assert!(matches(&p, "spiffe://corp/ns/a", Source::Spiffe));
        assert!(matches(&p, "spiffe://corp/ns/a/sa/x", Source::Spiffe));
        assert!(!matches(&p, "spiffe://corp/ns/ab", Source::Spiffe));
        assert!(!matches(&p, "spiffe://corp/ns/a", Source::CommonName));
        let cn = MtlsMatch::CommonName("svc".to_owned());
        assert!(matches(&cn, "svc", Source::CommonName));
        assert!(!matches(&cn, "svc", Source::Spiffe));
        assert!(!matches(&cn, "svc2", Source::CommonName));
    }
}
