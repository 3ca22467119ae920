//! The node daemon (`mco daemon`, the role of `mcollectived`): one outbound STOMP
//! connection, the stock agents, facts and classes, filters, PSK security, registration.
//!
//! # Layout
//! - this file: [`run`], start-up from `server.cfg`, the event loop, signals and draining.
//! - [`handler`]: one request from MESSAGE to reply.
//! - [`agents`]: `discovery` and `rpcutil`; [`rpc`]: the SimpleRPC request/reply rules.
//! - [`node`]: identity, facts and classes; [`registration`]: the periodic announcement.
//! - [`stats`]: the counters `daemon_stats` reports.

pub mod agents;
mod config_item;
pub mod handler;
pub mod node;
pub mod registration;
pub mod rpc;
pub mod stats;

use agents::Context;
use handler::{Handler, Outcome, unix_now};
use marionette_config::{Config, ConnectorSettings, Dialect as ConfigDialect};
use marionette_connector::{Connector, Event, Settings, Subscription};
use marionette_stomp::Command;
use marionette_wire::destinations::Dialect;
use marionette_wire::psk::{BodyEncoding, Psk};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Semaphore;

/// Actions that may run at once; more wait their turn.
const MAX_RUNNING: usize = 64;
/// How long SIGTERM waits for running actions.
const DRAIN: Duration = Duration::from_secs(10);

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] marionette_config::ConfigError),
    #[error("securityprovider {0:?} is not supported (only psk)")]
    Security(String),
    #[error("no PSK: set plugin.psk or MCOLLECTIVE_PSK")]
    NoPsk,
    #[error(transparent)]
    Connector(#[from] marionette_connector::ConnectorError),
    #[error("cannot watch signals: {0}")]
    Signals(std::io::Error),
}

/// The connector settings for a daemon: the configured pool and timings, with
/// heart-beats every 30 s (STOMP 1.2/1.1/1.0) unless `heartbeat_interval` is set, where
/// 0 turns them off as in MCollective.
pub fn connector_settings(config: &Config, c: &ConnectorSettings) -> Settings {
    let mut s = Settings::from_mcollective(c);
    let configured = config
        .plugin(&format!("{}.heartbeat_interval", c.dialect.name()))
        .is_some();
    if !configured {
        s.heartbeat = Some(Duration::from_secs(30));
        s.accept_version = "1.2,1.1,1.0".into();
    }
    s
}

/// The wire dialect of a configured connector.
pub fn dialect(d: ConfigDialect) -> Dialect {
    match d {
        ConfigDialect::ActiveMq => Dialect::ActiveMq,
        ConfigDialect::RabbitMq => Dialect::RabbitMq,
    }
}

/// Loads `server.cfg` (plus `plugin.d/` and the environment overrides).
pub fn load_config(path: &Path) -> Result<Config, DaemonError> {
    let mut config = Config::load(path)?;
    config.apply_env(|k| std::env::var(k).ok());
    Ok(config)
}

/// Runs the daemon with `config` until SIGTERM or Ctrl-C, then drains running actions.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    if config.securityprovider != "psk" {
        return Err(DaemonError::Security(config.securityprovider.clone()));
    }
    let psk_key = config.psk_settings().psk.ok_or(DaemonError::NoPsk)?;
    let csettings = config.connector_settings()?;
    let mut psk = Psk::new(psk_key);
    if csettings.base64 {
        psk.encoding = BodyEncoding::Base64;
    }
    let dialect = dialect(csettings.dialect);
    let agents = agents::stock();
    let ddls: Arc<Vec<_>> = Arc::new(agents.iter().map(|a| a.ddl()).collect());
    let agent_meta: Vec<_> = ddls
        .iter()
        .map(|d| (d.agent.clone(), rpc::agent_meta(d)))
        .collect();
    let mut node = Arc::new(node::node_info(&config, &agent_meta, None));
    let (connector, mut events) = Connector::start(connector_settings(&config, &csettings))?;
    let agent_names: Vec<String> = agent_meta.iter().map(|(n, _)| n.clone()).collect();
    for collective in &config.collectives {
        let mut subs = dialect.node_subscriptions(collective, &config.identity, &agent_names);
        if !config.direct_addressing {
            subs.remove(0);
        }
        if csettings.agents_multiplex && dialect == Dialect::ActiveMq {
            subs.truncate(usize::from(config.direct_addressing));
            let dest = format!("/topic/{collective}.agents");
            subs.push(marionette_wire::destinations::NodeSubscription {
                id: dest.clone(),
                destination: dest,
                headers: vec![],
            });
        }
        for s in subs {
            connector
                .subscribe(Subscription {
                    id: s.id,
                    destination: s.destination,
                    headers: s.headers,
                })
                .await?;
        }
    }
    let stats = Arc::new(stats::Stats::default());
    let config = Arc::new(config);
    let handler = Arc::new(Handler {
        psk,
        dialect,
        identity: config.identity.clone(),
        ttl: config.ttl,
        stats: stats.clone(),
        agents: agents.clone(),
        connector: connector.clone(),
        running: Arc::new(Semaphore::new(MAX_RUNNING)),
    });
    let started = SystemTime::now();
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut usr1 = signal(SignalKind::user_defined1()).map_err(DaemonError::Signals)?;
    let mut registration =
        registration::Registration::new(&config, dialect, handler.clone(), agent_names.clone());
    tracing::info!(identity = config.identity, collectives = ?config.collectives, agents = ?agent_names, "daemon started");
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(Event::Frame(frame)) if frame.command == Command::Message => {
                    let ctx = Context { node: node.clone(), config: config.clone(), stats: stats.clone(), started, agents: ddls.clone() };
                    let outcome = handler::admit(&handler.psk, &stats, &handler.agents, &frame, &node, unix_now());
                    if let Outcome::Accepted(a) = outcome {
                        let h = handler.clone();
                        tokio::spawn(async move { h.run(ctx, *a).await });
                    }
                }
                Some(Event::Error(frame)) => tracing::warn!("broker error: {}", frame.get("message").unwrap_or("")),
                Some(Event::Connected { broker, version }) => tracing::debug!(%broker, %version, "session up"),
                Some(Event::Disconnected { reason }) => tracing::warn!(%reason, "disconnected; reconnecting"),
                Some(Event::GaveUp { reason }) => {
                    tracing::error!(%reason, "giving up on the middleware");
                    break;
                }
                Some(Event::Frame(_)) => {}
                None => break,
            },
            _ = usr1.recv() => {
                node = Arc::new(node::node_info(&config, &agent_meta, Some(&node)));
                tracing::info!(facts = node.facts.len(), classes = node.classes.len(), "reloaded facts and classes");
            }
            _ = registration.tick() => registration.send().await,
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!("shutting down: waiting up to {DRAIN:?} for running actions");
    let drained =
        tokio::time::timeout(DRAIN, handler.running.acquire_many(MAX_RUNNING as u32)).await;
    if drained.is_err() {
        tracing::warn!("actions still running after {DRAIN:?}; leaving without their replies");
    }
    connector.close().await;
    Ok(())
}
