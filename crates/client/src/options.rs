//! What a client needs from `client.cfg`, and the STOMP destinations it uses.

use marionette_config::{Config, Dialect, LimitMethod};
use marionette_connector::Settings;
use marionette_security::psk::{BodyEncoding, Psk};
use std::time::Duration;

/// Client settings, from a loaded config.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub identity: String,
    pub main_collective: String,
    pub collectives: Vec<String>,
    pub ttl: i64,
    pub direct_addressing: bool,
    pub direct_addressing_threshold: usize,
    /// `discovery_timeout` from the config; the mc discovery default is 2 s.
    pub discovery_timeout: Option<f64>,
    pub limit_method: LimitMethod,
    pub callerid: String,
    pub psk: String,
    pub base64: bool,
    pub dialect: Dialect,
    pub priority: i64,
    pub agents_multiplex: bool,
    pub use_reply_exchange: bool,
    pub batch_size: i64,
    pub batch_sleep: f64,
    /// STOMP connection settings.
    pub connector: Settings,
    /// How long to wait for the broker before giving up.
    pub connect_timeout: Duration,
    /// Account for every delivered copy of a broadcast and stop collecting once all are
    /// in (see [`crate::accounting`]); on by default.
    pub accounting: bool,
    /// The sliding window after the last reply (`--discovery-window`); see
    /// [`crate::accounting`] for when it applies.
    pub discovery_window: Option<Duration>,
}

/// A configuration the client cannot work with.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error(transparent)]
    Config(#[from] marionette_config::ConfigError),
    #[error("no PSK configured: set plugin.psk or MCOLLECTIVE_PSK")]
    NoPsk,
    #[error("the {0} security provider is not supported, only psk")]
    Security(String),
}

/// A collective the configuration does not list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown collective '{collective}' known collectives are '{known}'")]
pub struct UnknownCollective {
    pub collective: String,
    /// The known collectives, joined by ", ".
    pub known: String,
}

impl ClientOptions {
    /// Client options from `cfg` (after `apply_env`).
    pub fn from_config(cfg: &Config) -> Result<ClientOptions, OptionsError> {
        if cfg.securityprovider != "psk" {
            return Err(OptionsError::Security(cfg.securityprovider.clone()));
        }
        let conn = cfg.connector_settings()?;
        let psk = cfg.psk_settings();
        let mut settings = Settings::from_mcollective(&conn);
        let connect_timeout =
            Duration::from_secs(cfg.connection_timeout.filter(|t| *t > 0).unwrap_or(10) as u64);
        settings.connect_timeout = connect_timeout;
        // Fail fast when no broker of the pool answers; once connected, ride out a broker
        // restart in the middle of a request (the collection reports it).
        settings.max_attempts = Some(u32::try_from(conn.pool.len().max(1)).unwrap_or(1));
        settings.max_attempts_until_connected = true;
        Ok(ClientOptions {
            identity: cfg.identity.clone(),
            main_collective: cfg.main_collective.clone(),
            collectives: cfg.collectives.clone(),
            ttl: cfg.ttl,
            direct_addressing: cfg.direct_addressing,
            direct_addressing_threshold: usize::try_from(cfg.direct_addressing_threshold)
                .unwrap_or(0),
            discovery_timeout: cfg.discovery_timeout.map(|t| t as f64),
            limit_method: cfg.rpclimitmethod,
            callerid: psk.callertype.callerid(&cfg.identity),
            psk: psk.psk.ok_or(OptionsError::NoPsk)?,
            base64: conn.base64,
            dialect: conn.dialect,
            priority: conn.priority,
            agents_multiplex: conn.agents_multiplex,
            use_reply_exchange: conn.use_reply_exchange,
            batch_size: cfg.default_batch_size,
            batch_sleep: cfg.default_batch_sleep_time,
            connector: settings,
            connect_timeout,
            accounting: true,
            discovery_window: None,
        })
    }

    /// The PSK sealer/opener.
    pub fn psk(&self) -> Psk {
        let mut p = Psk::new(self.psk.as_bytes().to_vec());
        if self.base64 {
            p.encoding = BodyEncoding::Base64;
        }
        p
    }

    /// Rejects an unknown collective as the connector does.
    pub fn check_collective(&self, collective: &str) -> Result<(), UnknownCollective> {
        if self.collectives.iter().any(|c| c == collective) {
            Ok(())
        } else {
            Err(UnknownCollective {
                collective: collective.to_string(),
                known: self.collectives.join(", "),
            })
        }
    }

    /// Where a broadcast request for `agent` goes.
    pub fn broadcast_destination(&self, collective: &str, agent: &str) -> String {
        match (self.dialect, self.agents_multiplex) {
            (Dialect::RabbitMq, true) => format!("/exchange/{collective}_broadcast"),
            (Dialect::ActiveMq, true) => format!("/topic/{collective}.agents"),
            (dialect, false) => dialect.broadcast(collective, agent),
        }
    }

    /// Where a directed request for `node` goes.
    pub fn directed_destination(&self, collective: &str, node: &str) -> String {
        self.dialect.directed(collective, node).0
    }

    /// The reply destination of request number `seq` (also what is subscribed to). It
    /// ends in 128 random bits, new for every request, so no one can subscribe to a
    /// client's next reply queue ahead of time by guessing its name (the broker also lets
    /// only this client's identity read it).
    pub fn reply_destination(
        &self,
        collective: &str,
        agent: &str,
        seq: u64,
    ) -> std::io::Result<String> {
        let pid = std::process::id();
        let unique = format!("{seq}.{}", marionette_wire::requestid::generate()?);
        Ok(
            if self.dialect == Dialect::RabbitMq && self.use_reply_exchange {
                format!(
                    "/exchange/mcollective_reply/{}_{pid}.{unique}",
                    self.identity
                )
            } else {
                self.dialect
                    .reply_to(collective, &self.identity, pid, &unique, agent)
            },
        )
    }
}
