//! Trusted-header mode: an identity set by an upstream authenticator, accepted only from
//! configured peer addresses; and the small CIDR matcher it needs.
//!
//! Owns peer-address matching (IPv4 and IPv6 prefixes over `std::net`, IPv4-mapped IPv6 peers
//! compared as IPv4) and the parsing of the identity and groups header values. Does not read
//! headers: the listener passes their values.

use std::net::IpAddr;

use super::config::TrustedHeaderConfig;
use super::error::{AuthError, IdentityError};
use super::{
    fingerprint, is_clean_name, upstream_for, AuthMethod, Identified, Principal, UpstreamAuth,
};

/// An address prefix: `addr/len` with no host bits set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    net: u128,
    len: u8,
    v4: bool,
}

impl Cidr {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`. Host bits must be zero.
    pub(crate) fn parse(s: &str) -> Result<Self, &'static str> {
        let (addr, len) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s.trim(), None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| "not an IP address (write e.g. 10.0.0.5, 10.0.0.0/8 or fd00::/8)")?;
        let (bits, max, v4) = to_bits(ip);
        let len = match len {
            None => max,
            Some(l) => {
                let n: u8 = l.parse().map_err(|_| "the prefix length is not a number")?;
                if n > max {
                    return Err("the prefix length is longer than the address (max 32 for IPv4, 128 for IPv6)");
                }
                n
            }
        };
        if bits & !mask(len, max) != 0 {
            return Err("host bits are set after the prefix; use the network address (e.g. 10.0.0.0/8, not 10.0.0.1/8)");
        }
        Ok(Cidr { net: bits, len, v4 })
    }

    /// Whether `ip` lies inside this prefix.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let (bits, max, v4) = to_bits(ip);
        v4 == self.v4 && bits & mask(self.len, max) == self.net
    }
}

/// The address as a right-aligned integer, its bit width, and whether it is IPv4.
/// IPv4-mapped IPv6 addresses count as IPv4.
fn to_bits(ip: IpAddr) -> (u128, u8, bool) {
    match ip.to_canonical() {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, true),
        IpAddr::V6(v6) => (u128::from(v6), 128, false),
    }
}

/// Network mask of `len` leading ones in a `max`-bit address.
fn mask(len: u8, max: u8) -> u128 {
    let full: u128 = if max >= 128 {
        u128::MAX
    } else {
        (1u128 << max) - 1
    };
    let host_bits = u32::from(max.saturating_sub(len));
    full & full.checked_shl(host_bits).unwrap_or(0)
}

/// Trusted-header mode, compiled.
#[derive(Debug)]
pub(crate) struct TrustedHeader {
    peers: Vec<Cidr>,
    upstream: UpstreamAuth,
}

/// A valid HTTP header name (RFC 9110 token characters we allow).
fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Longest accepted groups header value.
const MAX_GROUPS_HEADER: usize = 8 * 1024;

impl TrustedHeader {
    pub(crate) fn new(cfg: TrustedHeaderConfig) -> Result<Self, IdentityError> {
        if !is_header_name(&cfg.header) {
            return Err(IdentityError::BadHeaderName {
                which: "header",
                name: cfg.header,
            });
        }
        if let Some(g) = cfg.groups_header {
            if !is_header_name(&g) {
                return Err(IdentityError::BadHeaderName {
                    which: "groups_header",
                    name: g,
                });
            }
        }
        if cfg.trusted_peers.is_empty() {
            return Err(IdentityError::NoTrustedPeers);
        }
        let peers = cfg
            .trusted_peers
            .iter()
            .map(|p| {
                Cidr::parse(p).map_err(|reason| IdentityError::BadCidr {
                    value: p.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let upstream = upstream_for(cfg.key_ref, "trusted_header")?;
        Ok(TrustedHeader { peers, upstream })
    }

    /// Whether `ip` is a configured authenticator.
    pub(crate) fn is_trusted(&self, ip: IpAddr) -> bool {
        self.peers.iter().any(|c| c.contains(ip))
    }

    /// Binds the principal from the header values. `identity` is the identity header (if
    /// present), `groups` the groups header. Returns `None` when the trusted peer sent no
    /// identity header (the groups header alone identifies nobody).
    pub(crate) fn identify(
        &self,
        peer: IpAddr,
        identity: Option<&str>,
        groups: Option<&str>,
    ) -> Result<Option<Identified>, AuthError> {
        if !self.is_trusted(peer) {
            return Err(AuthError::UntrustedPeer);
        }
        let Some(raw) = identity else {
            return Ok(None);
        };
        let id = raw.trim();
        if !is_clean_name(id) {
            return Err(AuthError::BadHeader {
                reason: "the identity value must be non-empty, at most 1024 bytes, without control characters",
            });
        }
        let groups = match groups {
            Some(g) => parse_groups(g)?,
            None => Vec::new(),
        };
        Ok(Some(Identified {
            principal: Principal {
                id: id.to_owned(),
                kind: AuthMethod::TrustedHeader,
                groups,
                fingerprint: fingerprint(id),
                ai_system: None,
            },
            upstream: self.upstream.clone(),
        }))
    }
}

/// Splits a groups header on commas and whitespace, dropping empty items.
fn parse_groups(value: &str) -> Result<Vec<String>, AuthError> {
    if value.len() > MAX_GROUPS_HEADER {
        return Err(AuthError::BadHeader {
            reason: "the groups value is longer than 8 KiB",
        });
    }
    let mut out: Vec<String> = Vec::new();
    for g in value.split(|c: char| c == ',' || c.is_whitespace()) {
        if g.is_empty() {
            continue;
        }
        if !is_clean_name(g) {
            return Err(AuthError::BadHeader {
                reason: "a group name is too long or contains control characters",
            });
        }
        if !out.iter().any(|o| o == g) {
            out.push(g.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_prefixes_match_their_range_only() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(ip("10.1.0.0")));
        assert!(c.contains(ip("10.1.255.255")));
        assert!(!c.contains(ip("10.2.0.0")));
        assert!(!c.contains(ip("::1")));
        let host = Cidr::parse("192.168.1.5").unwrap();
        assert!(host.contains(ip("192.168.1.5")));
        assert!(!host.contains(ip("192.168.1.6")));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("255.255.255.255")));
        assert!(!all.contains(ip("2001:db8::1")));
    }

    #[test]
    fn ipv4_mapped_ipv6_peers_match_ipv4_prefixes() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("::ffff:10.9.8.7")));
        assert!(!c.contains(ip("::ffff:11.0.0.1")));
    }

    #[test]
    fn ipv6_prefixes_match_their_range_only() {
        let c = Cidr::parse("fd00::/8").unwrap();
        assert!(c.contains(ip("fd12:3456::1")));
        assert!(!c.contains(ip("fe80::1")));
        assert!(!c.contains(ip("10.0.0.1")));
        let odd = Cidr::parse("2001:db8::/33").unwrap();
        assert!(odd.contains(ip("2001:db8:7fff::1")));
        assert!(!odd.contains(ip("2001:db8:8000::1")));
        let host = Cidr::parse("::1/128").unwrap();
        assert!(host.contains(ip("::1")));
        assert!(!host.contains(ip("::2")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("ffff::1")));
    }

    #[test]
    fn bad_cidrs_are_refused_with_a_reason() {
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0.0/x",
            "example.com",
            "",
            "10.0.0.0/",
            "fd00::1/8",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn groups_split_on_commas_and_spaces_without_duplicates() {
        assert_eq!(
            parse_groups(" a, b c,,a ").unwrap(),
            vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]
        );
        assert!(parse_groups("ok,\u{7f}bad").is_err());
        assert!(parse_groups(&"x".repeat(MAX_GROUPS_HEADER + 1)).is_err());
    }
}
