//! The broker's TLS settings: its certificate and key, and the CA that client
//! certificates must chain to.

use super::{TlsError, files, provider};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use std::path::PathBuf;
use std::sync::Arc;

/// The files of a TLS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFiles {
    /// The broker's certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// CA certificates that client certificates must chain to. With it, a client
    /// certificate is verified when one is presented.
    pub ca: Option<PathBuf>,
    /// Refuse clients that present no certificate (needs `ca`).
    pub verify_clients: bool,
}

/// Builds the server configuration, checking every file now so that a broker with bad
/// TLS files does not start.
pub fn server_config(files: &ServerFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = files::certificates(&files.cert)?;
    let key = files::private_key(&files.key)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let builder = match &files.ca {
        Some(ca) => {
            let roots = Arc::new(root_store(ca)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider());
            let verifier = if files.verify_clients {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            let verifier = verifier.build().map_err(|e| TlsError::BadCa {
                path: ca.clone(),
                detail: e.to_string(),
            })?;
            builder.with_client_cert_verifier(verifier)
        }
        None if files.verify_clients => return Err(TlsError::VerifyWithoutCa),
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
            detail: e.to_string(),
        })?;
    Ok(Arc::new(config))
}

/// The certificates of a CA file as trust anchors.
pub fn root_store(path: &std::path::Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in files::certificates(path)? {
        roots.add(cert).map_err(|e| TlsError::BadCa {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    }
    Ok(roots)
}
