//! `[[limits]]`: unique ids, a known scope, at least one of `requests` / `tokens` / `cost`, a
//! positive interval, and `match` patterns that are exact ids, `prefix*` or `*`; `[[prices]]`:
//! model patterns and non-negative prices, present when a limit has a `cost`.

use super::*;

impl Named for LimitScope {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("principal", Self::Principal),
        ("group", Self::Group),
        ("ai_system", Self::AiSystem),
        ("upstream", Self::Upstream),
    ];
}

pub(super) fn limits(cx: &Ctx<'_>, raw: &[RawLimit]) -> Result<Vec<LimitSettings>, ConfigError> {
    let mut out: Vec<LimitSettings> = Vec::with_capacity(raw.len());
    for (i, l) in raw.iter().enumerate() {
        let key = |k: &str| format!("limits[{i}].{k}");
        let id_ok = (1..=64).contains(&l.id.len())
            && l.id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !id_ok {
            return Err(cx.err(key("id"), "1-64 of A-Z a-z 0-9 - _ ."));
        }
        if out.iter().any(|o| o.id == l.id) {
            return Err(cx.err(key("id"), format!("duplicate limit id `{}`", l.id)));
        }
        let scope = cx.choice(&key("scope"), Some(&l.scope), LimitScope::Principal)?;
        let requests = match l.requests {
            None => None,
            Some(n) => Some(
                std::num::NonZeroU32::new(n)
                    .ok_or_else(|| cx.err(key("requests"), "must be at least 1"))?,
            ),
        };
        if l.tokens == Some(0) {
            return Err(cx.err(key("tokens"), "must be at least 1"));
        }
        let cost_micros = match l.cost {
            None => None,
            Some(c) if c.is_finite() && c > 0.0 && c < 1e12 => Some((c * 1e6) as u64),
            Some(_) => return Err(cx.err(key("cost"), "a positive amount in the [[prices]] unit")),
        };
        if requests.is_none() && l.tokens.is_none() && cost_micros.is_none() {
            return Err(cx.err(
                key("requests"),
                "give `requests`, `tokens`, `cost` or several",
            ));
        }
        let per = cx.duration(&key("per"), l.per.as_deref(), Duration::from_secs(60))?;
        if per.is_zero() {
            return Err(cx.err(key("per"), "must be longer than zero"));
        }
        let matches = if l.matches.is_empty() {
            vec!["*".to_owned()]
        } else {
            l.matches.clone()
        };
        for m in &matches {
            let body = m.strip_suffix('*').unwrap_or(m);
            if body.contains('*') || (body.is_empty() && m != "*") {
                return Err(cx.err(
                    key("match"),
                    format!("`{m}`: use an exact id, `prefix*` or `*`"),
                ));
            }
        }
        out.push(LimitSettings {
            id: l.id.clone(),
            scope,
            matches,
            requests,
            tokens: l.tokens,
            cost_micros,
            per,
        });
    }
    Ok(out)
}

pub(super) fn prices(
    cx: &Ctx<'_>,
    raw: &[RawPrice],
    limits: &[LimitSettings],
) -> Result<Vec<Price>, ConfigError> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let key = |k: &str| format!("prices[{i}].{k}");
        let body = p.model.strip_suffix('*').unwrap_or(&p.model);
        if p.model.is_empty() || body.contains('*') {
            return Err(cx.err(key("model"), "an exact model name or `prefix*`"));
        }
        for (k, v) in [("input", p.input), ("output", p.output)] {
            if !v.is_finite() || v < 0.0 {
                return Err(cx.err(key(k), "a price per million tokens, 0 or more"));
            }
        }
        out.push(Price {
            model: p.model.clone(),
            input_per_mtok: p.input,
            output_per_mtok: p.output,
        });
    }
    if out.is_empty() {
        if let Some(i) = limits.iter().position(|l| l.cost_micros.is_some()) {
            return Err(cx.err(
                format!("limits[{i}].cost"),
                "a money budget needs a [[prices]] table",
            ));
        }
    }
    Ok(out)
}
