//! Why a TLS handshake failed, as a short stable reason (the label of the broker's
//! `tls_handshake_failures_total` counter) and a sentence for the log.

use rustls::{AlertDescription, CertificateError, Error};

/// The kinds of handshake failure the broker counts apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeFailure {
    /// The peer did not speak TLS (a plain-text STOMP client on the TLS port).
    NotTls,
    /// A client certificate was required and none was presented.
    NoClientCertificate,
    /// The peer's certificate does not chain to a trusted CA.
    UnknownCa,
    /// The peer's certificate is expired or not yet valid.
    Expired,
    /// The peer's certificate is otherwise unacceptable (revoked, wrong usage, bad name).
    BadCertificate,
    /// The peer refused our certificate (it sent an alert).
    PeerRefused,
    /// The handshake did not finish within the connect timeout.
    Timeout,
    /// The connection closed or failed during the handshake.
    Io,
    /// Anything else rustls refused.
    Protocol,
}

impl HandshakeFailure {
    /// Every kind, for zero-valued counters.
    pub const ALL: [HandshakeFailure; 9] = [
        HandshakeFailure::NotTls,
        HandshakeFailure::NoClientCertificate,
        HandshakeFailure::UnknownCa,
        HandshakeFailure::Expired,
        HandshakeFailure::BadCertificate,
        HandshakeFailure::PeerRefused,
        HandshakeFailure::Timeout,
        HandshakeFailure::Io,
        HandshakeFailure::Protocol,
    ];

    /// The counter label.
    pub fn label(self) -> &'static str {
        match self {
            HandshakeFailure::NotTls => "not_tls",
            HandshakeFailure::NoClientCertificate => "no_client_certificate",
            HandshakeFailure::UnknownCa => "unknown_ca",
            HandshakeFailure::Expired => "expired",
            HandshakeFailure::BadCertificate => "bad_certificate",
            HandshakeFailure::PeerRefused => "peer_refused",
            HandshakeFailure::Timeout => "timeout",
            HandshakeFailure::Io => "io",
            HandshakeFailure::Protocol => "protocol",
        }
    }

    /// Classifies the error a TLS accept or connect returned.
    pub fn of(error: &std::io::Error) -> HandshakeFailure {
        match error.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
            Some(e) => HandshakeFailure::of_rustls(e),
            None => HandshakeFailure::Io,
        }
    }

    /// Classifies a rustls error.
    pub fn of_rustls(error: &Error) -> HandshakeFailure {
        match error {
            Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
                HandshakeFailure::NotTls
            }
            Error::NoCertificatesPresented => HandshakeFailure::NoClientCertificate,
            Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                    HandshakeFailure::UnknownCa
                }
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => HandshakeFailure::Expired,
                _ => HandshakeFailure::BadCertificate,
            },
            Error::AlertReceived(AlertDescription::CertificateRequired) => {
                HandshakeFailure::NoClientCertificate
            }
            Error::AlertReceived(_) => HandshakeFailure::PeerRefused,
            _ => HandshakeFailure::Protocol,
        }
    }
}
