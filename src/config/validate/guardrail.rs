//! `[guardrail]`: the guardrail listener's address (the flag wins), its fail mode, how long a
//! decision waits for its answer check, and the model → AI system map. Off unless an address
//! is given. Starts nothing: [`crate::proxy::guardrail`] does.

use super::*;

/// Largest `max_pending` accepted (each waiting decision holds its call context, no text).
const MAX_PENDING: usize = 1_000_000;

pub(super) fn guardrail(
    cx: &Ctx<'_>,
    raw: &RawGuardrail,
    ov: &Overrides,
    server: &ServerConfig,
) -> Result<Option<GuardrailSettings>, ConfigError> {
    let listen = ov.guardrail_listen.as_deref().or(raw.listen.as_deref());
    let Some(listen) = listen else {
        if !raw.systems.is_empty() || raw.fail_open.is_some() {
            return Err(cx.err(
                "guardrail.listen",
                "the `[guardrail]` section needs a listen address (or `serve --guardrail-listen ADDR`)",
            ));
        }
        return Ok(None);
    };
    let listen = cx.addr("guardrail.listen", listen)?;
    if listen.port() != 0 && (listen == server.listen || listen == server.admin_listen) {
        return Err(cx.err(
            "guardrail.listen",
            "must not be the proxy's or the admin listener's address",
        ));
    }
    let pending_ttl = cx.duration(
        "guardrail.pending_ttl",
        raw.pending_ttl.as_deref(),
        Duration::from_secs(600),
    )?;
    if pending_ttl.is_zero() || pending_ttl > Duration::from_secs(24 * 3600) {
        return Err(cx.err("guardrail.pending_ttl", "must be between 1ms and 24h"));
    }
    let max_pending = raw.max_pending.unwrap_or(10_000);
    if max_pending == 0 || max_pending > MAX_PENDING {
        return Err(cx.err(
            "guardrail.max_pending",
            format!("must be between 1 and {MAX_PENDING}"),
        ));
    }
    let mut systems = Vec::with_capacity(raw.systems.len());
    for (i, s) in raw.systems.iter().enumerate() {
        let key = format!("guardrail.systems[{i}]");
        let model = s.model.trim();
        if model.is_empty() || model.contains(char::is_whitespace) {
            return Err(cx.err(
                format!("{key}.model"),
                "a model name or `prefix*`, without spaces",
            ));
        }
        let id = s.ai_system.trim();
        let is_id = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !is_id {
            return Err(cx.err(
                format!("{key}.ai_system"),
                "an AI system id from the inventory (1-128 of A-Z a-z 0-9 - _ .)",
            ));
        }
        systems.push((model.to_owned(), id.to_owned()));
    }
    Ok(Some(GuardrailSettings {
        listen,
        fail_open: raw.fail_open.unwrap_or(false),
        pending_ttl,
        max_pending,
        systems,
    }))
}
