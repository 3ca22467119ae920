//! The node daemon (`mco daemon`, the role of `mcollectived`): one outbound STOMP
//! connection, the stock agents, facts and classes, filters, PSK security, registration.
//!
//! # Layout
//! - this file: [`run`], start-up from `server.cfg` and signals.
//! - `runtime`: [`Node`], one node's event loop, reload and draining (a fleet emulator
//!   runs many in one process).
//! - [`checks`]: the request checks that decide whether a MESSAGE is answered, with
//!   [`guard`]: replays, future-dated requests, agent mismatches;
//!   [`handler`]: an accepted request from agent to reply, through [`authz`]:
//!   authorization (actionpolicy) and the audit log.
//! - [`agents`]: `discovery`, `rpcutil` and external agents; [`rpc`]: the SimpleRPC
//!   request/reply rules.
//! - [`node`]: identity, facts and classes; [`registration`]: the periodic announcement.
//! - [`stats`]: the counters `daemon_stats` reports.

pub mod agents;
pub mod authz;
pub mod checks;
mod config_item;
pub mod guard;
pub mod handler;
pub mod node;
pub mod registration;
pub mod rpc;
mod runtime;
pub mod stats;

pub use runtime::{Control, Node, NodeData};

use marionette_config::{Config, ConnectorSettings};
use marionette_connector::Settings;
use std::path::Path;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] marionette_config::ConfigError),
    #[error("securityprovider {0:?} is not supported (only psk)")]
    Security(String),
    #[error("no PSK: set plugin.psk or MCOLLECTIVE_PSK")]
    NoPsk,
    #[error("{0}")]
    Setting(String),
    #[error(transparent)]
    Connector(#[from] marionette_connector::ConnectorError),
    #[error(transparent)]
    Authz(#[from] authz::AuthzError),
    #[error("cannot watch signals: {0}")]
    Signals(std::io::Error),
}

/// The connector settings for a daemon: the configured pool and timings, with
/// heart-beats every 30 s (STOMP 1.2/1.1/1.0) unless `heartbeat_interval` is set, where
/// 0 turns them off as in MCollective, or `heartbeat_interval_ms` (below MCollective's
/// 30 s floor, for tests and labs).
pub fn connector_settings(config: &Config, c: &ConnectorSettings) -> Result<Settings, DaemonError> {
    let mut s = Settings::from_mcollective(c);
    s.reconnect_splay = reconnect_splay(config, c)?;
    let configured = c.heartbeat_interval_ms.is_some()
        || config
            .plugin(&format!("{}.heartbeat_interval", c.dialect.name()))
            .is_some();
    if !configured {
        s.heartbeat = Some(Duration::from_secs(30));
        s.accept_version = "1.2,1.1,1.0".into();
    }
    Ok(s)
}

/// How long a node may wait, at random, before reconnecting after losing a healthy
/// connection: `plugin.<connector>.reconnect_splay` seconds, 20 by default, so a thousand
/// nodes that lost their broker together come back at about 5 % of the fleet per second.
pub fn reconnect_splay(config: &Config, c: &ConnectorSettings) -> Result<Duration, DaemonError> {
    let key = format!("{}.reconnect_splay", c.dialect.name());
    match config.plugin(&key) {
        None => Ok(Duration::from_secs(20)),
        Some(v) => match v.trim().parse::<f64>() {
            Ok(secs) if secs.is_finite() && (0.0..=3600.0).contains(&secs) => {
                Ok(Duration::from_secs_f64(secs))
            }
            _ => Err(DaemonError::Setting(format!(
                "plugin.{key} = {v:?} is not a number of seconds from 0 to 3600"
            ))),
        },
    }
}

/// Loads `server.cfg` (plus `plugin.d/` and the environment overrides).
pub fn load_config(path: &Path) -> Result<Config, DaemonError> {
    let mut config = Config::load(path)?;
    config.apply_env(|k| std::env::var(k).ok());
    Ok(config)
}

/// Runs the daemon with `config` until SIGTERM or Ctrl-C (SIGUSR1 reloads facts, classes
/// and external agents), then drains running actions.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    let settings = connector_settings(&config, &config.connector_settings()?)?;
    let node = Node::start(config, settings, NodeData::FromConfig).await?;
    let (tx, rx) = mpsc::channel(4);
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut usr1 = signal(SignalKind::user_defined1()).map_err(DaemonError::Signals)?;
    let signals = tokio::spawn(async move {
        loop {
            let control = tokio::select! {
                _ = usr1.recv() => Control::Reload,
                _ = term.recv() => Control::Stop,
                _ = tokio::signal::ctrl_c() => Control::Stop,
            };
            if tx.send(control).await.is_err() {
                return;
            }
        }
    });
    node.serve(rx).await;
    signals.abort();
    Ok(())
}
