//! The one rustls client configuration every outbound HTTPS client uses (upstream providers,
//! witnesses, the OTLP exporter): the ring provider, its safe protocol versions, the Mozilla
//! roots from `webpki-roots`, no client certificate. Owns no connector or pool settings; each
//! client wraps this config in its own `hyper-rustls` connector.

/// Builds the client TLS config.
pub fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    Ok(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth(),
    )
}
