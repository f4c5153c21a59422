//! Validation of `objectives.toml`: each objective names a known metric, exactly one of `max`
//! and `min`, Annex A controls, AI systems the inventory knows, and (for `findings_forwarded`)
//! data classes. Ids share the rules' namespace so a report row names one thing.

use super::{Src, Validator};
use crate::policy::objective::{Metric, Objective, Threshold};
use crate::policy::raw::RawObjectives;
use crate::policy::LoadError;
use crate::taxonomy::ClassPattern;
use std::sync::Arc;

impl Validator<'_> {
    pub(super) fn objectives(
        &mut self,
        s: Src<'_>,
        raw: RawObjectives,
    ) -> Result<Vec<Objective>, LoadError> {
        let mut out = Vec::with_capacity(raw.objective.len());
        for r in raw.objective {
            let id = self.ident(s, &r.id, "objective.id")?;
            let key = |k: &str| format!("objective[{id}].{k}");
            if !self.ids.insert(id.clone()) {
                return Err(s.err(
                    r.id.span(),
                    key("id"),
                    "id used twice (rules, output rules and objectives share ids)",
                ));
            }
            if r.title.trim().is_empty() {
                return Err(s.err(r.id.span(), key("title"), "must not be empty"));
            }
            let metric = Metric::parse(r.metric.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                s.err(
                    r.metric.span(),
                    key("metric"),
                    format!(
                        "unknown metric `{}`; one of {}",
                        r.metric.get_ref(),
                        names.join(", ")
                    ),
                )
            })?;
            let threshold =
                match (&r.max, &r.min) {
                    (Some(m), None) => Threshold::Max(*m.get_ref()),
                    (None, Some(m)) => Threshold::Min(*m.get_ref()),
                    _ => return Err(s.err(
                        r.id.span(),
                        key("max"),
                        "give exactly one of `max` (met at or below) and `min` (met at or above)",
                    )),
                };
            let bound = match threshold {
                Threshold::Max(v) | Threshold::Min(v) => v,
            };
            let span = r.max.as_ref().or(r.min.as_ref()).map(|m| m.span());
            if !bound.is_finite() || bound < 0.0 {
                return Err(s.err(
                    span.unwrap_or_else(|| r.id.span()),
                    key("max"),
                    "the threshold must be a finite number ≥ 0",
                ));
            }
            let classes = match (&r.classes, metric) {
                (Some(c), Metric::FindingsForwarded) => {
                    let c = self.classes(s, c, &key("classes"))?;
                    if c.is_empty() {
                        return Err(s.err(r.id.span(), key("classes"), "list at least one class"));
                    }
                    c
                }
                (None, Metric::FindingsForwarded) => {
                    vec![ClassPattern::parse("secret.*")
                        .map_err(|e| s.err(r.id.span(), key("classes"), e.to_string()))?]
                }
                (Some(_), _) => {
                    return Err(s.err(
                        r.metric.span(),
                        key("classes"),
                        "`classes` applies only to the metric findings_forwarded",
                    ))
                }
                (None, _) => Vec::new(),
            };
            let mut ai_systems: Vec<Arc<str>> = Vec::new();
            for sys in r.ai_systems.iter().flatten() {
                let Some((known, _)) = self.index.get_key_value(sys.get_ref().as_str()) else {
                    return Err(s.err(
                        sys.span(),
                        key("ai_systems"),
                        format!("`{}` is not in the inventory (systems.toml)", sys.get_ref()),
                    ));
                };
                if !ai_systems.contains(known) {
                    ai_systems.push(known.clone());
                }
            }
            if metric == Metric::UnregisteredCalls && !ai_systems.is_empty() {
                return Err(s.err(
                    r.metric.span(),
                    key("ai_systems"),
                    "unregistered_calls counts calls outside the inventory; it cannot be measured per registered system",
                ));
            }
            let controls = self.described(s, r.id.span(), &r.title, &r.controls, &|k| key(k))?;
            out.push(Objective {
                id,
                title: r.title,
                metric,
                threshold,
                classes,
                ai_systems,
                controls,
            });
        }
        Ok(out)
    }
}
