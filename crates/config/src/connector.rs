//! [`ConnectorSettings`]: every `plugin.activemq.*` / `plugin.rabbitmq.*` setting the
//! 2.12 connectors read (`connector/activemq.rb`, `connector/rabbitmq.rb`), with their
//! defaults and conversions. Environment overrides (`STOMP_USER`, `STOMP_PASSWORD`,
//! `MCOLLECTIVE_<CONNECTOR>_POOLn_SSL_KEY/CERT`) are applied by [`Config::apply_env`]
//! before these are read.

use crate::config::Config;
use crate::error::ConfigError;
use crate::keepalive::Keepalive;

/// Which connector plugin, i.e. which STOMP dialect and key prefix
/// ([`Dialect::name`]).
pub use marionette_wire::destinations::Dialect;

/// The dialect for a `connector` value (already lower case in [`Config`]).
pub fn dialect_of(connector: &str) -> Result<Dialect, ConfigError> {
    match connector {
        "activemq" => Ok(Dialect::ActiveMq),
        "rabbitmq" => Ok(Dialect::RabbitMq),
        _ => Err(ConfigError::UnsupportedConnector {
            name: connector.to_owned(),
        }),
    }
}

/// Verified TLS for one pool member (`pool.N.ssl = true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSsl {
    /// `pool.N.ssl.fallback` (false): fall back to unverified TLS when the files are
    /// missing or bad.
    pub fallback: bool,
    /// `pool.N.ssl.ca`: comma-separated CA files.
    pub ca: Option<String>,
    /// `pool.N.ssl.ciphers`.
    pub ciphers: Option<String>,
    /// `pool.N.ssl.key`, or `MCOLLECTIVE_<CONNECTOR>_POOLn_SSL_KEY`.
    pub key: Option<String>,
    /// `pool.N.ssl.cert`, or `MCOLLECTIVE_<CONNECTOR>_POOLn_SSL_CERT`.
    pub cert: Option<String>,
    /// `pool.N.ssl.verify_name` (marionette's own key; MCollective ignores it, true):
    /// the broker's certificate must name the pool member's `host`. Off, only its chain
    /// is verified, for a broker reached by an address its certificate does not list.
    pub verify_name: bool,
}

/// One broker of the pool (`pool.1` … `pool.<size>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolHost {
    /// `pool.N.host`, required.
    pub host: String,
    /// `pool.N.port` (61613).
    pub port: u16,
    /// `pool.N.user`, or `STOMP_USER`; empty when neither is set.
    pub user: String,
    /// `pool.N.password`, or `STOMP_PASSWORD`; empty when neither is set.
    pub password: String,
    /// `pool.N.ssl` (false); `Some` when on.
    pub ssl: Option<PoolSsl>,
}

/// The connector's settings. Defaults are those of MCollective 2.12's connectors.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSettings {
    pub dialect: Dialect,
    /// `pool.size` entries, required and at least one.
    pub pool: Vec<PoolHost>,
    /// `prompt_user` (false): ask for the user on the terminal.
    pub prompt_user: bool,
    /// `prompt_password` (false).
    pub prompt_password: bool,
    /// `base64` (false): Base64-encode message bodies.
    pub base64: bool,
    /// `priority` (0; ActiveMQ only, read with `to_i`): the STOMP `priority` header.
    pub priority: i64,
    /// `heartbeat_interval` in seconds as used: 0 (the default, or any value ≤ 0) means
    /// STOMP 1.0 without heart-beats; otherwise at least 30.
    pub heartbeat_interval: u64,
    /// `heartbeat_interval_ms` (marionette's own key; MCollective ignores it): the
    /// heart-beat interval in milliseconds, at least [`MIN_HEARTBEAT_MS`] and not raised
    /// to 30 s. When set it replaces `heartbeat_interval`, so a test or a lab can have a
    /// dead link found within seconds while the standard key keeps MCollective's meaning.
    pub heartbeat_interval_ms: Option<u64>,
    /// `tcp_keepalive` (marionette's own key): TCP keepalive on the broker connection,
    /// `IDLE,INTERVAL,COUNT` or `off`; [`Keepalive::DEFAULT`] when absent.
    pub tcp_keepalive: Option<Keepalive>,
    /// `stomp_1_0_fallback` (true): also offer STOMP 1.0 when heart-beating.
    pub stomp_1_0_fallback: bool,
    /// `max_hbread_fails` (2).
    pub max_hbread_fails: i64,
    /// `max_hbrlck_fails` (0).
    pub max_hbrlck_fails: i64,
    /// `use_exponential_back_off` (true).
    pub use_exponential_back_off: bool,
    /// `initial_reconnect_delay` (0.01 s).
    pub initial_reconnect_delay: f64,
    /// `back_off_multiplier` (2).
    pub back_off_multiplier: i64,
    /// `max_reconnect_delay` (30.0 s).
    pub max_reconnect_delay: f64,
    /// `max_reconnect_attempts` (0 = forever).
    pub max_reconnect_attempts: i64,
    /// `randomize` (false): shuffle the pool.
    pub randomize: bool,
    /// `backup` (false).
    pub backup: bool,
    /// `timeout` (-1 = none).
    pub timeout: i64,
    /// `connect_timeout` (30 s).
    pub connect_timeout: i64,
    /// `agents_multiplex` (false): one `C.agents` topic instead of one per agent.
    pub agents_multiplex: bool,
    /// `vhost`: the CONNECT `host` header ("mcollective" for ActiveMQ, "/" for RabbitMQ).
    pub vhost: String,
    /// `use_reply_exchange` (false; RabbitMQ only).
    pub use_reply_exchange: bool,
}

