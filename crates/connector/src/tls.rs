//! TLS to the pool: each member's client configuration, built once at start (verified,
//! or unverified when `ssl.fallback` allows it), the handshake that follows the TCP
//! connect before any STOMP byte, and [`Stream`], the plain or TLS link a session uses.

use crate::ConnectorError;
use crate::settings::{BrokerAddr, TlsSettings};
use marionette_net::rustls::client::WebPkiServerVerifier;
use marionette_net::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use marionette_net::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use marionette_net::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};
use marionette_net::tls::{
    ClientStream, HandshakeFailure, TlsConnector, TlsError, client, client_config,
    server::root_store, unverified_client_config,
};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A pool member with its TLS prepared: a member that asks for TLS always has a
/// [`Link`], so it cannot be reached in clear text.
pub(crate) struct Member {
    pub addr: BrokerAddr,
    pub tls: Option<Link>,
}

/// The TLS side of one member.
pub(crate) struct Link {
    connector: TlsConnector,
    /// The name sent (SNI) and, unless `verify_name` is off, verified.
    name: ServerName<'static>,
    /// Why this member is not verified (`ssl.fallback`); `None` when it is.
    unverified: Option<String>,
}

/// Prepares every member, reading every TLS file now: a bad file is an error naming
/// the file and the member, unless that member has `ssl.fallback` on.
pub(crate) fn prepare(brokers: &[BrokerAddr]) -> Result<Vec<Member>, ConnectorError> {
    let member = |(n, addr): (usize, &BrokerAddr)| {
        let tls = match &addr.tls {
            Some(settings) => {
                Some(
                    Link::new(settings, &addr.host).map_err(|e| ConnectorError::Tls {
                        member: n + 1,
                        broker: addr.to_string(),
                        detail: e.to_string(),
                    })?,
                )
            }
            None => None,
        };
        Ok(Member {
            addr: addr.clone(),
            tls,
        })
    };
    brokers.iter().enumerate().map(member).collect()
}

impl Link {
    fn new(settings: &TlsSettings, host: &str) -> Result<Link, TlsError> {
        let name = client::server_name(host)?;
        let (config, unverified) = match verified_config(settings) {
            Ok(config) => (config, None),
            Err(e) if settings.fallback => (unverified_client_config(), Some(e.to_string())),
            Err(e) => return Err(e),
        };
        Ok(Link {
            connector: TlsConnector::from(config),
            name,
            unverified,
        })
    }

    /// The TLS handshake on a fresh TCP connection. The caller bounds the time.
    pub async fn connect(
        &self,
        broker: &BrokerAddr,
        tcp: TcpStream,
    ) -> Result<Stream, ConnectorError> {
        if let Some(why) = &self.unverified {
            tracing::warn!(
                "TLS to {}:{} without verification (ssl.fallback = 1): {why}",
                broker.host,
                broker.port
            );
        }
        match self.connector.connect(self.name.clone(), tcp).await {
            Ok(tls) => Ok(Stream::Tls(Box::new(tls))),
            Err(e) => Err(ConnectorError::Connect(
                broker.to_string(),
                format!(
                    "TLS handshake failed ({}): {e}",
                    HandshakeFailure::of(&e).label()
                ),
            )),
        }
    }
}

/// The verified configuration; with `verify_name` off, the chain is still verified
/// against the CAs but the broker's certificate need not name the host.
fn verified_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let config = client_config(&settings.files)?;
    if settings.verify_name {
        return Ok(config);
    }
    let mut roots = RootCertStore::empty();
    for ca in &settings.files.ca {
        roots.roots.extend(root_store(ca)?.roots);
    }
    let provider = config.crypto_provider().clone();
    let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let mut config = (*config).clone();
    config
        .dangerous()
        .set_certificate_verifier(Arc::new(AnyName(chain)));
    Ok(Arc::new(config))
}

/// Verifies the chain (CA, validity, usage) and accepts any name in it. The name check
/// is the last one the WebPKI verifier makes, so nothing else is skipped.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict =
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verdict {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The link of a session: plain TCP, or TLS over it.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<ClientStream<TcpStream>>),
}

/// Calls the same poll method on whichever stream it is.
macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self.get_mut() {
            Stream::Plain($s) => {
                let $s = Pin::new($s);
                $call
            }
            Stream::Tls($s) => {
                let $s = Pin::new($s.as_mut());
                $call
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_shutdown(cx))
    }
}
