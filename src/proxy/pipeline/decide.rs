//! Phases 7 to 9: bind the AI system and evaluate the policy (pure), enforce the decision on
//! the body actually sent (redact or refuse), and make the decision record durable before
//! anything is forwarded.
//!
//! The rules themselves live in [`crate::policy`]; evidence storage in [`crate::evidence`].

use super::*;

impl Pipeline {
    /// Phase 7 — bind the AI system and evaluate the policy (pure) for this call's facts. A
    /// routing rule (`route_model`) sends the call to another model: decided again for it.
    pub(super) fn decide(&self, ctx: &mut Call, scan: &Scan) -> Result<(), Error> {
        if let Some(model) = self.decide_once(ctx, scan, true)? {
            self.reroute(ctx, model)?;
            self.decide_once(ctx, scan, false)?;
        }
        Ok(())
    }

    /// One evaluation; `Ok(Some(model))` when a routing rule sends the call to `model` (only
    /// when `may_route`), and nothing is recorded in `ctx` yet.
    fn decide_once(
        &self,
        ctx: &mut Call,
        scan: &Scan,
        may_route: bool,
    ) -> Result<Option<String>, Error> {
        let bundle = ctx.active.bundle.clone();
        let p = ctx
            .principal
            .as_ref()
            .ok_or_else(|| Error::Internal("decide before identify".into()))?;
        let binding = policy::bind_system(
            &bundle,
            &p.id,
            &p.groups,
            p.ai_system.as_deref(),
            ctx.ai_system_header.as_deref(),
        );
        ctx.ai_system_refused = binding.refused_header.clone();
        let classes = scan.counts.names();
        let limits: Vec<(&str, f64)> = ctx
            .limit_usage
            .iter()
            .map(|(id, u)| (id.as_str(), *u))
            .collect();
        let facts = Facts {
            principal: &p.id,
            auth_method: p.kind.as_str(),
            groups: &p.groups,
            ai_system: binding.system(),
            upstream: ctx.upstream_name.as_deref().unwrap_or_default(),
            model: ctx.model.as_deref(),
            operation: ctx.op.map(Operation::as_str).unwrap_or_default(),
            classes: &classes,
            stream: ctx.stream,
            max_tokens: ctx.max_tokens,
            unscanned_bytes: ctx.unscanned_bytes,
            limits: &limits,
        };
        let mut decision = policy::evaluate(&bundle, &facts);
        match decision.route_model.take() {
            Some(m) if may_route && ctx.model.as_deref() != Some(m.as_str()) => return Ok(Some(m)),
            // The model the call is routed to is the one it already names.
            Some(m) if may_route => decision.route_model = Some(m),
            _ => {}
        }
        let output = self
            .shared
            .config
            .classify
            .scan_responses
            .then(|| output_mode(&policy::output_plan(&bundle, &facts)));
        ctx.output = output;
        ctx.decision = Some(decision);
        Ok(None)
    }

    /// Phase 6b — the `limit_used` facts, read before the policy decides, when the active
    /// bundle's rules read them and limits are configured (nothing is asked otherwise).
    pub(super) async fn read_limit_usage(&self, ctx: &mut Call) {
        let limits = &self.shared.limits;
        let bundle = &ctx.active.bundle;
        if !bundle.uses_limit_facts() || limits.is_empty() {
            return;
        }
        let Some(p) = ctx.principal.as_ref() else {
            return;
        };
        let binding = policy::bind_system(
            bundle,
            &p.id,
            &p.groups,
            p.ai_system.as_deref(),
            ctx.ai_system_header.as_deref(),
        );
        let subject = crate::proxy::limits::Subject {
            principal: Some(p.id.as_str()),
            groups: &p.groups,
            ai_system: binding.system(),
            upstream: ctx.upstream_name.as_deref(),
        };
        ctx.limit_usage = limits.usage(&subject, Instant::now()).await;
    }

    /// A routing rule sends the call to `model`: the upstream is selected again for it (from
    /// configuration, as for any model), and then the policy decides again with the new model
    /// and upstream as facts — so the routed call still needs the model and supplier approvals of
    /// its system. The second decision does not route again.
    fn reroute(&self, ctx: &mut Call, model: String) -> Result<(), Error> {
        let op = ctx
            .op
            .ok_or_else(|| Error::Internal("route before the route phase".into()))?;
        let before = ctx.upstream;
        ctx.routed_from = ctx.model.replace(model);
        // The provider key is chosen again for the new upstream (a key only ever goes to the
        // upstream it is bound to); a caller's own key is never sent to another upstream.
        let pass_through = matches!(ctx.credential, UpstreamCredential::PassThrough);
        if !pass_through {
            ctx.credential = UpstreamCredential::None;
        }
        self.select_upstream(ctx, op)?;
        if pass_through && ctx.upstream != before {
            return Err(Error::Refused {
                rule: CREDENTIAL_BINDING_RULE.to_owned(),
                message: "a routing rule sends this call to a model served by another upstream, and the caller's own provider key is only ever sent to the upstream it was sent for".to_owned(),
                fix: "use an aimsgate credential (virtual key, JWT, mTLS) so the gateway's key for that upstream is used, or ask for a model of the same upstream".to_owned(),
            });
        }
        Ok(())
    }

