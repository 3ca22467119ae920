//! The accept loop: descriptor limits, TCP_NODELAY, the accept rate, back-off when
//! accept fails, and the TLS handshake on the TLS listener.

use crate::Shared;
use crate::admission::Admit;
use crate::connection;
use crate::log_limit::LogLimit;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};

/// Longest pause after repeated accept failures.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// At most one accept-failure log line per this interval.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Connections the kernel may queue before they are accepted (capped by
/// `net.core.somaxconn`): a fleet reconnecting at once should wait in the queue rather
/// than be reset. Tokio's default is 1,024.
pub const BACKLOG: u32 = 4096;

/// Binds the STOMP listener with [`BACKLOG`] and `SO_REUSEADDR` (a restarted broker gets
/// its port back while old connections linger in TIME_WAIT).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

pub use marionette_net::nofile::raise_nofile_limit;

/// Accepts connections until shutdown, at most at the accept rate: past it, the loop
/// holds the socket it has and waits for a token, and the next ones stay in the kernel's
/// listen backlog. Accept errors (EMFILE and friends) never end the loop: it backs off,
/// doubling up to a second, and logs once per interval.
pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<marionette_net::tls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let mut backoff = Duration::from_millis(10);
    let mut log = LogLimit::new(LOG_EVERY);
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shared.shutdown.cancelled() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, "TCP_NODELAY failed: {e}");
                }
                if let Some(k) = &shared.config.tcp_keepalive
                    && let Err(e) = socket2::SockRef::from(&stream).set_tcp_keepalive(k)
                {
                    tracing::debug!(%peer, "TCP keepalive failed: {e}");
                }
                shared.metrics.connections_accepted.fetch_add(1, Relaxed);
                let admitted = shared
                    .admission
                    .accept(&shared.shutdown, &shared.metrics.accepts_deferred)
                    .await;
                if admitted != Admit::Go {
                    return;
                }
                // One sequence for every listener: the router keys connections by id.
                let id = shared.next_conn_id.fetch_add(1, Relaxed);
                let shared2 = shared.clone();
                let tls = tls.clone();
                shared.tasks.spawn(async move {
                    let link = match tls {
                        None => connection::Link::plain(stream, peer),
                        Some(acceptor) => {
                            match crate::tls_accept::accept(&acceptor, stream, peer, &shared2).await
                            {
                                Some(link) => link,
                                None => return,
                            }
                        }
                    };
                    connection::serve(link, peer, id, shared2).await
                });
            }
            Err(e) => {
                shared.metrics.accept_errors.fetch_add(1, Relaxed);
                if let Some(suppressed) = log.allow() {
                    tracing::error!(
                        suppressed,
                        "accept failed: {e}; backing off {backoff:?} (open connections: {})",
                        shared.table.len()
                    );
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shared.shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}
