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
pub mod selector;
pub mod stats;

pub use config::{BrokerConfig, DEFAULT_PORT, HeartbeatPolicy};
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
}

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("no credentials configured: give at least one user, or allow anonymous access")]
    NoCredentials,
}

/// A started broker.
pub struct Broker {
    /// Where STOMP clients connect.
    pub stomp_addr: SocketAddr,
    /// Where the admin endpoint listens, when enabled.
    pub admin_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
}

impl Broker {
    /// Binds the listeners and starts the router, the accept loop and the admin endpoint.
    pub async fn start(config: BrokerConfig) -> Result<Broker, StartError> {
        if config.users.is_empty() && !config.anonymous {
            return Err(StartError::NoCredentials);
        }
        match listener::raise_nofile_limit() {
            Ok((soft, hard)) => tracing::debug!(soft, hard, "descriptor limit"),
            Err(e) => tracing::warn!("cannot raise the descriptor limit: {e}"),
        }
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })
        };
        let stomp = listener::bind(config.listen).map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let admin = match config.admin {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let stomp_addr = stomp.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
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
        });
        // The router outlives the connections: it stops when the last sender is gone.
        tokio::spawn(Router::new(config, metrics).run(rx));
        shared
            .tasks
            .spawn(listener::accept_loop(stomp, shared.clone()));
        if let Some(admin) = admin {
            shared.tasks.spawn(admin::serve(admin, shared.clone()));
        }
        Ok(Broker {
            stomp_addr,
            admin_addr,
            shared,
        })
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
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
