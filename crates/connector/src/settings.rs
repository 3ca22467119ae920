//! What the connector needs to know: the broker pool and its timings.

use crate::backoff::Backoff;
use marionette_config::{ConnectorSettings, Keepalive, PoolSsl};
use marionette_net::tls::ClientFiles;
use marionette_stomp::Limits;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// One broker of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    pub host: String,
    pub port: u16,
    pub login: Option<String>,
    pub passcode: Option<String>,
    /// STOMP over TLS (`pool.N.ssl = 1`); `None` is plain TCP.
    pub tls: Option<TlsSettings>,
}

/// TLS to one broker of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// The CAs the broker's certificate must chain to, and the client's certificate and
    /// key (presented when the broker asks for one).
    pub files: ClientFiles,
    /// `ssl.fallback`: when the files are missing or bad, connect over TLS without
    /// verifying the broker (and without a client certificate) instead of refusing to
    /// start.
    pub fallback: bool,
    /// `ssl.verify_name`: the broker's certificate must name `host`. Off, only its chain
    /// is verified.
    pub verify_name: bool,
}

impl TlsSettings {
    /// Verified TLS with `files`, names checked, no fallback.
    pub fn verified(files: ClientFiles) -> TlsSettings {
        TlsSettings {
            files,
            fallback: false,
            verify_name: true,
        }
    }

    /// The settings of an MCollective pool member: `ssl.ca` is a comma-separated list.
    /// `ssl.ciphers` names OpenSSL cipher lists and is not applied (a warning says so):
    /// rustls offers only its safe defaults.
    pub fn from_mcollective(ssl: &PoolSsl) -> TlsSettings {
        if let Some(ciphers) = &ssl.ciphers {
            tracing::warn!(
                "ssl.ciphers = {ciphers} is not applied: rustls' default suites are used"
            );
        }
        let path = |p: &str| Some(p.trim()).filter(|p| !p.is_empty()).map(PathBuf::from);
        TlsSettings {
            files: ClientFiles {
                ca: ssl
                    .ca
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(path)
                    .collect(),
                cert: ssl.cert.as_deref().and_then(path),
                key: ssl.key.as_deref().and_then(path),
            },
            fallback: ssl.fallback,
            verify_name: ssl.verify_name,
        }
    }
}

impl fmt::Display for BrokerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.tls {
            Some(_) => "stomp+ssl",
            None => "stomp",
        };
        match &self.login {
            Some(l) => write!(f, "{scheme}://{l}@{}:{}", self.host, self.port),
            None => write!(f, "{scheme}://{}:{}", self.host, self.port),
        }
    }
}

/// Connector settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Tried in order; a failure moves on to the next one.
    pub brokers: Vec<BrokerAddr>,
    /// Local address to connect from (any when `None`).
    pub bind: Option<std::net::IpAddr>,
    /// The CONNECT `host` header.
    pub vhost: Option<String>,
    /// The CONNECT `accept-version` header.
    pub accept_version: String,
    /// Heart-beat interval both ways; `None` turns heart-beats off.
    pub heartbeat: Option<Duration>,
    /// CONNECT offers `heart-beat:H+skew,H-skew` (MCollective's connectors use 500 ms).
    pub heartbeat_skew: Duration,
    /// The link is declared dead after the broker's interval × this without a byte.
    pub heartbeat_grace: f64,
    pub backoff: Backoff,
    /// A connection that lasted this long resets the backoff.
    pub healthy_after: Duration,
    /// After losing a session, the first attempt waits a uniformly random time up to this, so a fleet that lost its broker together does not reconnect together.
    /// Zero (the default) reconnects at once, as an interactive client should.
    pub reconnect_splay: Duration,
    /// TCP keepalive on the connection (`None`: the socket asks for none).
    pub tcp_keepalive: Option<Keepalive>,
    /// TCP connect plus CONNECTED must take less than this.
    pub connect_timeout: Duration,
    /// Give up after this many failed attempts in a row; `None` retries forever.
    pub max_attempts: Option<u32>,
    /// `max_attempts` bounds only the first connection: a session lost later is retried
    /// until `close`. An interactive client fails fast when no broker answers, yet rides
    /// out a broker restart in the middle of a request.
    pub max_attempts_until_connected: bool,
    pub limits: Limits,
}

impl Settings {
    /// Defaults for a pool: STOMP 1.2/1.1/1.0, heart-beats every 30 s, MCollective's
    /// backoff curve with jitter, 10 s connect timeout, retry forever.
    pub fn new(brokers: Vec<BrokerAddr>) -> Settings {
        Settings {
            brokers,
            bind: None,
            vhost: None,
            accept_version: "1.2,1.1,1.0".into(),
            heartbeat: Some(Duration::from_secs(30)),
            heartbeat_skew: Duration::ZERO,
            heartbeat_grace: 2.0,
            backoff: Backoff::default(),
            healthy_after: Duration::from_secs(10),
            reconnect_splay: Duration::ZERO,
            tcp_keepalive: None,
            connect_timeout: Duration::from_secs(10),
            max_attempts: None,
            max_attempts_until_connected: false,
            limits: Limits::default(),
        }
    }
}

impl Settings {
    /// The settings an MCollective `activemq`/`rabbitmq` connector configuration gives:
    /// the pool (an empty user or password means none), `vhost`, the heart-beat interval
    /// (`heartbeat_interval_ms` when set) and `accept-version` it implies, the reconnect curve (`initial_reconnect_delay`,
    /// `back_off_multiplier`, `max_reconnect_delay`, with jitter added) and
    /// `connect_timeout`, `max_reconnect_attempts` (0 = forever), each member's TLS
    /// files (`pool.N.ssl*`), and marionette's `tcp_keepalive`.
    pub fn from_mcollective(c: &ConnectorSettings) -> Settings {
        let brokers = c
            .pool
            .iter()
            .map(|h| BrokerAddr {
                host: h.host.clone(),
                port: h.port,
                login: (!h.user.is_empty()).then(|| h.user.clone()),
                passcode: (!h.password.is_empty()).then(|| h.password.clone()),
                tls: h.ssl.as_ref().map(TlsSettings::from_mcollective),
            })
            .collect();
        let mut s = Settings::new(brokers);
        s.vhost = Some(c.vhost.clone());
        let heartbeat_ms = c.heartbeat_ms();
        s.heartbeat = (heartbeat_ms > 0).then(|| Duration::from_millis(heartbeat_ms));
        s.heartbeat_skew = Duration::from_millis(500);
        s.accept_version = c.accept_version().to_string();
        s.tcp_keepalive = c.tcp_keepalive;
        s.backoff = Backoff {
            initial: Duration::from_secs_f64(c.initial_reconnect_delay.max(0.001)),
            multiplier: c.back_off_multiplier.max(1) as f64,
            max: Duration::from_secs_f64(c.max_reconnect_delay.max(0.001)),
        };
        s.connect_timeout = Duration::from_secs(c.connect_timeout.max(1) as u64);
        s.max_attempts = (c.max_reconnect_attempts > 0).then_some(c.max_reconnect_attempts as u32);
        s
    }
}
