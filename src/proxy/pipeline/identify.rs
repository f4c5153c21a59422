//! Phase 2, identify: bind the caller to a principal, and vet the caller's own headers
//! (duplicate credentials, the `x-aimsgate-ai-system` selection, `x-request-id`) before anything
//! can store them.
//!
//! Does not authenticate itself (that is [`crate::identity`]) or decide anything about the call.

use super::*;

impl Pipeline {
    /// Phase 2 — bind the caller to a principal; nothing goes upstream without one.
    pub(super) fn identify(
        &self,
        ctx: &mut Call,
        conn: &ConnInfo,
        h: &HeaderMap,
    ) -> Result<(), Error> {
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        // A repeated credential or identity header is ambiguous (one copy binds the identity,
        // another may be read upstream): refused in every mode.
        let trusted = self.shared.trusted_header.as_ref();
        let identity_headers = ["authorization", "x-api-key", "x-goog-api-key"]
            .into_iter()
            .chain(trusted.map(|(id, _)| id.as_str()))
            .chain(trusted.and_then(|(_, g)| g.as_deref()));
        for name in identity_headers {
            if h.get_all(name).iter().nth(1).is_some() {
                return Err(Error::Unauthenticated(format!(
                    "the request carries more than one `{name}` header; send exactly one credential"
                )));
            }
        }
        let (trusted_identity, trusted_groups) = match trusted {
            Some((id, groups)) => (text(id), groups.as_deref().and_then(text)),
            None => (None, None),
        };
        // Google's SDKs send their key as `x-goog-api-key`; it is the same kind of credential as
        // Anthropic's `x-api-key`, and sending both is as ambiguous as sending one twice.
        if h.contains_key("x-api-key") && h.contains_key("x-goog-api-key") {
            return Err(Error::Unauthenticated(
                "the request carries both `x-api-key` and `x-goog-api-key`; send exactly one credential".into(),
            ));
        }
        // An AWS SDK signs its request to aimsgate with SigV4; aimsgate does not hold the
        // caller's secret, so only the access key id can bind an identity, and only when it is a
        // virtual key (verified against the configured hashes like any `agk_` key).
        let (authorization, sigv4_key) = match text("authorization") {
            Some(a) if ctx.family == providers::Family::Bedrock => match sigv4_access_key(a) {
                Some(key) => (None, Some(key?)),
                None => (Some(a), None),
            },
            a => (a, None),
        };
        if sigv4_key.is_some() && (h.contains_key("x-api-key") || h.contains_key("x-goog-api-key"))
        {
            return Err(Error::Unauthenticated(
                "the request carries both a SigV4 `authorization` and an API key header; send exactly one credential".into(),
            ));
        }
        let creds = Credentials {
            authorization,
            api_key: sigv4_key
                .or_else(|| text("x-api-key"))
                .or_else(|| text("x-goog-api-key")),
            peer_ip: conn.peer.ip(),
            client_cert_der: conn.client_cert.as_deref().map(Vec::as_slice),
            trusted_identity,
            trusted_groups,
        };
        let now = ctx
            .received_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let identified = self
            .shared
            .auth
            .authenticate(&creds, now)
            .map_err(|e| Error::Unauthenticated(e.to_string()))?;
        ctx.credential = match identified.upstream {
            UpstreamAuth::PassThrough => UpstreamCredential::PassThrough,
            UpstreamAuth::Inject { key_ref } => {
                if !self.shared.config.keys.contains_key(&key_ref) {
                    return Err(Error::Internal(format!(
                        "provider key set `{key_ref}` is not configured"
                    )));
                }
                // Which key of the set is injected depends on the upstream: select_upstream.
                ctx.key_set = Some(key_ref);
                UpstreamCredential::None
            }
            UpstreamAuth::Default => UpstreamCredential::None,
        };
        ctx.ai_system_header = ai_system_header(&ctx.active.classifier, h)?;
        ctx.principal = Some(identified.principal);
        Ok(())
    }

    /// A caller's `x-request-id` is kept only when it is an id: bounded printable ASCII (checked
    /// in [`Call::new`]) in which the classifier finds nothing. Otherwise the call gets a
    /// generated id, so a secret pasted there reaches no log, trace or evidence record.
    pub(super) fn vet_request_id(&self, ctx: &mut Call, headers: &HeaderMap) {
        if !headers.contains_key("x-request-id") {
            return;
        }
        if !ctx
            .active
            .classifier
            .classify(&ctx.request_id)
            .items
            .is_empty()
        {
            ctx.request_id = uuid::Uuid::new_v4().to_string();
        }
    }
}

/// The access key id of a SigV4 `authorization` header (`AWS4-HMAC-SHA256 Credential=AKID/…`);
/// `None` for another scheme. An access key id that is not an aimsgate virtual key is refused:
/// the signature cannot be checked here and cannot be relayed (it signs aimsgate's host), so it
/// would prove nothing.
fn sigv4_access_key(authorization: &str) -> Option<Result<&str, Error>> {
    let rest = authorization.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    let key = rest
        .split(',')
        .find_map(|p| p.trim().strip_prefix("Credential="))
        .and_then(|c| c.split('/').next())
        .filter(|k| !k.is_empty());
    Some(match key {
        Some(k) if k.starts_with(crate::identity::VIRTUAL_KEY_PREFIX) => Ok(k),
        _ => Err(Error::Unauthenticated(
            "aimsgate cannot verify an AWS SigV4 signature made with your own AWS credentials; use your aimsgate virtual key (agk_…) as the access key id (any secret key), or a Bedrock API key as `Authorization: Bearer` in pass-through".into(),
        )),
    })
}

/// The `x-aimsgate-ai-system` header, validated before anything can store it: one value, an
/// inventory id (1-128 of `A-Z a-z 0-9 - _ .`), and nothing the classifier flags (a credential
/// pasted there must not reach the evidence as a system name).
pub(super) fn ai_system_header(
    classifier: &Classifier,
    h: &HeaderMap,
) -> Result<Option<String>, Error> {
    const NAME: &str = "x-aimsgate-ai-system";
    let mut values = h.get_all(NAME).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    let bad = |reason: &str| Error::BadHeader {
        header: NAME,
        reason: reason.to_owned(),
    };
    if values.next().is_some() {
        return Err(bad("send it at most once"));
    }
    let v = v.to_str().map_err(|_| bad("it must be ASCII"))?.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let is_id = v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !is_id {
        return Err(bad(
            "it must be an AI system id from the inventory (1-128 of A-Z a-z 0-9 - _ .)",
        ));
    }
    if let Some(f) = classifier.classify(v).items.first() {
        return Err(bad(&format!(
            "its value contains data of class {}, not an AI system id",
            f.class.as_str()
        )));
    }
    Ok(Some(v.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_virtual_key_as_sigv4_access_key_id_is_taken() {
        let h = |akid: &str| {
            format!("AWS4-HMAC-SHA256 Credential={akid}/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
        };
        let vk = h("agk_abc");
        assert_eq!(sigv4_access_key(&vk).unwrap().unwrap(), "agk_abc");
        let own = h("AKIAIOSFODNN7EXAMPLE");
        let err = sigv4_access_key(&own).unwrap().unwrap_err();
        assert_eq!(err.status(), 401);
        assert!(!err.to_string().contains("AKIAIOSFODNN7EXAMPLE"));
        assert!(sigv4_access_key("AWS4-HMAC-SHA256 SignedHeaders=host")
            .unwrap()
            .is_err());
        assert!(sigv4_access_key("Bearer agk_abc").is_none());
    }
}
