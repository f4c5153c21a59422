//! `[siem]`: the OTLP logs push of evidence records, validated into [`SiemSettings`] — the
//! request URL built from `endpoint` and `protocol`, headers checked (credential headers only
//! as secret references, none the transport sets itself), the extra CA file read and parsed,
//! sizes and durations in range.
//! Off unless an endpoint is given. Starts nothing: [`crate::telemetry::siem`] does.

use super::*;

/// The OTLP/HTTP logs path appended to a bare endpoint.
const HTTP_PATH: &str = "/v1/logs";
/// The OTLP/gRPC logs method.
pub const GRPC_PATH: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
/// Largest queue accepted (records held in memory while the receiver is away).
const MAX_QUEUE: usize = 1_000_000;

impl Named for SiemProtocol {
    const NAMES: &'static [(&'static str, Self)] = &[("http", Self::Http), ("grpc", Self::Grpc)];
}

/// Headers the transport sets itself.
const RESERVED: &[&str] = &["content-type", "content-length", "host", "te", "user-agent"];

/// Header names whose values are credentials: never inline in the file.
fn is_credential(name: &str) -> bool {
    ["auth", "token", "key", "secret", "password", "cookie"]
        .iter()
        .any(|w| name.contains(w))
}

pub(super) fn siem(cx: &Ctx<'_>, raw: &RawSiem) -> Result<Option<SiemSettings>, ConfigError> {
    let Some(endpoint) = raw
        .endpoint
        .as_deref()
        .filter(|_| raw.enabled != Some(false))
    else {
        if raw.enabled == Some(true) {
            return Err(cx.err("siem.endpoint", "`enabled = true` needs an endpoint"));
        }
        return Ok(None);
    };
    let protocol = cx.choice("siem.protocol", raw.protocol.as_deref(), SiemProtocol::Http)?;
    let url = url(cx, endpoint, protocol)?;
    let mut headers = Vec::with_capacity(raw.headers.len());
    for (name, value) in &raw.headers {
        let key = format!("siem.headers.{name}");
        let lower = name.to_ascii_lowercase();
        let header = http::HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| cx.err(&key, "not a valid HTTP header name"))?;
        if RESERVED.contains(&lower.as_str())
            || lower.starts_with("grpc-")
            || crate::providers::HOP_BY_HOP.contains(&lower.as_str())
        {
            return Err(cx.err(
                &key,
                "set by the OTLP transport itself; it cannot be configured",
            ));
        }
        let secret = match value {
            RawHeaderValue::Plain(_) if is_credential(&lower) => {
                return Err(cx.err(
                    &key,
                    "looks like a credential: give it as `{ env = \"VAR\" }` or `{ file = \"PATH\" }`, never inline",
                ))
            }
            RawHeaderValue::Plain(v) => Secret::new(v.clone()),
            RawHeaderValue::Secret(s) => cx
                .secret(&key, s, false)?
                .ok_or_else(|| cx.err(&key, "the secret is empty"))?,
        };
        if http::HeaderValue::from_str(secret.expose()).is_err() {
            return Err(cx.err(&key, "the value is not a valid HTTP header value"));
        }
        headers.push((header, secret));
    }
    let queue_capacity = raw.queue_capacity.unwrap_or(10_000);
    if queue_capacity == 0 || queue_capacity > MAX_QUEUE {
        return Err(cx.err(
            "siem.queue_capacity",
            format!("must be between 1 and {MAX_QUEUE}"),
        ));
    }
    let batch_size = raw.batch_size.unwrap_or(512);
    if batch_size == 0 || batch_size > queue_capacity {
        return Err(cx.err(
            "siem.batch_size",
            "must be at least 1 and at most `queue_capacity`",
        ));
    }
    let positive = |key: &str, v: Option<&str>, default: Duration| {
        let d = cx.duration(key, v, default)?;
        if d.is_zero() {
            return Err(cx.err(key, "must be longer than zero"));
        }
        Ok(d)
    };
    let initial_backoff = positive(
        "siem.initial_backoff",
        raw.initial_backoff.as_deref(),
        Duration::from_millis(500),
    )?;
    let max_backoff = positive(
        "siem.max_backoff",
        raw.max_backoff.as_deref(),
        Duration::from_secs(30),
    )?;
    if max_backoff < initial_backoff {
        return Err(cx.err(
            "siem.max_backoff",
            "must not be shorter than `initial_backoff`",
        ));
    }
    let service_name = raw
        .service_name
        .clone()
        .or_else(|| cx.env.var("OTEL_SERVICE_NAME"))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "aimsgate".to_owned());
    let ca_certs = match &raw.ca_file {
        Some(f) => ca_certs(cx, f)?,
        None => Vec::new(),
    };
    Ok(Some(SiemSettings {
        url,
        protocol,
        headers,
        ca_certs,
        service_name,
        queue_capacity,
        batch_size,
        batch_timeout: positive(
            "siem.batch_timeout",
            raw.batch_timeout.as_deref(),
            Duration::from_secs(1),
        )?,
        timeout: positive(
            "siem.timeout",
            raw.timeout.as_deref(),
            Duration::from_secs(10),
        )?,
        max_retries: raw.max_retries.unwrap_or(5),
        initial_backoff,
        max_backoff,
    }))
}

/// The certificates of the PEM file `file` (`siem.ca_file`), each checked to be a usable trust
/// anchor.
fn ca_certs(cx: &Ctx<'_>, file: &str) -> Result<Vec<Vec<u8>>, ConfigError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let key = "siem.ca_file";
    let pem = cx.read(key, file)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cx.err(key, format!("`{file}`: not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(cx.err(key, format!("`{file}` holds no PEM certificate")));
    }
    let mut roots = rustls::RootCertStore::empty();
    for c in &certs {
        roots
            .add(c.clone())
            .map_err(|e| cx.err(key, format!("`{file}`: not a usable CA certificate: {e}")))?;
    }
    Ok(certs.into_iter().map(|c| c.to_vec()).collect())
}

/// The request URL: OTLP/HTTP appends `/v1/logs` to a bare endpoint and takes one with a path
/// as is; gRPC takes `scheme://host:port` only and calls the LogsService method.
fn url(cx: &Ctx<'_>, endpoint: &str, protocol: SiemProtocol) -> Result<http::Uri, ConfigError> {
    let bad = |why: &str| cx.err("siem.endpoint", format!("`{endpoint}`: {why}"));
    let uri: http::Uri = endpoint.trim().parse().map_err(|_| bad("not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(bad("an http:// or https:// URL with a host is needed"));
    }
    if uri.query().is_some() {
        return Err(bad("a query string is not allowed"));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(bad(
            "credentials in the URL are not allowed; use `[siem.headers]` with a secret",
        ));
    }
    let path = uri.path().trim_end_matches('/');
    let path = match (protocol, path.is_empty()) {
        (SiemProtocol::Http, true) => HTTP_PATH.to_owned(),
        (SiemProtocol::Http, false) => path.to_owned(),
        (SiemProtocol::Grpc, true) => GRPC_PATH.to_owned(),
        (SiemProtocol::Grpc, false) => {
            return Err(bad(
                "an OTLP/gRPC endpoint is `scheme://host:port`, without a path",
            ))
        }
    };
    let (scheme, authority) = (uri.scheme_str().unwrap_or("http"), uri.authority());
    let authority = authority.map(|a| a.as_str()).unwrap_or_default();
    format!("{scheme}://{authority}{path}")
        .parse()
        .map_err(|_| bad("not a URL"))
}

#[cfg(test)]
mod tests;
