//! The TLS side of the accept path: the handshake (within the CONNECT deadline), the
//! client certificate's name, and the log line and counter of every failed handshake.

use crate::Shared;
use crate::connection::Link;
use crate::stats::TlsView;
use marionette_net::tls::{HandshakeFailure, TlsAcceptor, names};
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// Runs the TLS handshake on an accepted socket. On failure the reason is counted and
/// logged (rate-limited) and the socket is closed.
pub async fn accept(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
) -> Option<Link> {
    let local = stream.local_addr().unwrap_or(peer);
    let accepted_at = tokio::time::Instant::now();
    let handshake = tokio::time::timeout(shared.config.connect_timeout, acceptor.accept(stream));
    let result = tokio::select! {
        r = handshake => r,
        _ = shared.shutdown.cancelled() => return None,
    };
    let failure = match result {
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            match describe(conn) {
                Ok(view) => {
                    let (rd, wr) = tokio::io::split(tls);
                    return Some(Link {
                        rd: Box::new(rd),
                        wr: Box::new(wr),
                        local,
                        tls: Some(view),
                        accepted_at,
                    });
                }
                Err(e) => {
                    shared
                        .metrics
                        .security
                        .tls_failure(HandshakeFailure::BadCertificate);
                    shared.security_log("tls_certificate", |suppressed| {
                        tracing::warn!(%peer, suppressed, "TLS client certificate refused: {e}")
                    });
                    return None;
                }
            }
        }
        Ok(Err(e)) => (HandshakeFailure::of(&e), e.to_string()),
        Err(_) => (
            HandshakeFailure::Timeout,
            format!("no handshake within {:?}", shared.config.connect_timeout),
        ),
    };
    shared.metrics.security.tls_failure(failure.0);
    shared.security_log(failure.0.label(), |suppressed| {
        tracing::warn!(
            %peer,
            reason = failure.0.label(),
            suppressed,
            "TLS handshake failed: {}",
            failure.1
        )
    });
    None
}

/// The version, cipher suite and verified client certificate name of a finished
/// handshake.
fn describe(conn: &marionette_net::rustls::ServerConnection) -> Result<TlsView, names::NameError> {
    let client_certificate = match conn.peer_certificates().and_then(|c| c.first()) {
        Some(cert) => {
            let names = names::peer_names(cert)?;
            Some(names.identity()?.to_string())
        }
        None => None,
    };
    Ok(TlsView {
        version: conn
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default(),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default(),
        client_certificate,
    })
}
