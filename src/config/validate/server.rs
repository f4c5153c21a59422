//! `[server]`: listen addresses (flags win), body and connection limits, timeouts and TLS.
//!
//! Does not load certificates: the proxy's TLS module reads the files named here.

use super::*;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_ADMIN: &str = "127.0.0.1:9090";

/// The process-wide body budget unless configured (raised to 4 × `max_body_bytes` if larger).
const DEFAULT_INFLIGHT_BODY_BYTES: usize = 256 * 1024 * 1024;

/// `server.tls.client_auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientAuth {
    Required,
    Optional,
}

impl Named for ClientAuth {
    const NAMES: &'static [(&'static str, Self)] =
        &[("required", Self::Required), ("optional", Self::Optional)];
}

pub(super) fn server(
    cx: &Ctx<'_>,
    s: &RawServer,
    ov: &Overrides,
) -> Result<ServerConfig, ConfigError> {
    let listen = ov
        .listen
        .as_deref()
        .or(s.listen.as_deref())
        .unwrap_or(DEFAULT_LISTEN);
    let admin = ov
        .admin_listen
        .as_deref()
        .or(s.admin_listen.as_deref())
        .unwrap_or(DEFAULT_ADMIN);
    let listen = cx.addr("server.listen", listen)?;
    let admin_listen = cx.addr("server.admin_listen", admin)?;
    if listen == admin_listen && listen.port() != 0 {
        return Err(cx.err("server.admin_listen", "must not be the proxy's own address"));
    }
    let positive = |key: &str, v: usize| {
        if v == 0 {
            Err(cx.err(key, "must be greater than 0"))
        } else {
            Ok(v)
        }
    };
    let max_body_bytes = positive(
        "server.max_body_bytes",
        s.max_body_bytes.unwrap_or(8 * 1024 * 1024),
    )?;
    let max_connections = positive(
        "server.max_connections",
        s.max_connections.unwrap_or(10_000),
    )?;
    // Body budgets (see proxy::budget): each must fit at least one body of the largest size.
    let at_least_one_body = |key: &str, v: usize| {
        if v < max_body_bytes {
            Err(cx.err(key, "must be at least server.max_body_bytes"))
        } else {
            Ok(v)
        }
    };
    let max_inflight_body_bytes = at_least_one_body(
        "server.max_inflight_body_bytes",
        s.max_inflight_body_bytes
            .unwrap_or_else(|| DEFAULT_INFLIGHT_BODY_BYTES.max(max_body_bytes.saturating_mul(4))),
    )?;
    let max_connection_body_bytes = at_least_one_body(
        "server.max_connection_body_bytes",
        s.max_connection_body_bytes
            .unwrap_or_else(|| max_body_bytes.saturating_mul(2)),
    )?;
    let h2_max_concurrent_streams = s.h2_max_concurrent_streams.unwrap_or(64);
    if h2_max_concurrent_streams == 0 {
        return Err(cx.err("server.h2_max_concurrent_streams", "must be greater than 0"));
    }
    let tls = match &s.tls {
        None => None,
        Some(t) => Some(TlsSettings {
            cert_path: cx.path(&t.cert),
            key_path: cx.path(&t.key),
            client_ca_path: t.client_ca.as_deref().map(|p| cx.path(p)),
            client_auth_required: cx.choice(
                "server.tls.client_auth",
                t.client_auth.as_deref(),
                ClientAuth::Required,
            )? == ClientAuth::Required,
        }),
    };
    let timeout = |key: &str, v: &Option<String>, secs: u64| {
        cx.duration(key, v.as_deref(), Duration::from_secs(secs))
    };
    Ok(ServerConfig {
        listen,
        admin_listen,
        max_body_bytes,
        max_connections,
        max_inflight_body_bytes,
        max_connection_body_bytes,
        h2_max_concurrent_streams,
        header_read_timeout: timeout("server.header_read_timeout", &s.header_read_timeout, 10)?,
        idle_timeout: timeout("server.idle_timeout", &s.idle_timeout, 90)?,
        body_read_timeout: timeout("server.body_read_timeout", &s.body_read_timeout, 30)?,
        shutdown_grace: timeout("server.shutdown_grace", &s.shutdown_grace, 30)?,
        tls,
    })
}
