//! TLS termination for the proxy listener: rustls server config with ALPN (h2, http/1.1),
//! optional client-certificate verification against a configured CA (mTLS), and a certificate
//! resolver whose key pair can be swapped at run time (reload without restart).
//!
//! It verifies client certificate chains; mapping a certificate to a principal is
//! [`crate::identity`]'s job.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;

use crate::config::TlsSettings;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client CA: {0}")]
    ClientCa(String),
}

/// Serves the current certificate; [`CertStore::reload`] swaps it atomically.
#[derive(Debug)]
pub struct CertStore {
    settings: TlsSettings,
    current: ArcSwap<CertifiedKey>,
}

impl CertStore {
    pub fn load(settings: &TlsSettings) -> Result<Arc<Self>, TlsError> {
        let key = load_certified_key(&settings.cert_path, &settings.key_path)?;
        Ok(Arc::new(Self {
            settings: settings.clone(),
            current: ArcSwap::from_pointee(key),
        }))
    }

    /// Re-read the certificate and key files; on error the old pair stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = load_certified_key(&self.settings.cert_path, &self.settings.key_path)?;
        self.current.store(Arc::new(key));
        Ok(())
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

fn file_err(path: &Path, message: impl Into<String>) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(path, format!("cannot read certificates: {e}")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(path, format!("bad PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(file_err(path, "no certificate found"));
    }
    Ok(certs)
}

fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let chain = load_certs(cert)?;
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| file_err(key, format!("cannot read private key: {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| file_err(key, format!("unusable private key: {e}")))?;
    let ck = CertifiedKey::new(chain, signing);
    ck.keys_match()
        .map_err(|e| file_err(key, format!("key does not match certificate: {e}")))?;
    Ok(ck)
}

/// Build the rustls server configuration for the proxy listener.
pub fn server_config(
    settings: &TlsSettings,
    store: Arc<CertStore>,
) -> Result<rustls::ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let mut cfg = match &settings.client_ca_path {
        None => builder.with_no_client_auth().with_cert_resolver(store),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in load_certs(ca)? {
                roots
                    .add(c)
                    .map_err(|e| file_err(ca, format!("bad CA certificate: {e}")))?;
            }
            let vb = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let vb = if settings.client_auth_required {
                vb
            } else {
                vb.allow_unauthenticated()
            };
            let verifier = vb.build().map_err(|e| TlsError::ClientCa(e.to_string()))?;
            builder
                .with_client_cert_verifier(verifier)
                .with_cert_resolver(store)
        }
    };
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}
