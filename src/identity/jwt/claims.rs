//! Claim checks of a signature-verified JWT: `exp` (required), `nbf`, `iss`, `aud` against a
//! caller-supplied `now`, and reading the principal, groups and AI system claims.
//!
//! Owns time and audience semantics. Does not touch signatures or keys.

use serde_json::{Map, Value};

use crate::identity::config::JwtConfig;
use crate::identity::error::{AuthError, IdentityError};
use crate::identity::is_clean_name;

/// Compiled claim settings.
#[derive(Debug)]
pub(crate) struct ClaimRules {
    issuer: Option<String>,
    audiences: Vec<String>,
    principal_claim: String,
    groups_claim: Option<String>,
    ai_system_claim: Option<String>,
    leeway: u64,
}

/// What a token's claims bind.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) principal: String,
    pub(crate) groups: Vec<String>,
    pub(crate) ai_system: Option<String>,
    pub(crate) window: Window,
}

/// A token's validity window: `nbf` (0 when absent) and `exp`, in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) exp: u64,
    pub(crate) nbf: u64,
}

fn invalid(reason: &'static str) -> AuthError {
    AuthError::InvalidToken { reason }
}

impl ClaimRules {
    /// Validates the claim settings of `cfg` (its keys are compiled elsewhere).
    pub(crate) fn new(cfg: JwtConfig) -> Result<Self, IdentityError> {
        let JwtConfig {
            issuer,
            audiences,
            principal_claim,
            groups_claim,
            ai_system_claim,
            leeway_secs: leeway,
            ..
        } = cfg;
        if principal_claim.is_empty() {
            return Err(IdentityError::BadClaimName { which: "principal" });
        }
        if groups_claim.as_deref() == Some("") {
            return Err(IdentityError::BadClaimName { which: "groups" });
        }
        if ai_system_claim.as_deref() == Some("") {
            return Err(IdentityError::BadClaimName { which: "ai_system" });
        }
        if issuer.as_deref().is_some_and(|i| !is_clean_name(i)) {
            return Err(IdentityError::BadName {
                what: "jwt issuer".to_owned(),
            });
        }
        if audiences.iter().any(|a| !is_clean_name(a)) {
            return Err(IdentityError::BadName {
                what: "jwt audiences".to_owned(),
            });
        }
        Ok(ClaimRules {
            issuer,
            audiences,
            principal_claim,
            groups_claim,
            ai_system_claim,
            leeway,
        })
    }

    /// Checks time, issuer and audience, then reads the bound identity.
    pub(crate) fn check(&self, claims: &Value, now: u64) -> Result<Bound, AuthError> {
        let claims = claims
            .as_object()
            .ok_or(invalid("the token's claims are not a JSON object"))?;
        let exp = match claims.get("exp") {
            Some(v) => numeric_date(v).ok_or(invalid("the exp claim is not a number"))?,
            None => return Err(invalid("the token has no exp claim; tokens must expire")),
        };
        let nbf = match claims.get("nbf") {
            Some(v) => numeric_date(v).ok_or(invalid("the nbf claim is not a number"))?,
            None => 0,
        };
        let window = Window { exp, nbf };
        self.check_time(window, now)?;
        if let Some(want) = &self.issuer {
            if claims.get("iss").and_then(Value::as_str) != Some(want.as_str()) {
                return Err(AuthError::WrongIssuer);
            }
        }
        if !self.audiences.is_empty() && !self.audience_ok(claims.get("aud")) {
            return Err(AuthError::WrongAudience);
        }
        let principal = lookup(claims, &self.principal_claim)
            .and_then(Value::as_str)
            .ok_or(invalid("the principal claim is missing or not a string"))?;
        if !is_clean_name(principal) {
            return Err(invalid(
                "the principal claim is empty, longer than 1024 bytes or contains control characters",
            ));
        }
        let groups = match self.groups_claim.as_deref().and_then(|c| lookup(claims, c)) {
            Some(v) => groups_of(v)?,
            None => Vec::new(),
        };
        let ai_system = match self
            .ai_system_claim
            .as_deref()
            .and_then(|c| lookup(claims, c))
        {
            Some(Value::String(s)) if is_clean_name(s) => Some(s.clone()),
            Some(_) => return Err(invalid("the AI system claim is not a clean string")),
            None => None,
        };
        Ok(Bound {
            principal: principal.to_owned(),
            groups,
            ai_system,
            window,
        })
    }