/// The smallest `heartbeat_interval_ms`: MCollective's connectors offer the interval
/// ± 500 ms, so anything shorter would leave nothing of it, and the broker's own floor
/// is one second.
pub const MIN_HEARTBEAT_MS: u64 = 1000;

impl ConnectorSettings {
    /// The heart-beat interval in use, in milliseconds (0 = none):
    /// `heartbeat_interval_ms` when set, else `heartbeat_interval` seconds.
    pub fn heartbeat_ms(&self) -> u64 {
        self.heartbeat_interval_ms
            .unwrap_or_else(|| self.heartbeat_interval.saturating_mul(1000))
    }

    /// The CONNECT `accept-version` header: `1.0` without heart-beats, else `1.1,1.0`,
    /// or `1.1` when `stomp_1_0_fallback` is off.
    pub fn accept_version(&self) -> &'static str {
        match (self.heartbeat_ms(), self.stomp_1_0_fallback) {
            (0, _) => "1.0",
            (_, true) => "1.1,1.0",
            (_, false) => "1.1",
        }
    }

    /// The CONNECT `heart-beat` header values in milliseconds, `(H+500, H-500)` for the
    /// interval H in use, or `None` without heart-beats.
    pub fn heart_beat_ms(&self) -> Option<(u64, u64)> {
        let ms = self.heartbeat_ms();
        (ms > 0).then(|| (ms.saturating_add(500), ms - 500))
    }
}

impl Config {
    /// The settings of the configured `connector`.
    pub fn connector_settings(&self) -> Result<ConnectorSettings, ConfigError> {
        let dialect = dialect_of(&self.connector)?;
        let p = dialect.name();
        let key = |k: &str| format!("{p}.{k}");
        let size = self.plugin_int_required(&key("pool.size"))?;
        if size < 1 {
            return Err(ConfigError::EmptyPool {
                connector: p.to_owned(),
                size,
            });
        }
        let mut pool = Vec::new();
        // Each member needs its own `host` key, so a huge size fails at the first
        // missing one.
        for n in 1..=size {
            pool.push(self.pool_host(p, n)?);
        }
        let heartbeat = self.plugin_int(&key("heartbeat_interval"), 0)?;
        Ok(ConnectorSettings {
            dialect,
            pool,
            prompt_user: self.plugin_bool(&key("prompt_user"), false)?,
            prompt_password: self.plugin_bool(&key("prompt_password"), false)?,
            base64: self.plugin_bool(&key("base64"), false)?,
            priority: match dialect {
                Dialect::ActiveMq => self.plugin_to_i(&key("priority"), 0),
                Dialect::RabbitMq => 0,
            },
            heartbeat_interval: if heartbeat > 0 {
                heartbeat.max(30).unsigned_abs()
            } else {
                0
            },
            heartbeat_interval_ms: self
                .plugin_int_at_least(&key("heartbeat_interval_ms"), MIN_HEARTBEAT_MS as i64)?
                .map(i64::unsigned_abs),
            tcp_keepalive: self.plugin_keepalive(&key("tcp_keepalive"))?,
            stomp_1_0_fallback: self.plugin_bool(&key("stomp_1_0_fallback"), true)?,
            max_hbread_fails: self.plugin_int(&key("max_hbread_fails"), 2)?,
            max_hbrlck_fails: self.plugin_int(&key("max_hbrlck_fails"), 0)?,
            use_exponential_back_off: self.plugin_bool(&key("use_exponential_back_off"), true)?,
            initial_reconnect_delay: self.plugin_float(&key("initial_reconnect_delay"), 0.01)?,
            back_off_multiplier: self.plugin_int(&key("back_off_multiplier"), 2)?,
            max_reconnect_delay: self.plugin_float(&key("max_reconnect_delay"), 30.0)?,
            max_reconnect_attempts: self.plugin_int(&key("max_reconnect_attempts"), 0)?,
            randomize: self.plugin_bool(&key("randomize"), false)?,
            backup: self.plugin_bool(&key("backup"), false)?,
            timeout: self.plugin_int(&key("timeout"), -1)?,
            connect_timeout: self.plugin_int(&key("connect_timeout"), 30)?,
            agents_multiplex: self.plugin_bool(&key("agents_multiplex"), false)?,
            vhost: self
                .plugin(&key("vhost"))
                .unwrap_or(match dialect {
                    Dialect::ActiveMq => "mcollective",
                    Dialect::RabbitMq => "/",
                })
                .to_owned(),
            use_reply_exchange: match dialect {
                Dialect::ActiveMq => false,
                Dialect::RabbitMq => self.plugin_bool(&key("use_reply_exchange"), false)?,
            },
        })
    }

    /// Pool member `n` of connector `p`.
    fn pool_host(&self, p: &str, n: i64) -> Result<PoolHost, ConfigError> {
        let key = |k: &str| format!("{p}.pool.{n}.{k}");
        let text = |k: &str| self.plugin(&key(k)).map(str::to_owned);
        let host = self.plugin_required(&key("host"))?.to_owned();
        let port = self.plugin_port(&key("port"), 61613)?;
        let ssl = if self.plugin_bool(&key("ssl"), false)? {
            Some(PoolSsl {
                fallback: self.plugin_bool(&key("ssl.fallback"), false)?,
                ca: text("ssl.ca"),
                ciphers: text("ssl.ciphers"),
                key: text("ssl.key"),
                cert: text("ssl.cert"),
                verify_name: self.plugin_bool(&key("ssl.verify_name"), true)?,
            })
        } else {
            None
        };
        Ok(PoolHost {
            host,
            port,
            user: text("user").unwrap_or_default(),
            password: text("password").unwrap_or_default(),
            ssl,
        })
    }
}
