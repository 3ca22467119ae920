//! The broker's command-line flags (`mco broker`); each one wins over its file key.

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Default, Clone)]
pub struct BrokerFlags {
    /// Plain STOMP listen address, or "off" [default: 127.0.0.1:61613].
    #[arg(long, value_name = "ADDR|off")]
    pub listen: Option<String>,
    /// STOMP-over-TLS listen address (the usual port is 61614); needs --tls-cert and
    /// --tls-key.
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Option<std::net::SocketAddr>,
    /// The broker's certificate chain (PEM).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The broker's private key (PEM; refused when readable by other users).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// CA certificates that client certificates must chain to.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Refuse TLS clients without a certificate signed by --tls-ca.
    #[arg(long)]
    pub tls_verify_clients: bool,
    /// A login, as NAME:PASSWORD (repeatable). The login `mcollective` is a node, any
    /// other a client; both may act as any MCollective identity. Prefer [[user]] in the
    /// settings file with password_file or password_env: a command line is readable by
    /// every local user.
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<String>,
    /// The groups of a --user login instead of its stock one, as NAME=GROUP[,GROUP]
    /// (repeatable; the groups are nodes, clients, admins, or any the ACL names).
    #[arg(long = "groups", value_name = "NAME=GROUPS")]
    pub groups: Vec<String>,
    /// TOML settings file (see docs/security.md for every key). Flags win over the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Accept a CONNECT without login (loopback only).
    #[arg(long)]
    pub anonymous: bool,
    /// Admin HTTP endpoint (connections JSON, /metrics), or "off" [default: 127.0.0.1:61680].
    #[arg(long, value_name = "ADDR|off")]
    pub admin: Option<String>,
    /// Heart-beat answer: "auto" mirrors each client within the bounds, or SEND_MS,RECV_MS.
    #[arg(long, value_name = "auto|SEND_MS,RECV_MS")]
    pub heartbeat: Option<String>,
    /// Close a peer silent for longer than its heart-beat interval times this.
    #[arg(long, value_name = "FACTOR")]
    pub heartbeat_grace: Option<f64>,
    /// TCP keepalive on every connection: probes after IDLE seconds of silence, every
    /// INTERVAL seconds, reset after COUNT unanswered; or "off" [default: 60,10,6].
    #[arg(long, value_name = "IDLE,INTERVAL,COUNT|off")]
    pub tcp_keepalive: Option<String>,
    /// Largest frame accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_frame_bytes: Option<usize>,
    /// Outbound bytes queued for one connection before it is cut off as a slow consumer.
    #[arg(long, value_name = "BYTES")]
    pub max_outbound_bytes: Option<usize>,
    /// Sockets accepted per second; past it (after the burst) connections wait in the
    /// kernel's listen backlog. 0: unlimited [default: 1500].
    #[arg(long, value_name = "PER_SEC")]
    pub accept_rate: Option<u32>,
    /// Sockets accepted at once after a quiet spell [default: 200].
    #[arg(long, value_name = "N")]
    pub accept_burst: Option<u32>,
    /// CONNECT handshakes processed per second; past it (after the burst) a CONNECT waits
    /// for its turn, or is refused at once with an ERROR if its turn would come after the
    /// CONNECT deadline (10 s). 0: unlimited [default: 1500].
    #[arg(long, value_name = "PER_SEC")]
    pub connect_rate: Option<u32>,
    /// CONNECT handshakes processed at once after a quiet spell [default: 200].
    #[arg(long, value_name = "N")]
    pub connect_burst: Option<u32>,
    /// Connections one login may hold at once (0: no cap).
    #[arg(long, value_name = "N")]
    pub max_connections_per_login: Option<usize>,
    /// Connections one source address may hold at once (0: no cap).
    #[arg(long, value_name = "N")]
    pub max_connections_per_address: Option<usize>,
}

impl BrokerFlags {
    /// Defaults everywhere but the logins.
    pub fn with_users(users: Vec<String>) -> BrokerFlags {
        BrokerFlags {
            users,
            ..BrokerFlags::default()
        }
    }
}
