//! `[[limits]]`: unique ids, a known scope, at least one of `requests` / `tokens`, a positive
//! interval, and `match` patterns that are exact ids, `prefix*` or `*`.

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
        if requests.is_none() && l.tokens.is_none() {
            return Err(cx.err(key("requests"), "give `requests`, `tokens` or both"));
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
            per,
        });
    }
    Ok(out)
}
