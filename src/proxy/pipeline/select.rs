//! Phase 5, select the upstream from configuration only (model routes, then the family
//! default) and the credential that may go to it (a key bound to that upstream, or none).
//!
//! Never takes a host or a key from the request.

use super::*;

impl Pipeline {
    /// Phase 5 — pick the upstream from configuration only: model map, then family default.
    pub(super) fn select_upstream(&self, ctx: &mut Call, op: Operation) -> Result<usize, Error> {
        let cfg = &self.shared.config;
        // The route's family; for the shared `GET /v1/models`, the one the caller's SDK speaks.
        let family = ctx.family;
        let family_default = cfg.routing.default_for(family);
        let chosen = match cfg.routing.upstream_for(ctx.model.as_deref()) {
            Some(r) if cfg.upstreams[r.upstream].kind.family() == family => Some(r.upstream),
            Some(r) => {
                return Err(Error::ModelNotAllowed {
                    model: ctx.model.clone().unwrap_or_default(),
                    reason: format!(
                        "it is served by upstream `{}`, which does not speak this API",
                        cfg.upstreams[r.upstream].name
                    ),
                })
            }
            None if !cfg.routing.allow_unlisted_models && op != Operation::Models => {
                return Err(Error::ModelNotAllowed {
                    model: ctx.model.clone().unwrap_or_else(|| "(none)".into()),
                    reason: "it is not on the gateway's model allow-list".into(),
                })
            }
            None => family_default,
        };
        let idx = chosen.ok_or(Error::NoUpstream {
            api: family.as_str(),
        })?;
        ctx.upstream = Some(idx);
        ctx.upstream_name = Some(cfg.upstreams[idx].name.clone());
        ctx.upstream_kind = Some(cfg.upstreams[idx].kind.as_str());
        ctx.credential = self.upstream_credential(ctx, idx)?;
        Ok(idx)
    }

    /// The credential sent to upstream `idx`: a provider key only ever goes to the upstream it is
    /// bound to. A caller whose credential maps keys, none of them for this upstream, gets the
    /// upstream's own configured key, or is refused when there is none.
    pub(super) fn upstream_credential(
        &self,
        ctx: &Call,
        idx: usize,
    ) -> Result<UpstreamCredential, Error> {
        let cfg = &self.shared.config;
        let up = &cfg.upstreams[idx];
        let own = up.api_key.clone();
        // A `bedrock` upstream's own credential may also be the AWS credentials it signs with
        // (sent as `UpstreamCredential::None`: signed in `upstream::Upstream::finish_request`).
        let signs = up.bedrock.as_ref().is_some_and(|b| b.credentials.is_some());
        let refuse = |why: &str, fix: &str| Error::Refused {
            rule: CREDENTIAL_BINDING_RULE.to_owned(),
            message: format!("this call goes to upstream `{}`, and {why}", up.name),
            fix: fix.to_owned(),
        };
        let bound_fix = "use a model or route served by an upstream your key is bound to, or ask the gateway operator to bind a key for this upstream to your credential";
        match (&ctx.credential, &ctx.key_set) {
            (UpstreamCredential::None, Some(set)) => {
                match cfg.keys.get(set).and_then(|s| s.for_upstream(idx)) {
                    Some(k) => Ok(UpstreamCredential::Key(k.clone())),
                    None => match own {
                        Some(k) => Ok(UpstreamCredential::Key(k)),
                        None if signs => Ok(UpstreamCredential::None),
                        None => Err(refuse(
                            "the caller's credential maps no provider key for it (provider keys are only ever injected into the upstream they are bound to)",
                            bound_fix,
                        )),
                    },
                }
            }
            (UpstreamCredential::None, None) => match own {
                Some(k) => Ok(UpstreamCredential::Key(k)),
                None if up.kind == UpstreamKind::Bedrock && !signs => Err(refuse(
                    "it holds neither AWS credentials nor a Bedrock API key to call it with",
                    "ask the gateway operator to give the bedrock upstream AWS credentials (environment or shared credentials file) or an api_key",
                )),
                None => Ok(UpstreamCredential::None),
            },
            (other, _) => Ok(other.clone()),
        }
    }
}
