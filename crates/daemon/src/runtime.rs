//! One node at run time: its connection, subscriptions, admission, agents and
//! registration, driven by an event loop that reloads and drains on request. The daemon
//! runs one; a fleet emulator runs many in one process.

use crate::agents::{self, Agent, Context};
use crate::handler::{self, Handler, Outcome, unix_now};
use crate::registration::Registration;
use crate::stats::Stats;
use crate::{DaemonError, node, rpc};
use marionette_config::Config;
use marionette_connector::{Connector, Event, Settings, Subscription};
use marionette_ddl::Ddl;
use marionette_stomp::Command;
use marionette_wire::destinations::{Dialect, NodeSubscription};
use marionette_wire::filter::{AgentMeta, FactMap, NodeInfo};
use marionette_wire::psk::{BodyEncoding, Psk};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{Semaphore, mpsc};

/// Actions that may run at once; more wait their turn.
const MAX_RUNNING: usize = 64;
/// How long stopping waits for running actions.
const DRAIN: Duration = Duration::from_secs(10);

/// What a running node can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Reload facts and classes (SIGUSR1).
    Reload,
    /// Stop taking requests, drain running actions, disconnect.
    Stop,
}

/// Where a node's facts and classes come from.
pub enum NodeData {
    /// The configured fact source and classes file (reloadable).
    FromConfig,
    /// Given facts and classes (a simulated node).
    Fixed {
        facts: FactMap,
        classes: Vec<String>,
    },
}

/// A started node.
pub struct Node {
    config: Arc<Config>,
    data: NodeData,
    handler: Arc<Handler>,
    events: mpsc::Receiver<Event>,
    info: Arc<NodeInfo>,
    ddls: Arc<Vec<&'static Ddl>>,
    agent_meta: Vec<(String, AgentMeta)>,
    registration: Registration,
    started: SystemTime,
}

impl Node {
    /// Checks the security settings, starts connecting with `settings` and subscribes (the
    /// connector replays the subscriptions on every connection).
    pub async fn start(
        config: Config,
        settings: Settings,
        data: NodeData,
    ) -> Result<Node, DaemonError> {
        if config.securityprovider != "psk" {
            return Err(DaemonError::Security(config.securityprovider.clone()));
        }
        let psk_key = config.psk_settings().psk.ok_or(DaemonError::NoPsk)?;
        let csettings = config.connector_settings()?;
        let mut psk = Psk::new(psk_key);
        if csettings.base64 {
            psk.encoding = BodyEncoding::Base64;
        }
        let dialect = csettings.dialect;
        let agents: Vec<Arc<dyn Agent>> = agents::stock();
        let ddls: Arc<Vec<&'static Ddl>> = Arc::new(agents.iter().map(|a| a.ddl()).collect());
        let agent_meta: Vec<(String, AgentMeta)> = ddls
            .iter()
            .map(|d| (d.agent.clone(), rpc::agent_meta(d)))
            .collect();
        let info = Arc::new(match &data {
            NodeData::FromConfig => node::node_info(&config, &agent_meta, None),
            NodeData::Fixed { facts, classes } => NodeInfo {
                identity: config.identity.clone(),
                classes: classes.clone(),
                agents: agent_meta.iter().cloned().collect(),
                facts: facts.clone(),
                collectives: config.collectives.clone(),
            },
        });
        let (connector, events) = Connector::start(settings)?;
        let agent_names: Vec<String> = agent_meta.iter().map(|(n, _)| n.clone()).collect();
        for collective in &config.collectives {
            for s in subscriptions(
                &config,
                dialect,
                csettings.agents_multiplex,
                collective,
                &agent_names,
            ) {
                connector
                    .subscribe(Subscription {
                        id: s.id,
                        destination: s.destination,
                        headers: s.headers,
                    })
                    .await?;
            }
        }
        let handler = Arc::new(Handler {
            psk,
            dialect,
            identity: config.identity.clone(),
            ttl: config.ttl,
            stats: Arc::new(Stats::default()),
            agents,
            connector,
            running: Arc::new(Semaphore::new(MAX_RUNNING)),
        });
        let registration = Registration::new(&config, dialect, handler.clone(), agent_names);
        Ok(Node {
            config: Arc::new(config),
            data,
            handler,
            events,
            info,
            ddls,
            agent_meta,
            registration,
            started: SystemTime::now(),
        })
    }

    /// Serves requests until [`Control::Stop`] (or the connector gives up), then drains
    /// running actions (bounded) and disconnects.
    pub async fn serve(mut self, mut control: mpsc::Receiver<Control>) {
        let stats = self.handler.stats.clone();
        tracing::info!(identity = self.config.identity, collectives = ?self.config.collectives, "node started");
        loop {
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(Event::Frame(frame)) if frame.command == Command::Message => {
                        let ctx = Context {
                            node: self.info.clone(),
                            config: self.config.clone(),
                            stats: stats.clone(),
                            started: self.started,
                            agents: self.ddls.clone(),
                        };
                        let h = &self.handler;
                        if let Outcome::Accepted(a) = handler::admit(&h.psk, &stats, &h.agents, &frame, &self.info, unix_now()) {
                            let h = h.clone();
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
                c = control.recv() => match c {
                    Some(Control::Reload) => self.reload(),
                    Some(Control::Stop) | None => break,
                },
                _ = self.registration.tick() => self.registration.send().await,
            }
        }
        tracing::info!(
            identity = self.config.identity,
            "stopping: waiting up to {DRAIN:?} for running actions"
        );
        let drained =
            tokio::time::timeout(DRAIN, self.handler.running.acquire_many(MAX_RUNNING as u32))
                .await;
        if drained.is_err() {
            tracing::warn!("actions still running after {DRAIN:?}; leaving without their replies");
        }
        self.handler.connector.close().await;
    }

    fn reload(&mut self) {
        if let NodeData::FromConfig = self.data {
            self.info = Arc::new(node::node_info(
                &self.config,
                &self.agent_meta,
                Some(&self.info),
            ));
            tracing::info!(
                facts = self.info.facts.len(),
                classes = self.info.classes.len(),
                "reloaded facts and classes"
            );
        }
    }
}

/// A node's subscriptions in one collective, as MCollective makes them.
fn subscriptions(
    config: &Config,
    dialect: Dialect,
    multiplex: bool,
    collective: &str,
    agents: &[String],
) -> Vec<NodeSubscription> {
    let mut subs = dialect.node_subscriptions(collective, &config.identity, agents);
    if !config.direct_addressing {
        subs.remove(0);
    }
    if multiplex && dialect == Dialect::ActiveMq {
        subs.truncate(usize::from(config.direct_addressing));
        let dest = format!("/topic/{collective}.agents");
        subs.push(NodeSubscription {
            id: dest.clone(),
            destination: dest,
            headers: vec![],
        });
    }
    subs
}
