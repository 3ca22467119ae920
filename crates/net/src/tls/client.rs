//! The connector's TLS settings: the CAs that the broker's certificate must chain to, and
//! the client's own certificate; or, for MCollective's `ssl.fallback`, no verification.

use super::server::root_store;
use super::{TlsError, files, provider};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// The files of a verified client (`plugin.activemq.pool.N.ssl.ca`, `.ssl.cert`,
/// `.ssl.key`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFiles {
    /// CA files (MCollective takes a comma-separated list); at least one.
    pub ca: Vec<PathBuf>,
    /// The client's certificate chain, presented when the broker asks for one.
    pub cert: Option<PathBuf>,
    /// Its private key; needed with `cert`.
    pub key: Option<PathBuf>,
}

/// Why [`client_config`] needs more than it was given.
fn missing(what: &str) -> TlsError {
    TlsError::Rustls(format!("TLS needs {what}"))
}

/// A client configuration that verifies the broker against `files.ca` and presents
/// `files.cert` when both cert and key are given. Every file is read now.
pub fn client_config(files: &ClientFiles) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    if files.ca.is_empty() {
        return Err(missing("a CA file (ssl.ca) to verify the broker"));
    }
    let mut roots = RootCertStore::empty();
    for ca in &files.ca {
        for anchor in root_store(ca)?.roots {
            roots.roots.push(anchor);
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_root_certificates(roots);
    let config = match (&files.cert, &files.key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(files::certificates(cert)?, files::private_key(key)?)
            .map_err(|e| TlsError::Mismatch {
                cert: cert.clone(),
                key: key.clone(),
                detail: e.to_string(),
            })?,
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => return Err(missing("a key file (ssl.key) for the certificate")),
        (None, Some(_)) => return Err(missing("a certificate file (ssl.cert) for the key")),
    };
    Ok(Arc::new(config))
}

/// A client configuration that accepts any broker certificate: what MCollective does
/// with `ssl.fallback = 1` when its files are missing or bad. The link is encrypted but
/// not authenticated; callers log a warning each time they use it.
pub fn unverified_client_config() -> Arc<rustls::ClientConfig> {
    let provider = provider();
    let verifier = Arc::new(AnyServer(provider.clone()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// Accepts every certificate, but still checks the handshake signatures made with it.
#[derive(Debug)]
struct AnyServer(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The name to verify the broker's certificate against: a DNS name or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_string())
        .map_err(|_| TlsError::Rustls(format!("{host:?} is neither a DNS name nor an IP address")))
}
