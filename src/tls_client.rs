//! The one rustls client configuration every outbound HTTPS client uses (upstream providers,
//! witnesses, the OTLP exporter): the ring provider, its safe protocol versions, the Mozilla
//! roots from `webpki-roots` (plus, for the SIEM push, the CAs of its `ca_file`), no client
//! certificate. Owns no connector or pool settings; each client wraps this config in its own
//! `hyper-rustls` connector.

/// Builds the client TLS config.
pub fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    client_config_with(&[])
}

/// The client TLS config trusting `extra_roots` (DER CA certificates) besides the Mozilla roots
/// (the SIEM push's `ca_file`).
pub fn client_config_with(extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra_roots {
        roots.add(rustls_pki_types::CertificateDer::from(der.clone()))?;
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}
