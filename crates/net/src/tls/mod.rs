//! TLS for marionette's links.
//!
//! # Layout
//! - [`files`]: bounded reading of PEM certificates and keys, and the mode checks on
//!   files that hold a secret (a private key readable by others is refused).
//! - [`server`]: the broker's `rustls::ServerConfig` (optional client certificates,
//!   required or not).
//! - [`client`]: the connector's `rustls::ClientConfig`, verified or, when MCollective's
//!   `ssl.fallback` asks for it, unverified.
//! - [`names`]: the subject common name and DNS names of a peer's certificate, read from
//!   its DER with a bounded parser (the identity a verified certificate gives).
//! - [`failure`]: why a handshake failed, as a short reason for logs and counters.
//!
//! The crypto provider is rustls' `ring`; TLS 1.2 and 1.3 are both offered.

pub mod client;
pub mod failure;
pub mod files;
pub mod names;
pub mod server;

pub use client::{ClientFiles, client_config, unverified_client_config};
pub use failure::HandshakeFailure;
pub use names::{NameError, PeerNames, peer_names};
pub use server::{ServerFiles, server_config};
pub use tokio_rustls::{
    TlsAcceptor, TlsConnector, client::TlsStream as ClientStream, server::TlsStream as ServerStream,
};

use std::path::PathBuf;

/// Why a TLS configuration could not be built. Every variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is larger than {max} bytes")]
    TooLarge { path: PathBuf, max: u64 },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no usable PEM private key")]
    NoKey { path: PathBuf },
    #[error("{path}: bad PEM: {detail}")]
    BadPem { path: PathBuf, detail: String },
    #[error("private key {path} is readable by other users (mode {mode:04o}); run chmod 600 on it")]
    KeyReadableByOthers { path: PathBuf, mode: u32 },
    #[error("{path}: certificate not accepted as a CA: {detail}")]
    BadCa { path: PathBuf, detail: String },
    #[error("certificate {cert} and key {key} do not go together: {detail}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
    #[error("client certificates are required but no CA file is given to verify them")]
    VerifyWithoutCa,
    #[error("TLS settings: {0}")]
    Rustls(String),
}

/// The provider every configuration uses.
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(feature = "test-util")]
pub mod testing;