    /// Phase 8b — a routed call's body names the model it was routed to (its `model` member;
    /// an API that names the model in the path gets it from [`Call::model`]).
    pub(super) fn apply_route(&self, ctx: &Call, bytes: Bytes) -> Result<Bytes, Error> {
        let (Some(_), Some(model), Some(api)) = (&ctx.routed_from, &ctx.model, ctx.api) else {
            return Ok(bytes);
        };
        if api.model_in_path() {
            return Ok(bytes);
        }
        let failed = |e: serde_json::Error| Error::Internal(format!("routing the body: {e}"));
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).map_err(failed)?;
        match v.get_mut("model") {
            Some(m) => *m = serde_json::Value::String(model.clone()),
            None => return Ok(bytes),
        }
        Ok(Bytes::from(serde_json::to_vec(&v).map_err(failed)?))
    }

    /// Phase 8 — apply the decision: forward untouched, redact in the body actually sent, or refuse.
    pub(super) fn enforce(
        &self,
        ctx: &mut Call,
        scan: &Scan,
        extracted: Option<&Extracted>,
        bytes: Bytes,
    ) -> Result<Bytes, Error> {
        let effect = ctx
            .decision
            .as_ref()
            .map(|d| d.effect.clone())
            .unwrap_or(Effect::Allow);
        let actions = |pick: &dyn Fn(&str) -> ClassAction| -> Vec<ClassTally> {
            scan.counts
                .iter()
                .map(|c| ClassTally {
                    test_values: scan.test_values.get(c.class.as_str()),
                    class: c.class.as_str().to_owned(),
                    count: c.count,
                    action: pick(c.class.as_str()),
                })
                .collect()
        };
        match effect {
            Effect::Allow | Effect::Review => {
                ctx.class_actions = actions(&|_| ClassAction::Allowed);
                Ok(bytes)
            }
            Effect::Block { message, fix } => {
                ctx.class_actions = actions(&|_| ClassAction::Blocked);
                let rule = ctx
                    .decision
                    .as_ref()
                    .and_then(|d| d.rules.first())
                    .map(|r| r.id.to_string())
                    .unwrap_or_else(|| "default".into());
                Err(Error::Refused { rule, message, fix })
            }
            Effect::Redact { classes } => {
                let select = |c: &str| classes.iter().any(|p| p.matches(c));
                ctx.class_actions = actions(&|c| outcome::class_action(select(c), false));
                let Some(ex) = extracted else {
                    return Ok(bytes);
                };
                let mut redactor = Redactor::new();
                let mut edits = Vec::new();
                for (seg, items) in ex.segments.iter().zip(&scan.per_segment) {
                    let hits: Vec<Finding> = items
                        .iter()
                        .filter(|f| select(f.class.as_str()))
                        .cloned()
                        .collect();
                    if !hits.is_empty() {
                        edits.push(Edit {
                            raw: seg.raw.clone(),
                            text: redactor.redact(&seg.text, &hits, &select),
                        });
                    }
                }
                if edits.is_empty() {
                    return Ok(bytes);
                }
                let out = extract::rewrite(&bytes, &edits)
                    .map_err(|e| Error::Internal(format!("redaction failed: {e}")))?;
                Ok(Bytes::from(out))
            }
        }
    }

    /// Phase 9 — commit the decision record before anything leaves the proxy: durable in `sync`
    /// mode, queued (written and fsync'd within the interval) in `async` mode.
    pub(super) async fn commit_decision(&self, ctx: &mut Call) -> Result<(), Error> {
        if self.shared.is_shutting_down() {
            return Err(Error::ShuttingDown);
        }
        let appending = Instant::now();
        let appended = self
            .shared
            .evidence
            .commit(record::decision(ctx, 0, None))
            .await;
        self.shared
            .metrics
            .evidence_append
            .observe(appending.elapsed().as_secs_f64());
        match appended {
            Ok(seq) => {
                ctx.decision_record = DecisionRecord::Committed;
                ctx.log_index = Some(seq);
                Ok(())
            }
            Err(e) if self.shared.config.evidence.fail_open => {
                self.shared.metrics.fail_open_forwards.inc();
                tracing::error!(error = %e, decision_id = %ctx.decision_id, "evidence log not writable; forwarding anyway (fail_open = true)");
                ctx.decision_record = DecisionRecord::Kept;
                Ok(())
            }
            Err(e) => {
                self.shared.metrics.fail_closed_refusals.inc();
                tracing::error!(error = %e, "evidence log not writable; refusing the call (fail closed)");
                // A failed write keeps the record and writes it once the disk allows: the
                // outcome then records that the call was refused (no second decision record).
                if matches!(e, crate::evidence::EvidenceError::Write(_)) {
                    ctx.decision_record = DecisionRecord::Kept;
                }
                Err(Error::EvidenceUnavailable)
            }
        }
    }
}

/// Resolve the policy's output plan into this response's per-class actions: every enforced
/// output rule applies (block wins over redact for its classes); monitor-mode entries only observe.
fn output_mode(plan: &policy::OutputPlan) -> OutputMode {
    OutputMode::from_plan(plan)
}
