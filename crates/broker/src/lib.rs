//! Embedded STOMP 1.0/1.1/1.2 broker for MCollective traffic.
//!
//! # Layout
//! - [`listener`]: accept loop, descriptor limit, TCP_NODELAY, accept back-off.
//! - [`admission`]: token buckets pacing accepted sockets and CONNECT handshakes.
//! - `connection`: one task pair per client: handshake and reading (frames become router
//!   commands), and a writer that batches output and sends heart-beats.
//! - [`router`]: the single owner of subscriptions, queues and held messages.
//! - [`destination`], [`selector`], [`message`], [`heartbeat`], [`auth`]: the rules.
//! - [`stats`] and [`admin`]: counters, the live connection table, HTTP/JSON/Prometheus.
//!
//! A frame travels: socket → `connection` (decode, check) → [`router::RouterCmd`] →
//! router (match subscriptions) → [`router::Outbound`] on each receiver's bounded queue →
//! its writer (encode for that receiver's version) → socket.

pub mod abuse;
pub mod acl;
pub mod admin;
pub mod admission;
pub mod auth;
pub mod config;
mod connection;
pub mod destination;
pub mod heartbeat;
pub mod listener;
mod log_limit;
pub mod message;
pub mod router;
pub mod security_stats;
pub mod selector;
pub mod serve;
pub mod settings;
pub mod stats;
mod tls_accept;

pub use config::{BrokerConfig, DEFAULT_PORT, DEFAULT_TLS_PORT, HeartbeatPolicy, TlsListener};
pub use socket2::TcpKeepalive;

use admission::Admission;
use marionette_stomp::Frame;
use router::{Router, RouterCmd};
use stats::{ConnTable, Metrics};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Commands the router may have waiting before connections wait for it (published
/// frames among them are also bounded in bytes, [`BrokerConfig::inbox_bytes`]).
const ROUTER_QUEUE: usize = 65_536;

/// What every connection task shares.
pub struct Shared {
    pub config: Arc<BrokerConfig>,
    pub metrics: Arc<Metrics>,
    pub table: ConnTable,
    admission: Admission,
    router: mpsc::Sender<RouterCmd>,
    /// Bytes of published frames the router may have waiting ([`BrokerConfig::inbox_bytes`]).
    inbox: Arc<Semaphore>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    /// One log line per kind and interval for failed handshakes, logins and ACL denials,
    /// with the count of those left out: an attacker must not be able to flood the log.
    security_log: std::sync::Mutex<std::collections::HashMap<&'static str, log_limit::LogLimit>>,
    throttle: abuse::LoginThrottle,
    /// Argon2 checks that may run at once (each holds about 19 MiB).
    hash_checks: Arc<Semaphore>,
    /// The next connection id, shared by the plain and TLS listeners.
    next_conn_id: std::sync::atomic::AtomicU64,
    conn_counts: abuse::ConnCounts,
}

impl Shared {
    /// Waits until `frame` fits in the router's inbox byte bound and takes its share
    /// (a frame larger than the whole bound takes all of it); `None` at shutdown.
    async fn inbox_permit(&self, frame: &Frame) -> Option<OwnedSemaphorePermit> {
        let bytes = message::frame_bytes(&frame.body, &frame.headers);
        let share = bytes.min(self.config.inbox_bytes).max(1);
        let share = u32::try_from(share).unwrap_or(u32::MAX);
        self.inbox.clone().acquire_many_owned(share).await.ok()
    }

    /// Runs `log` (given the number of lines of this `kind` left out since the last one)
    /// at most once per ten seconds per kind.
    fn security_log(&self, kind: &'static str, log: impl FnOnce(u64)) {
        let allowed = self
            .security_log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(kind)
            .or_insert_with(|| log_limit::LogLimit::new(std::time::Duration::from_secs(10)))
            .allow();
        if let Some(suppressed) = allowed {
            log(suppressed);
        }
    }
}

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "no credentials configured: give at least one user, a CA to verify client certificates, or allow anonymous access"
    )]
    NoCredentials,
    #[error("TLS listener: {0}")]
    Tls(#[from] marionette_net::tls::TlsError),
    #[error("nothing to listen on: the plain listener is off and no TLS listener is set")]
    NoListener,
    #[error(
        "refusing to listen on {addr} with an empty or default password for login {login:?}: give it its own password ([[user]] with password_file, password_env or password_hash in the settings file)"
    )]
    DefaultPassword { addr: SocketAddr, login: String },
    #[error(
        "refusing to listen on {0} with anonymous access: anonymous access is for loopback only"
    )]
    AnonymousExposed(SocketAddr),
    #[error(
        "refusing to serve the admin endpoint on {0} without a token: set [admin_auth] token_file or token_env in the settings file, or bind it to 127.0.0.1"
    )]
    AdminUnprotected(SocketAddr),
}

