//! The accept loop: descriptor limits, TCP_NODELAY, and back-off when accept fails.

use crate::Shared;
use crate::connection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::time::Instant;

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

/// Raises the soft `RLIMIT_NOFILE` to the hard limit. Returns (soft, hard) after the change.
pub fn raise_nofile_limit() -> std::io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if lim.rlim_cur < lim.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            lim = wanted;
        }
    }
    Ok((lim.rlim_cur, lim.rlim_max))
}

/// Accepts connections until shutdown. Accept errors (EMFILE and friends) never end the
/// loop: it backs off, doubling up to a second, and logs once per interval.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(10);
    let mut last_log: Option<Instant> = None;
    let mut suppressed = 0u64;
    let mut next_id: u64 = 1;
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
                let id = next_id;
                next_id += 1;
                let shared2 = shared.clone();
                shared
                    .tasks
                    .spawn(connection::serve(stream, peer, id, shared2));
            }
            Err(e) => {
                shared.metrics.accept_errors.fetch_add(1, Relaxed);
                let now = Instant::now();
                if last_log.is_none_or(|t| now - t >= LOG_EVERY) {
                    tracing::error!(
                        suppressed,
                        "accept failed: {e}; backing off {backoff:?} (open connections: {})",
                        shared.table.len()
                    );
                    last_log = Some(now);
                    suppressed = 0;
                } else {
                    suppressed += 1;
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