    /// `now` must be before `exp` and not before `nbf`, both widened by the leeway.
    pub(crate) fn check_time(&self, w: Window, now: u64) -> Result<(), AuthError> {
        if now >= w.exp.saturating_add(self.leeway) {
            return Err(AuthError::Expired);
        }
        if now.saturating_add(self.leeway) < w.nbf {
            return Err(AuthError::NotYetValid);
        }
        Ok(())
    }

    fn audience_ok(&self, aud: Option<&Value>) -> bool {
        let accepted = |a: &str| self.audiences.iter().any(|x| x == a);
        match aud {
            Some(Value::String(a)) => accepted(a),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(accepted),
            _ => false,
        }
    }
}

/// A NumericDate: non-negative integer or finite number of seconds (fractions truncated).
fn numeric_date(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let f = v.as_f64()?;
    if f.is_finite() && f >= 0.0 {
        // Saturating float-to-int conversion: huge values become u64::MAX.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(f as u64)
    } else {
        None
    }
}

/// The claim named exactly `name`, else the nested claim at the dotted path `name`.
fn lookup<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    if !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.');
    let mut cur = claims.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

/// Groups from an array of strings or one space-separated string, deduplicated.
fn groups_of(v: &Value) -> Result<Vec<String>, AuthError> {
    let bad = || {
        invalid("the groups claim must be an array of strings or a space-separated string of clean names")
    };
    let items: Vec<&str> = match v {
        Value::String(s) => s.split_whitespace().collect(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        _ => return Err(bad()),
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for g in items {
        if !is_clean_name(g) {
            return Err(bad());
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
    use serde_json::json;

    fn rules() -> ClaimRules {
        ClaimRules::new(JwtConfig {
            issuer: Some("https://idp".into()),
            audiences: vec!["aimsgate".into()],
            groups_claim: Some("realm_access.roles".into()),
            ai_system_claim: Some("ai_system".into()),
            leeway_secs: 10,
            ..JwtConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn exp_and_nbf_respect_the_leeway_at_the_edges() {
        let r = rules();
        let base = json!({"iss": "https://idp", "aud": "aimsgate", "sub": "u"});
        let with = |k: &str, v: u64, extra: Option<(&str, u64)>| {
            let mut c = base.clone();
            c[k] = json!(v);
            if let Some((k2, v2)) = extra {
                c[k2] = json!(v2);
            }
            c
        };
        assert!(r.check(&with("exp", 1000, None), 1009).is_ok());
        assert_eq!(
            r.check(&with("exp", 1000, None), 1010).unwrap_err(),
            AuthError::Expired
        );
        assert!(r
            .check(&with("exp", 5000, Some(("nbf", 1010))), 1000)
            .is_ok());
        assert_eq!(
            r.check(&with("exp", 5000, Some(("nbf", 1011))), 1000)
                .unwrap_err(),
            AuthError::NotYetValid
        );
        assert_eq!(r.check(&base, 0).unwrap_err().code(), "invalid_token");
    }

    #[test]
    fn nested_and_namespaced_claims_are_found() {
        let c = json!({"https://corp.example/groups": ["x"], "a": {"b": "deep"}});
        let m = c.as_object().unwrap();
        assert_eq!(lookup(m, "a.b"), Some(&json!("deep")));
        assert_eq!(
            lookup(m, "https://corp.example/groups"),
            Some(&json!(["x"]))
        );
        assert_eq!(lookup(m, "a.c"), None);
        assert_eq!(lookup(m, "missing"), None);
    }

    #[test]
    fn groups_accept_arrays_and_space_separated_strings_only() {
        assert_eq!(groups_of(&json!(["a", "b", "a"])).unwrap(), vec!["a", "b"]);
        assert_eq!(groups_of(&json!("a  b")).unwrap(), vec!["a", "b"]);
        assert!(groups_of(&json!([1])).is_err());
        assert!(groups_of(&json!({"a": 1})).is_err());
        assert!(groups_of(&json!(["bad\u{0}"])).is_err());
    }

    #[test]
    fn audience_may_be_a_string_or_an_array() {
        let r = rules();
        assert!(r.audience_ok(Some(&json!("aimsgate"))));
        assert!(r.audience_ok(Some(&json!(["other", "aimsgate"]))));
        assert!(!r.audience_ok(Some(&json!(["other"]))));
        assert!(!r.audience_ok(None));
        assert!(!r.audience_ok(Some(&json!(1))));
    }

    #[test]
    fn numeric_dates_reject_negative_and_non_numbers() {
        assert_eq!(numeric_date(&json!(5)), Some(5));
        assert_eq!(numeric_date(&json!(5.9)), Some(5));
        assert_eq!(numeric_date(&json!(-1)), None);
        assert_eq!(numeric_date(&json!("5")), None);
    }
}