/// Makes glibc serve every allocation of 256 KiB or more (large message bodies, grown
/// read buffers) with its own mapping, returned to the system when freed. By default
/// glibc raises that threshold after the first such free, and freed multi-megabyte
/// bodies then stay in the heap: under eight connections flooding 4 MB messages the
/// broker kept about 50 MB above the bytes its queues held, and 2-7 MB with this.
fn large_allocations_from_mmap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator parameter; any value is valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Anything reachable beyond loopback needs real credentials: no stock password, no
/// anonymous access, and a token on the admin endpoint.
fn check_exposure(config: &BrokerConfig) -> Result<(), StartError> {
    let exposed = config
        .plain
        .then_some(config.listen)
        .into_iter()
        .chain(config.tls.as_ref().map(|t| t.listen))
        .find(|a| !a.ip().is_loopback());
    // Checked once, not per listener: finding a hashed stock password costs argon2 runs.
    if let Some(addr) = exposed {
        if config.anonymous {
            return Err(StartError::AnonymousExposed(addr));
        }
        if let Some(login) = config.users.weak_login() {
            return Err(StartError::DefaultPassword {
                addr,
                login: login.to_string(),
            });
        }
    }
    match config.admin {
        Some(addr) if !addr.ip().is_loopback() && config.admin_token.is_none() => {
            Err(StartError::AdminUnprotected(addr))
        }
        _ => Ok(()),
    }
}

/// A started broker.
pub struct Broker {
    /// Where STOMP clients connect: the plain listener, or the TLS one when plain is off.
    pub stomp_addr: SocketAddr,
    /// Where the TLS listener is, when enabled.
    pub tls_addr: Option<SocketAddr>,
    /// Where the admin endpoint listens, when enabled.
    pub admin_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
}

impl Broker {
    /// Binds the listeners and starts the router, the accept loop and the admin endpoint.
    pub async fn start(config: BrokerConfig) -> Result<Broker, StartError> {
        let certificates = config.tls.as_ref().is_some_and(|t| t.files.ca.is_some());
        if config.users.is_empty() && !config.anonymous && !certificates {
            return Err(StartError::NoCredentials);
        }
        check_exposure(&config)?;
        large_allocations_from_mmap();
        match listener::raise_nofile_limit() {
            Ok((soft, hard)) => tracing::debug!(soft, hard, "descriptor limit"),
            Err(e) => tracing::warn!("cannot raise the descriptor limit: {e}"),
        }
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })
        };
        let listen = |addr: SocketAddr| {
            listener::bind(addr)
                .and_then(|l| Ok((l.local_addr()?, l)))
                .map_err(|source| StartError::Bind { addr, source })
        };
        let tls = match &config.tls {
            Some(t) => {
                let acceptor = marionette_net::tls::TlsAcceptor::from(
                    marionette_net::tls::server_config(&t.files)?,
                );
                Some((listen(t.listen)?, acceptor))
            }
            None => None,
        };
        let stomp = if config.plain {
            Some(listen(config.listen)?)
        } else {
            None
        };
        let stomp_addr = match (&stomp, &tls) {
            (Some((addr, _)), _) | (None, Some(((addr, _), _))) => *addr,
            (None, None) => return Err(StartError::NoListener),
        };
        let tls_addr = tls.as_ref().map(|((addr, _), _)| *addr);
        let admin = match config.admin {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let admin_addr = admin.as_ref().and_then(|l| l.local_addr().ok());
        let config = Arc::new(config);
        let metrics = Arc::new(Metrics::default());
        let (tx, rx) = mpsc::channel(ROUTER_QUEUE);
        let shutdown = CancellationToken::new();
        let shared = Arc::new(Shared {
            config: config.clone(),
            metrics: metrics.clone(),
            table: ConnTable::default(),
            admission: Admission::new(config.accept_rate, config.connect_rate),
            router: tx,
            inbox: Arc::new(Semaphore::new(config.inbox_bytes)),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            security_log: std::sync::Mutex::default(),
            throttle: abuse::LoginThrottle::new(config.login_throttle),
            hash_checks: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get().min(8)),
            )),
            next_conn_id: std::sync::atomic::AtomicU64::new(1),
            conn_counts: abuse::ConnCounts::new(config.caps),
        });
        // The router outlives the connections: it stops when the last sender is gone.
        tokio::spawn(Router::new(config, metrics).run(rx));
        if let Some((_, stomp)) = stomp {
            shared
                .tasks
                .spawn(listener::accept_loop(stomp, None, shared.clone()));
        }
        if let Some(((_, tls), acceptor)) = tls {
            shared
                .tasks
                .spawn(listener::accept_loop(tls, Some(acceptor), shared.clone()));
        }
        if let Some(admin) = admin {
            shared.tasks.spawn(admin::serve(admin, shared.clone()));
        }
        Ok(Broker {
            stomp_addr,
            tls_addr,
            admin_addr,
            shared,
        })
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The Prometheus text of `/metrics`.
    pub fn metrics_text(&self) -> String {
        admin::render_metrics(&self.shared)
    }

    /// The live connection table.
    pub fn connections(&self) -> Vec<stats::ConnectionView> {
        self.shared.table.snapshot()
    }

    /// Closes every connection and waits (bounded by `grace`) for their tasks to end.
    pub async fn shutdown(self, grace: std::time::Duration) {
        self.shared.shutdown.cancel();
        self.shared.tasks.close();
        if tokio::time::timeout(grace, self.shared.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close within {grace:?}");
        }
    }
}
