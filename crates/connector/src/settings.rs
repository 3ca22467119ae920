//! What the connector needs to know: the broker pool and its timings.

use crate::backoff::Backoff;
use marionette_stomp::Limits;
use std::fmt;
use std::time::Duration;

/// One broker of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    pub host: String,
    pub port: u16,
    pub login: Option<String>,
    pub passcode: Option<String>,
}

impl fmt::Display for BrokerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.login {
            Some(l) => write!(f, "stomp://{l}@{}:{}", self.host, self.port),
            None => write!(f, "stomp://{}:{}", self.host, self.port),
        }
    }
}

/// Connector settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Tried in order; a failure moves on to the next one.
    pub brokers: Vec<BrokerAddr>,
    /// The CONNECT `host` header.
    pub vhost: Option<String>,
    /// The CONNECT `accept-version` header.
    pub accept_version: String,
    /// Heart-beat interval both ways; `None` turns heart-beats off.
    pub heartbeat: Option<Duration>,
    /// The link is declared dead after the broker's interval × this without a byte.
    pub heartbeat_grace: f64,
    pub backoff: Backoff,
    /// A connection that lasted this long resets the backoff.
    pub healthy_after: Duration,
    /// TCP connect plus CONNECTED must take less than this.
    pub connect_timeout: Duration,
    /// Give up after this many failed attempts in a row; `None` retries forever.
    pub max_attempts: Option<u32>,
    pub limits: Limits,
}

impl Settings {
    /// Defaults for a pool: STOMP 1.2/1.1/1.0, heart-beats every 30 s, MCollective's
    /// backoff curve with jitter, 10 s connect timeout, retry forever.
    pub fn new(brokers: Vec<BrokerAddr>) -> Settings {
        Settings {
            brokers,
            vhost: None,
            accept_version: "1.2,1.1,1.0".into(),
            heartbeat: Some(Duration::from_secs(30)),
            heartbeat_grace: 2.0,
            backoff: Backoff::default(),
            healthy_after: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            max_attempts: None,
            limits: Limits::default(),
        }
    }
}
