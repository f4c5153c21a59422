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

impl Named for FailMode {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("fail_closed", Self::FailClosed),
        ("fail_open", Self::FailOpen),
    ];
}

#[derive(Clone, Copy)]
enum Backend {
    Memory,
    Redis,
}

impl Named for Backend {
    const NAMES: &'static [(&'static str, Self)] =
        &[("memory", Self::Memory), ("redis", Self::Redis)];
}

/// `[limits_store]`: `memory` (the default) takes no other key; `redis` needs a `redis://` url
/// without a password in it (that is `password = { env }` / `{ file }`), a key prefix of
/// printable characters and a timeout between 1 ms and 10 s.
pub(super) fn store(
    cx: &Ctx<'_>,
    raw: Option<&RawLimitsStore>,
) -> Result<LimitsStore, ConfigError> {
    let Some(raw) = raw else {
        return Ok(LimitsStore::Memory);
    };
    let key = |k: &str| format!("limits_store.{k}");
    match cx.choice(&key("backend"), raw.backend.as_deref(), Backend::Memory)? {
        Backend::Memory => {
            let set = [
                ("url", raw.url.is_some()),
                ("password", raw.password.is_some()),
                ("key_prefix", raw.key_prefix.is_some()),
                ("timeout", raw.timeout.is_some()),
                ("on_error", raw.on_error.is_some()),
            ];
            match set.iter().find(|(_, s)| *s) {
                Some((k, _)) => Err(cx.err(key(k), "only with `backend = \"redis\"`")),
                None => Ok(LimitsStore::Memory),
            }
        }
        Backend::Redis => {
            let url = raw
                .url
                .as_deref()
                .ok_or_else(|| cx.err(key("url"), "give `redis://host:port/db`"))?;
            redis_url(cx, &key("url"), url)?;
            let password = cx.opt_secret(&key("password"), raw.password.as_ref())?;
            let key_prefix = raw
                .key_prefix
                .clone()
                .unwrap_or_else(|| "aimsgate:limits:".to_owned());
            if key_prefix.len() > 64 || key_prefix.bytes().any(|b| !b.is_ascii_graphic()) {
                return Err(cx.err(key("key_prefix"), "at most 64 printable ASCII characters"));
            }
            let timeout = cx.duration(
                &key("timeout"),
                raw.timeout.as_deref(),
                Duration::from_millis(50),
            )?;
            if timeout < Duration::from_millis(1) || timeout > Duration::from_secs(10) {
                return Err(cx.err(key("timeout"), "between 1ms and 10s"));
            }
            let on_error = cx.choice(
                &key("on_error"),
                raw.on_error.as_deref(),
                FailMode::FailClosed,
            )?;
            Ok(LimitsStore::Redis(RedisStoreSettings {
                url: url.to_owned(),
                password,
                key_prefix,
                timeout,
                on_error,
            }))
        }
    }
}

/// `redis://[user@]host[:port][/db]`: no TLS (`rediss://`) and no inline password.
fn redis_url(cx: &Ctx<'_>, key: &str, url: &str) -> Result<(), ConfigError> {
    if url.starts_with("rediss://") {
        return Err(cx.err(
            key,
            "`rediss://` is not supported: reach Redis over a private network or a local TLS tunnel with `redis://`",
        ));
    }
    let Some(rest) = url.strip_prefix("redis://") else {
        return Err(cx.err(key, "a `redis://host:port/db` URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
    {
        return Err(cx.err(
            key,
            "no password in the URL; use `password = { env = \"...\" }` or `{ file = \"...\" }`",
        ));
    }
    // Redis's own parser decides the rest (host, port, db); its message names no secret.
    redis::IntoConnectionInfo::into_connection_info(url)
        .map(|_| ())
        .map_err(|_| cx.err(key, "not a Redis URL like `redis://127.0.0.1:6379/0`"))
}
