//! Broker settings: where to listen, who may connect, heart-beat policy, admission rates
//! and bounds.

use crate::admission::Rate;
use crate::auth::Users;
use marionette_stomp::Limits;
use std::net::SocketAddr;
use std::time::Duration;

/// The default STOMP port, as ActiveMQ and MCollective use it.
pub const DEFAULT_PORT: u16 = 61613;
/// The default STOMP-over-TLS port, as ActiveMQ's `stomp+ssl` transport uses it.
pub const DEFAULT_TLS_PORT: u16 = 61614;

/// A TLS listener: its address and files.
#[derive(Debug, Clone)]
pub struct TlsListener {
    pub listen: SocketAddr,
    pub files: marionette_net::tls::ServerFiles,
}

/// Default pace of accepted sockets: a 10,000-node fleet reconnecting at once is in
/// within about seven seconds, while the connected sessions keep their latency (2,000/s
/// with a burst of 500 already cost them tens of milliseconds at the 99th percentile on
/// a shared 2-vCPU machine; see docs/reliability.md).
pub const DEFAULT_ACCEPT_RATE: Rate = Rate {
    per_second: 1_500,
    burst: 200,
};

/// Default pace of CONNECT handshakes (each followed by a node's SUBSCRIBEs).
pub const DEFAULT_CONNECT_RATE: Rate = Rate {
    per_second: 1_500,
    burst: 200,
};

/// How the broker answers a client's `heart-beat` header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeartbeatPolicy {
    /// Mirror the client: offer to send as often as it wants to receive and to receive as
    /// often as it can send, each clamped to `[min, max]` (0 stays 0).
    Mirror { min_ms: u64, max_ms: u64 },
    /// Always offer these values (`heart-beat:SEND,RECV`).
    Fixed { send_ms: u64, recv_ms: u64 },
}

/// Everything a running broker needs to know.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// STOMP listener address.
    pub listen: SocketAddr,
    /// Whether plain STOMP is served on `listen` (off: only the TLS listener).
    pub plain: bool,
    /// The STOMP-over-TLS listener, if any.
    pub tls: Option<TlsListener>,
    /// HTTP admin endpoint (connection table, metrics); `None` disables it.
    pub admin: Option<SocketAddr>,
    /// The bearer token the admin endpoint requires; mandatory when it is bound beyond
    /// loopback.
    pub admin_token: Option<crate::auth::SecretString>,
    /// Held queue messages without `expires` are dropped after this long.
    pub held_max_age: Duration,
    /// Accepted logins and certificate rules.
    pub users: Users,
    /// Who may read, write and administer which destinations.
    pub acl: crate::acl::Acl,
    /// Failed-login throttling per source address.
    pub login_throttle: crate::abuse::ThrottleSettings,
    /// Connection caps per login and per source address.
    pub caps: crate::abuse::Caps,
    /// Whether a CONNECT without `login` is accepted.
    pub anonymous: bool,
    /// Heart-beat negotiation.
    pub heartbeat: HeartbeatPolicy,
    /// A peer silent for longer than the agreed interval × this factor is closed.
    pub heartbeat_grace: f64,
    /// Frame decoding bounds.
    pub frame_limits: Limits,
    /// TCP keepalive on accepted connections (`None`: the sockets ask for none).
    pub tcp_keepalive: Option<socket2::TcpKeepalive>,
    /// Time a new connection has to send CONNECT and have it admitted.
    pub connect_timeout: Duration,
    /// Accepted sockets per second (and burst); beyond it they wait in the listen backlog.
    pub accept_rate: Rate,
    /// CONNECT handshakes processed per second (and burst); beyond it they wait, within
    /// the CONNECT deadline.
    pub connect_rate: Rate,
    /// Messages waiting in one connection's outbound queue before it counts as a slow consumer.
    /// High enough that the byte bound governs: a client collecting the replies of a
    /// broadcast receives one message per node in a burst (10,000 replies of ~500 bytes
    /// are 5 MB), and must not be cut for being briefly behind.
    pub outbound_messages: usize,
    /// Bytes waiting in one connection's outbound queue before it counts as a slow consumer.
    pub outbound_bytes: usize,
    /// Bytes of published frames waiting for the router, from all connections together;
    /// past it, readers wait (and stop reading their sockets).
    pub inbox_bytes: usize,
    /// Messages held by one queue while no consumer matches them.
    pub queue_messages: usize,
    /// Bytes held by all queues together.
    pub held_bytes: usize,
    /// Unacknowledged messages one client/client-individual subscription may hold.
    pub prefetch: usize,
    /// Frames one transaction may buffer.
    pub transaction_frames: usize,
    /// Bytes the open transactions of one connection may buffer together.
    pub transaction_bytes: usize,
    /// Subscriptions one connection may hold.
    pub max_subscriptions: usize,
}

impl BrokerConfig {
    /// Defaults for a broker on `listen`, with no users and anonymous access off.
    pub fn new(listen: SocketAddr) -> BrokerConfig {
        BrokerConfig {
            listen,
            plain: true,
            tls: None,
            admin: None,
            admin_token: None,
            held_max_age: Duration::from_secs(3600),
            users: Users::default(),
            acl: crate::acl::Acl::default(),
            login_throttle: crate::abuse::ThrottleSettings::default(),
            caps: crate::abuse::Caps::default(),
            anonymous: false,
            heartbeat: HeartbeatPolicy::Mirror {
                min_ms: 1_000,
                max_ms: 3_600_000,
            },
            heartbeat_grace: 1.5,
            frame_limits: Limits::default(),
            tcp_keepalive: None,
            connect_timeout: Duration::from_secs(10),
            accept_rate: DEFAULT_ACCEPT_RATE,
            connect_rate: DEFAULT_CONNECT_RATE,
            outbound_messages: 65_536,
            outbound_bytes: 16 * 1024 * 1024,
            inbox_bytes: 64 * 1024 * 1024,
            queue_messages: 10_000,
            held_bytes: 256 * 1024 * 1024,
            prefetch: 1_000,
            transaction_frames: 1_000,
            transaction_bytes: 16 * 1024 * 1024,
            max_subscriptions: 1_000,
        }
    }
}
